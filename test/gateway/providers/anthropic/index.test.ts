import { describe, expect, it } from 'vitest';
import { chatCompletionRequestSchema } from '../../../../gateway/openai';
import { anthropicAdapter } from '../../../../gateway/providers/anthropic';
import { context, readFixtureJson } from './anthropic-fixtures';

describe('anthropicAdapter', () => {
  it('has the id anthropic', () => {
    expect(anthropicAdapter.id).toBe('anthropic');
  });

  it('declares the parameters it translates, and not those Anthropic lacks', () => {
    const supported = anthropicAdapter.supportedChatParams;
    if (supported === 'all') throw new Error('anthropic must list its parameters');
    for (const param of ['max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'stop', 'tools', 'tool_choice']) {
      expect(supported.has(param)).toBe(true);
    }
    for (const param of ['parallel_tool_calls', 'response_format', 'user', 'stream_options']) expect(supported.has(param)).toBe(true);
    for (const param of ['n', 'logprobs', 'top_logprobs', 'seed', 'presence_penalty', 'frequency_penalty', 'logit_bias']) {
      expect(supported.has(param)).toBe(false);
    }
  });

  it('has no completions or embeddings', () => {
    expect(anthropicAdapter.toCompletionRequest).toBeUndefined();
    expect(anthropicAdapter.toEmbeddingRequest).toBeUndefined();
  });

  it('wires request, response and stream translation', () => {
    const request = chatCompletionRequestSchema.parse({ model: 'claude', messages: [{ role: 'user', content: 'Hi' }], stream: true });
    const upstream = anthropicAdapter.toChatRequest(request, { model: 'claude-haiku-4-5', apiKey: 'k' });
    expect(upstream.url).toBe('https://api.anthropic.com/v1/messages');
    expect(JSON.parse(upstream.body ?? '')).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: 4096,
      stream: true,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(anthropicAdapter.fromChatResponse(readFixtureJson('anthropic-text.json'), context).id).toBe('msg_013Zva2CMHLNnXjNJJKqJ2EF');
    const translator = anthropicAdapter.createChatStreamTranslator(context);
    expect(translator.push('event: ping\ndata: {"type":"ping"}\n\n')).toEqual([]);
    // Per-request state: a second translator starts fresh.
    expect(() => anthropicAdapter.createChatStreamTranslator(context).end()).toThrow('ended before message_stop');
  });
});
