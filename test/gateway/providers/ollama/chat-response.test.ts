import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../../../../gateway/errors';
import { fromOllamaChatResponse, ollamaAdapter } from '../../../../gateway/providers/ollama';
import { normalizeGenerated } from '../../../support/stream-replay';
import { CONTEXT, readJsonFixture } from './fixtures';

describe('fromOllamaChatResponse', () => {
  it.each(['text', 'tool-call', 'usage', 'thinking'])('translates the %s fixture', (scenario) => {
    const response = fromOllamaChatResponse(readJsonFixture(scenario), CONTEXT);
    expect(normalizeGenerated(response)).toMatchSnapshot();
  });

  it('keeps the text, stamps the gateway id and model, and takes created from created_at', () => {
    const response = fromOllamaChatResponse(readJsonFixture('text'), CONTEXT);
    expect(response).toStrictEqual({
      id: 'chatcmpl-call0001',
      object: 'chat.completion',
      created: 1702390423, // 2023-12-12T14:13:43.416799Z
      model: 'local-llama',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello! How are you today?' },
          finish_reason: 'stop',
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 26, completion_tokens: 298, total_tokens: 324 },
    });
  });

  it('turns tool calls into OpenAI tool calls with generated ids and JSON arguments', () => {
    const response = fromOllamaChatResponse(readJsonFixture('tool-call'), CONTEXT);
    const choice = response.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBeNull();
    const toolCalls = choice?.message.tool_calls ?? [];
    expect(toolCalls).toHaveLength(1);
    expect(toolCalls[0]?.id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(toolCalls[0]?.type).toBe('function');
    expect(toolCalls[0]?.function.name).toBe('get_current_weather');
    expect(JSON.parse(toolCalls[0]?.function.arguments ?? '')).toStrictEqual({ format: 'celsius', location: 'Paris, FR' });
    expect(response.usage).toStrictEqual({ prompt_tokens: 122, completion_tokens: 33, total_tokens: 155 });
  });

  it('gives every tool call its own id', () => {
    const body = {
      model: 'qwen3',
      created_at: '2025-05-27T22:54:58.100509Z',
      message: {
        role: 'assistant',
        content: '',
        tool_calls: [
          { function: { name: 'a', arguments: {} } },
          { function: { name: 'b', arguments: null } },
        ],
      },
      done: true,
      done_reason: 'stop',
    };
    const toolCalls = fromOllamaChatResponse(body, CONTEXT).choices[0]?.message.tool_calls ?? [];
    expect(toolCalls.map((toolCall) => toolCall.function)).toStrictEqual([
      { name: 'a', arguments: '{}' },
      { name: 'b', arguments: '{}' },
    ]);
    expect(new Set(toolCalls.map((toolCall) => toolCall.id)).size).toBe(2);
  });

  it('reports length when num_predict cut the answer, with the counts as usage', () => {
    const response = fromOllamaChatResponse(readJsonFixture('usage'), CONTEXT);
    expect(response.choices[0]?.finish_reason).toBe('length');
    expect(response.usage).toStrictEqual({ prompt_tokens: 31, completion_tokens: 10, total_tokens: 41 });
  });

  it('returns thinking as reasoning_content, apart from the answer', () => {
    const message = fromOllamaChatResponse(readJsonFixture('thinking'), CONTEXT).choices[0]?.message;
    expect(message?.content).toBe('There are 3 r\'s in "strawberry".');
    expect(message?.reasoning_content).toMatch(/^Let me spell it out/);
  });

  it('falls back to the context time and zero usage when Ollama leaves them out', () => {
    const response = fromOllamaChatResponse({ message: { role: 'assistant', content: 'ok' }, done: true }, CONTEXT);
    expect(response.created).toBe(CONTEXT.created);
    expect(response.choices[0]?.finish_reason).toBe('stop');
    expect(response.usage).toStrictEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
  });

  it('throws the error a 200 body reports', () => {
    expect(() => fromOllamaChatResponse({ error: 'model is loading' }, CONTEXT)).toThrow(
      expect.objectContaining({ name: 'UpstreamError', status: 502, message: 'ollama error: model is loading' }),
    );
  });

  it.each([
    ['not an object', 'Hello'],
    ['no done flag', { message: { role: 'assistant', content: 'Hi' } }],
    ['tool call arguments as a string', { done: true, message: { tool_calls: [{ function: { name: 'f', arguments: '{}' } }] } }],
  ])('fails on a malformed body: %s', (_name, body) => {
    let caught: unknown;
    try {
      fromOllamaChatResponse(body, CONTEXT);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UpstreamError);
    expect(caught).toMatchObject({ status: 502, code: 'upstream_malformed_response' });
  });

  it('is what the adapter uses', () => {
    expect(ollamaAdapter.fromChatResponse).toBe(fromOllamaChatResponse);
  });
});
