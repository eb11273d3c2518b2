import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../../../../gateway/errors';
import type { ChatCompletionChunk, ChatCompletionRequest } from '../../../../gateway/openai';
import { findProviderAdapter } from '../../../../gateway/providers';
import { azureAdapter } from '../../../../gateway/providers/azure';
import {
  createOpenAiChunkStream,
  createOpenAiCompletionChunkStream,
  fromOpenAiChatResponse,
  openAiAdapter,
  openAiErrorToUpstreamError,
} from '../../../../gateway/providers/openai';
import { normalizeGenerated, replayStream } from '../../../support/stream-replay';

const fixture = (name: string): string => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
const context = { requestModel: 'my-gpt', callId: 'call-1', created: 1_700_000_000 };
const request: ChatCompletionRequest = {
  model: 'my-gpt',
  messages: [{ role: 'user', content: 'hi' }],
  temperature: 0.2,
  top_k: 5,
  drop_params: true,
} as ChatCompletionRequest;

describe('OpenAI request translation', () => {
  it('forwards the body, swaps the model, and removes gateway-only fields', () => {
    // GIVEN a client request with an extra vendor field (top_k) and drop_params
    const upstream = openAiAdapter.toChatRequest(request, { model: 'gpt-4o-mini', apiKey: 'sk-test' });
    // THEN the model is the deployment's, extras survive, drop_params does not
    expect(upstream.url).toBe('https://api.openai.com/v1/chat/completions');
    expect(upstream.headers.authorization).toBe('Bearer sk-test');
    expect(JSON.parse(upstream.body ?? '')).toEqual({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.2,
      top_k: 5,
    });
  });

  it('builds a target’s endpoint once and keeps each target’s own key and headers', () => {
    // GIVEN two deployments' targets (the router passes one object per deployment)
    const first = { model: 'a', apiKey: 'sk-first', headers: { 'x-team': 'blue' } };
    const second = { model: 'b', apiKey: 'sk-second' };
    // WHEN each is called twice, in turns
    const calls = [first, second, first, second].map((target) => openAiAdapter.toChatRequest(request, target));
    // THEN every call carries its own target's key and headers, and a target's calls share one headers object
    expect(calls.map((call) => call.headers.authorization)).toEqual(['Bearer sk-first', 'Bearer sk-second', 'Bearer sk-first', 'Bearer sk-second']);
    expect(calls[0]?.headers['x-team']).toBe('blue');
    expect(calls[1]?.headers['x-team']).toBeUndefined();
    expect(calls[2]?.headers).toBe(calls[0]?.headers);
    expect(calls[3]?.headers).toBe(calls[1]?.headers);
    // AND a new target object with another key is not served the old one's
    expect(openAiAdapter.toChatRequest(request, { ...first, apiKey: 'sk-rotated' }).headers.authorization).toBe('Bearer sk-rotated');
  });

  it('always asks a stream for usage, keeping the client’s other stream options', () => {
    const upstream = openAiAdapter.toChatRequest({ ...request, stream: true, stream_options: { include_usage: false } }, { model: 'm' });
    expect(JSON.parse(upstream.body ?? '').stream_options).toEqual({ include_usage: true });
  });

  it.each([
    ['hosted_vllm', 'http://vllm:8000/v1', 'http://vllm:8000/v1/chat/completions'],
    ['groq', undefined, 'https://api.groq.com/openai/v1/chat/completions'],
    ['nvidia_nim', undefined, 'https://integrate.api.nvidia.com/v1/chat/completions'],
    ['mistral', undefined, 'https://api.mistral.ai/v1/chat/completions'],
    ['deepseek', undefined, 'https://api.deepseek.com/v1/chat/completions'],
    ['together_ai', undefined, 'https://api.together.xyz/v1/chat/completions'],
    ['openrouter', undefined, 'https://openrouter.ai/api/v1/chat/completions'],
    ['fireworks_ai', undefined, 'https://api.fireworks.ai/inference/v1/chat/completions'],
    ['xai', undefined, 'https://api.x.ai/v1/chat/completions'],
    ['lm_studio', undefined, 'http://localhost:1234/v1/chat/completions'],
    ['openai', 'http://proxy.local/v1/', 'http://proxy.local/v1/chat/completions'],
  ])('%s with api_base %s posts to %s', (prefix, apiBase, url) => {
    const adapter = findProviderAdapter(prefix);
    const upstream = adapter?.toChatRequest(request, { model: 'm', ...(apiBase ? { apiBase } : {}) });
    expect(upstream?.url).toBe(url);
  });

  it('fails when a self-hosted deployment has no api_base', () => {
    expect(() => findProviderAdapter('hosted_vllm')?.toChatRequest(request, { model: 'm' })).toThrow(/no api_base/);
  });

  it('builds Azure deployment URLs with api-version and the api-key header', () => {
    const upstream = azureAdapter.toChatRequest(request, {
      model: 'gpt4o-prod',
      apiBase: 'https://contoso.openai.azure.com/',
      apiKey: 'azure-key',
      apiVersion: '2024-06-01',
    });
    expect(upstream.url).toBe('https://contoso.openai.azure.com/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-06-01');
    expect(upstream.headers['api-key']).toBe('azure-key');
    expect(upstream.headers.authorization).toBeUndefined();
    const embedding = azureAdapter.toEmbeddingRequest?.({ model: 'e', input: 'x' }, { model: 'emb', apiBase: 'https://c.openai.azure.com' });
    expect(embedding?.url).toBe('https://c.openai.azure.com/openai/deployments/emb/embeddings?api-version=2024-10-21');
  });
});

describe('OpenAI response translation', () => {
  it('keeps a chat completion as the upstream sent it', () => {
    const body = JSON.parse(fixture('openai-text.json'));
    const response = fromOpenAiChatResponse(body, context);
    expect(response.choices[0]?.message.content).toBe('Hello! How can I assist you today?');
    expect(response.usage?.total_tokens).toBe(29);
    expect(response.model).toBe('gpt-4o-mini-2024-07-18');
  });

  it('keeps tool calls', () => {
    const response = fromOpenAiChatResponse(JSON.parse(fixture('openai-tool-call.json')), context);
    expect(response.choices[0]?.finish_reason).toBe('tool_calls');
    expect(JSON.parse(response.choices[0]?.message.tool_calls?.[0]?.function.arguments ?? '')).toEqual({ location: 'Boston, MA' });
  });

  it('maps finish reasons some compatible servers send', () => {
    const response = fromOpenAiChatResponse(
      { choices: [{ index: 0, message: { role: 'assistant', content: 'x' }, finish_reason: 'eos', logprobs: null }] },
      context,
    );
    expect(response.choices[0]?.finish_reason).toBe('stop');
    expect(response.id).toBe('chatcmpl-call-1');
    expect(response.model).toBe('my-gpt');
  });

  it('fails when a 200 answer has no choices', () => {
    expect(() => fromOpenAiChatResponse({ object: 'nope' }, context)).toThrow(UpstreamError);
  });
});

describe.each([undefined, 1])('OpenAI stream translation (piece size %s)', (pieceBytes) => {
  const replayChat = (name: string): ChatCompletionChunk[] =>
    replayStream(createOpenAiChunkStream(context), fixture(name), pieceBytes);

  it('replays a text stream with usage', () => {
    const chunks = replayChat('openai-text.chunks.txt');
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('Hello! Héllo wörld 👋 How can I help?');
    expect(chunks.at(-1)?.usage?.total_tokens).toBe(28);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(normalizeGenerated(chunks)).toMatchSnapshot();
  });

  it('replays a tool-call stream whose argument pieces join into JSON', () => {
    const chunks = replayChat('openai-tool-call.chunks.txt');
    const args = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls?.map((call) => call.function?.arguments ?? '') ?? []).join('');
    expect(JSON.parse(args)).toEqual({ location: 'Boston, MA' });
    expect(chunks.some((chunk) => chunk.choices[0]?.finish_reason === 'tool_calls')).toBe(true);
  });

  it('throws the in-stream error event', () => {
    expect(() => replayChat('openai-midstream-error.chunks.txt')).toThrow(/server had an error/);
  });

  it('throws when the stream ends before [DONE]', () => {
    expect(() => replayChat('openai-truncated.chunks.txt')).toThrow(/ended before \[DONE\]/);
  });

  it('replays a legacy completion stream', () => {
    const chunks = replayStream(createOpenAiCompletionChunkStream(context), fixture('openai-completion.chunks.txt'), pieceBytes);
    expect(chunks.map((chunk) => chunk.choices[0]?.text ?? '').join('')).toBe('This is a test');
    expect(chunks.at(-1)?.usage?.total_tokens).toBe(9);
  });
});

describe('OpenAI error translation', () => {
  it('keeps 429 as 429 with the provider message', () => {
    const error = openAiErrorToUpstreamError(429, fixture('openai-error-429.json'), 'openai');
    expect(error.status).toBe(429);
    expect(error.type).toBe('rate_limit_error');
    expect(error.message).toContain('Rate limit reached');
  });

  it('keeps a client 400 with its param and code', () => {
    const error = openAiErrorToUpstreamError(400, fixture('openai-error-400.json'), 'openai');
    expect([error.status, error.param, error.code]).toEqual([400, 'messages', 'context_length_exceeded']);
  });

  it('turns an upstream 401 into a 502 and redacts the key fragment', () => {
    const error = openAiErrorToUpstreamError(401, fixture('openai-error-401.json'), 'openai');
    expect(error.status).toBe(502);
    expect(error.message).not.toMatch(/sk-proj/);
    expect(error.message).toContain('[redacted]');
  });

  it('summarises a plain-text 5xx as a 502', () => {
    const error = openAiErrorToUpstreamError(503, fixture('openai-error-5xx.txt'), 'hosted_vllm');
    expect(error.status).toBe(502);
    expect(error.message).toMatch(/^hosted_vllm error \(503\): <html>/);
  });

  it('handles a malformed JSON error body', () => {
    const error = openAiErrorToUpstreamError(500, fixture('openai-error-malformed.txt'));
    expect(error.status).toBe(502);
    expect(error.message).toContain('Internal server error');
  });
});
