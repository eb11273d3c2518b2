import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../../../../gateway/errors';
import { normalizeGenerated } from '../../../support/stream-replay';
import { fromAnthropicMessagesResponse } from '../../../../gateway/providers/anthropic';
import type { AnthropicChatCompletionMessage } from '../../../../gateway/providers/anthropic';
import { context, readFixtureJson, readFixtureText } from './anthropic-fixtures';

function translate(fixture: string): ReturnType<typeof fromAnthropicMessagesResponse> {
  return fromAnthropicMessagesResponse(readFixtureJson(fixture), context);
}

describe('fromAnthropicMessagesResponse', () => {
  it.each([
    'anthropic-text.json',
    'anthropic-tool-call.json',
    'anthropic-cache-usage.json',
    'anthropic-thinking.json',
    'anthropic-json-mode.json',
    'anthropic-max-tokens.json',
  ])('translates %s', (fixture) => {
    expect(normalizeGenerated(translate(fixture))).toMatchSnapshot();
  });

  it('translates a text answer', () => {
    expect(translate('anthropic-text.json')).toEqual({
      id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
      object: 'chat.completion',
      created: context.created,
      model: 'claude-sonnet-4-5-20250929',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Bonjour ! Ça va très bien, merci 👋 Et vous ?' },
          finish_reason: 'stop',
          logprobs: null,
        },
      ],
      usage: {
        prompt_tokens: 21,
        completion_tokens: 17,
        total_tokens: 38,
        prompt_tokens_details: { cached_tokens: 0 },
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      },
    });
  });

  it('translates tool_use blocks into tool_calls next to the text', () => {
    const [choice] = translate('anthropic-tool-call.json').choices;
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBe("I'll check the current weather in San Francisco for you.");
    expect(choice?.message.tool_calls).toEqual([
      {
        id: 'toolu_01A09q90qw90lq917835lq9',
        type: 'function',
        function: { name: 'get_weather', arguments: '{"location":"San Francisco, CA","unit":"celsius"}' },
      },
      { id: 'toolu_01B7zYkXh3fQm2Wn5pL8rT4v', type: 'function', function: { name: 'get_time', arguments: '{"timezone":"America/Los_Angeles"}' } },
    ]);
  });

  it('counts cache reads and writes as prompt tokens', () => {
    expect(translate('anthropic-cache-usage.json').usage).toEqual({
      prompt_tokens: 14 + 188 + 1843,
      completion_tokens: 42,
      total_tokens: 14 + 188 + 1843 + 42,
      prompt_tokens_details: { cached_tokens: 1843 },
      cache_creation_input_tokens: 188,
      cache_read_input_tokens: 1843,
    });
  });

  it('returns thinking as reasoning_content and the complete thinking blocks', () => {
    const message = translate('anthropic-thinking.json').choices[0]?.message as AnthropicChatCompletionMessage;
    expect(message.content).toBe('The greatest common divisor of 1071 and 462 is **21**.');
    expect(message.reasoning_content).toBe(
      'I need to find the GCD of 1071 and 462 using the Euclidean algorithm.\n\n1071 = 2 × 462 + 147\n462 = 3 × 147 + 21\n147 = 7 × 21 + 0\n\nSo GCD(1071, 462) = 21',
    );
    expect(message.thinking_blocks).toEqual([
      {
        type: 'thinking',
        thinking: message.reasoning_content,
        signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds6uGLvnJUa4Hq6cdUYHrRMdG',
      },
      { type: 'redacted_thinking', data: expect.stringMatching(/^EmwKAhgB/) },
    ]);
  });

  it('turns the json_tool_call answer back into JSON content with finish_reason stop', () => {
    const [choice] = translate('anthropic-json-mode.json').choices;
    expect(choice?.finish_reason).toBe('stop');
    expect(choice?.message.tool_calls).toBeUndefined();
    expect(JSON.parse(choice?.message.content ?? '')).toEqual({ name: 'Ada Lovelace', born: 1815 });
  });

  it('maps max_tokens to length', () => {
    expect(translate('anthropic-max-tokens.json').choices[0]?.finish_reason).toBe('length');
    expect(translate('anthropic-max-tokens.json').model).toBe('claude-haiku-4-5-20251001');
  });

  it('accepts the body as JSON text', () => {
    expect(fromAnthropicMessagesResponse(readFixtureText('anthropic-text.json'), context)).toEqual(translate('anthropic-text.json'));
  });

  it('ignores block types it does not translate and maps an unknown stop reason to stop', () => {
    const body = {
      ...readFixtureJson<Record<string, unknown>>('anthropic-text.json'),
      content: [
        { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'weather' } },
        { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [] },
        { type: 'text', text: 'It is sunny.', citations: [{ type: 'web_search_result_location', url: 'https://example.com' }] },
      ],
      stop_reason: 'some_future_reason',
    };
    const [choice] = fromAnthropicMessagesResponse(body, context).choices;
    expect(choice?.message).toEqual({ role: 'assistant', content: 'It is sunny.' });
    expect(choice?.finish_reason).toBe('stop');
  });

  it('returns null content when the model only called tools', () => {
    const body = {
      ...readFixtureJson<Record<string, unknown>>('anthropic-tool-call.json'),
      content: [{ type: 'tool_use', id: 'toolu_1', name: 'ping', input: {} }],
    };
    const [choice] = fromAnthropicMessagesResponse(body, context).choices;
    expect(choice?.message.content).toBeNull();
    expect(choice?.message.tool_calls?.[0]?.function.arguments).toBe('{}');
  });

  it.each([
    ['not JSON text', '{"id": "msg_'],
    ['an error body', { type: 'error', error: { type: 'api_error', message: 'boom' } }],
    ['a known block with the wrong shape', { ...readFixtureJson<Record<string, unknown>>('anthropic-text.json'), content: [{ type: 'text' }] }],
  ])('fails with an UpstreamError (502) on %s', (_name, body) => {
    expect(() => fromAnthropicMessagesResponse(body, context)).toThrow(UpstreamError);
    try {
      fromAnthropicMessagesResponse(body, context);
    } catch (error) {
      expect((error as UpstreamError).status).toBe(502);
    }
  });
});
