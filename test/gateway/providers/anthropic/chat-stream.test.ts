import { describe, expect, it } from 'vitest';
import type { ChatCompletionChunk } from '../../../../gateway/openai';
import { UpstreamError } from '../../../../gateway/errors';
import { normalizeGenerated, replayStream } from '../../../support/stream-replay';
import { createAnthropicToOpenAiChunkStream, fromAnthropicMessagesResponse } from '../../../../gateway/providers/anthropic';
import { assemble, context, readFixtureJson, readFixtureText, replayUntilError } from './anthropic-fixtures';

function replay(body: string, pieceBytes?: number): ChatCompletionChunk[] {
  return replayStream(createAnthropicToOpenAiChunkStream(context), body, pieceBytes);
}

const STREAM_FIXTURES = [
  'anthropic-text',
  'anthropic-tool-call',
  'anthropic-parallel-tool-calls',
  'anthropic-cache-usage',
  'anthropic-thinking',
  'anthropic-redacted-thinking',
  'anthropic-json-mode',
] as const;

describe('createAnthropicToOpenAiChunkStream', () => {
  describe.each(STREAM_FIXTURES)('%s.chunks.txt', (fixture) => {
    const body = readFixtureText(`${fixture}.chunks.txt`);

    it('gives the same chunks whole, in 1-byte pieces and in 7-byte pieces', () => {
      const whole = replay(body);
      expect(replay(body, 1)).toEqual(whole);
      expect(replay(body, 7)).toEqual(whole);
    });

    it('matches the snapshot', () => {
      expect(normalizeGenerated(replay(body, 1))).toMatchSnapshot();
    });

    it('opens with the role, stamps every chunk with the message id and model, and ends with one usage chunk', () => {
      const chunks = replay(body, 1);
      const message = assemble(chunks);
      expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' });
      expect(message.ids.size).toBe(1);
      expect([...message.ids][0]).toMatch(/^msg_/);
      expect(message.models).toEqual(new Set(['claude-sonnet-4-5-20250929']));
      expect(chunks.every((chunk) => chunk.created === context.created && chunk.object === 'chat.completion.chunk')).toBe(true);
      // Exactly one finish reason, in the chunk before the usage chunk, which is last and has no choices.
      expect(message.finishReasons).toHaveLength(1);
      expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe(message.finishReasons[0]);
      expect(chunks.at(-1)?.choices).toEqual([]);
      expect(chunks.filter((chunk) => chunk.usage !== undefined)).toHaveLength(1);
    });
  });

  it('streams text with its usage and stop reason', () => {
    const message = assemble(replay(readFixtureText('anthropic-text.chunks.txt'), 1));
    expect(message.content).toBe('Bonjour ! Ça va très bien, merci 👋 Et vous ?');
    expect(message.finishReasons).toEqual(['stop']);
    expect(message.usage).toEqual({
      prompt_tokens: 21,
      completion_tokens: 17,
      total_tokens: 38,
      prompt_tokens_details: { cached_tokens: 0 },
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    });
  });

  it('streams a tool call whose argument pieces concatenate to valid JSON', () => {
    const chunks = replay(readFixtureText('anthropic-tool-call.chunks.txt'), 1);
    const message = assemble(chunks);
    expect(message.content).toBe("Okay, let's check the weather for San Francisco, CA:");
    expect(message.toolCalls).toEqual([
      { id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather', arguments: expect.any(String) },
    ]);
    expect(JSON.parse(message.toolCalls[0]?.arguments ?? '')).toEqual({ location: 'San Francisco, CA', unit: 'fahrenheit' });
    expect(message.finishReasons).toEqual(['tool_calls']);
    expect(message.usage).toMatchObject({ prompt_tokens: 472, completion_tokens: 89, total_tokens: 561 });
    // The opening tool chunk names the call; argument chunks carry only the index and the piece.
    const toolDeltas = chunks.flatMap((chunk) => chunk.choices.flatMap((choice) => choice.delta.tool_calls ?? []));
    expect(toolDeltas[0]).toEqual({
      index: 0,
      id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
      type: 'function',
      function: { name: 'get_weather', arguments: '' },
    });
    expect(toolDeltas.slice(1).every((delta) => delta.id === undefined && delta.function?.name === undefined)).toBe(true);
    // The empty first input_json_delta is not forwarded.
    expect(toolDeltas.slice(1).every((delta) => delta.function?.arguments !== '')).toBe(true);
  });

  it('numbers parallel tool calls by tool call, not by Anthropic content block', () => {
    const message = assemble(replay(readFixtureText('anthropic-parallel-tool-calls.chunks.txt'), 1));
    expect(message.toolCalls.map((call) => [call.id, call.name, JSON.parse(call.arguments) as unknown])).toEqual([
      ['toolu_01HfMPuTKHDbBmr1ThmRAn8q', 'get_weather', { location: 'Zürich, Switzerland' }],
      ['toolu_01VzqSaLkM2fZ7Rr1iXp4eTg', 'get_time', { timezone: 'Asia/Tokyo' }],
    ]);
    expect(message.finishReasons).toEqual(['tool_calls']);
  });

  it('reports cache reads and writes in the final usage, from the cumulative message_delta usage', () => {
    const message = assemble(replay(readFixtureText('anthropic-cache-usage.chunks.txt'), 1));
    expect(message.usage).toEqual({
      prompt_tokens: 14 + 188 + 1843,
      completion_tokens: 42,
      total_tokens: 14 + 188 + 1843 + 42,
      prompt_tokens_details: { cached_tokens: 1843 },
      cache_creation_input_tokens: 188,
      cache_read_input_tokens: 1843,
    });
  });

  it('streams thinking as reasoning_content and the finished block with its signature', () => {
    const message = assemble(replay(readFixtureText('anthropic-thinking.chunks.txt'), 1));
    const expectedReasoning =
      'I need to find the GCD of 1071 and 462 using the Euclidean algorithm.\n\n1071 = 2 × 462 + 147\n462 = 3 × 147 + 21\n147 = 7 × 21 + 0\n\nSo GCD(1071, 462) = 21';
    expect(message.reasoning).toBe(expectedReasoning);
    expect(message.thinkingBlocks).toEqual([
      {
        type: 'thinking',
        thinking: expectedReasoning,
        signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds6uGLvnJUa4Hq6cdUYHrRMdG',
      },
    ]);
    expect(message.content).toBe('The greatest common divisor of 1071 and 462 is **21**.');
    expect(message.usage).toMatchObject({ prompt_tokens: 56, completion_tokens: 158 });
  });

  it('streams a redacted thinking block as a complete thinking block when it ends', () => {
    const message = assemble(replay(readFixtureText('anthropic-redacted-thinking.chunks.txt'), 1));
    expect(message.thinkingBlocks).toEqual([
      { type: 'redacted_thinking', data: expect.stringMatching(/^EmwKAhgB.*pLmN3$/) },
      { type: 'thinking', thinking: 'The user wants a short answer.', signature: 'ErUBCkYIBRgCIkBVq3Yk1mWxR8ZcT0nP4aL2sD' },
    ]);
    expect(message.reasoning).toBe('The user wants a short answer.');
    expect(message.content).toBe('Yes.');
  });

  it('streams the json_tool_call answer as JSON content with finish_reason stop', () => {
    const message = assemble(replay(readFixtureText('anthropic-json-mode.chunks.txt'), 1));
    expect(message.toolCalls).toEqual([]);
    expect(JSON.parse(message.content)).toEqual({ name: 'Ada Lovelace', born: 1815 });
    expect(message.finishReasons).toEqual(['stop']);
  });

  it.each([
    ['anthropic-text', 'anthropic-text.json'],
    ['anthropic-cache-usage', 'anthropic-cache-usage.json'],
    ['anthropic-thinking', 'anthropic-thinking.json'],
    ['anthropic-json-mode', 'anthropic-json-mode.json'],
  ])('assembles %s into what the non-streaming translation of the same answer says', (stream, response) => {
    const streamed = assemble(replay(readFixtureText(`${stream}.chunks.txt`), 1));
    const whole = fromAnthropicMessagesResponse(readFixtureJson(response), context);
    const choice = whole.choices[0];
    expect(JSON.parse(JSON.stringify(streamed.usage))).toEqual(whole.usage);
    expect(streamed.finishReasons).toEqual([choice?.finish_reason]);
    expect(streamed.reasoning).toBe(choice?.message.reasoning_content ?? '');
    if (stream === 'anthropic-json-mode') {
      expect(JSON.parse(streamed.content)).toEqual(JSON.parse(choice?.message.content ?? ''));
    } else {
      expect(streamed.content).toBe(choice?.message.content);
    }
  });

  it('reads CRLF line endings and a last event without its closing blank line', () => {
    const body = readFixtureText('anthropic-text.chunks.txt');
    const expected = replay(body);
    expect(replay(body.replaceAll('\n', '\r\n'), 1)).toEqual(expected);
    expect(replay(body.trimEnd(), 1)).toEqual(expected);
  });

  it('ignores event, block and delta types it does not know', () => {
    const body = readFixtureText('anthropic-text.chunks.txt');
    const extra = [
      'event: content_block_start',
      'data: {"type":"content_block_start","index":5,"content_block":{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}}',
      '',
      'event: content_block_delta',
      'data: {"type":"content_block_delta","index":5,"delta":{"type":"input_json_delta","partial_json":"{\\"query\\": \\"x\\"}"}}',
      '',
      'event: content_block_delta',
      'data: {"type":"content_block_delta","index":0,"delta":{"type":"future_delta","value":1}}',
      '',
      'event: content_block_stop',
      'data: {"type":"content_block_stop","index":5}',
      '',
      'event: future_event',
      'data: {"type":"future_event","anything":true}',
      '',
      '',
    ].join('\n');
    const withExtras = body.replace('event: content_block_stop', `${extra}event: content_block_stop`);
    expect(withExtras).not.toBe(body);
    expect(replay(withExtras, 1)).toEqual(replay(body));
  });

  describe('failures', () => {
    it('turns an in-stream overloaded_error into an UpstreamError (502), after delivering what came before', () => {
      const body = readFixtureText('anthropic-error-event.chunks.txt');
      for (const pieceBytes of [undefined, 1]) {
        const { chunks, error } = replayUntilError(createAnthropicToOpenAiChunkStream(context), body, pieceBytes);
        expect(error).toBeInstanceOf(UpstreamError);
        expect(error).toMatchObject({ status: 502, upstreamStatus: 529, type: 'upstream_error', code: 'overloaded_error' });
        expect((error as UpstreamError).message).toBe('anthropic overloaded_error during the stream: Overloaded');
        expect(assemble(chunks).content).toBe('Once upon a time');
        expect(chunks.some((chunk) => chunk.usage !== undefined)).toBe(false);
      }
      expect(() => replay(body)).toThrow(UpstreamError);
    });

    it.each([
      ['rate_limit_error', 429, 429, 'rate_limit_error'],
      ['api_error', 500, 502, 'upstream_error'],
      ['invalid_request_error', 400, 400, 'invalid_request_error'],
      ['some_future_error', null, 502, 'upstream_error'],
    ] as const)('maps an in-stream %s to upstream status %s and gateway status %s', (errorType, upstreamStatus, status, type) => {
      const body =
        readFixtureText('anthropic-text.chunks.txt').split('event: content_block_stop')[0] +
        `event: error\ndata: {"type":"error","error":{"type":"${errorType}","message":"try later"}}\n\n`;
      const { error } = replayUntilError(createAnthropicToOpenAiChunkStream(context), body, 1);
      expect(error).toMatchObject({ status, upstreamStatus, type, code: errorType });
    });

    it('keeps failing after an error, and throws on the next call when chunks were returned first', () => {
      const translator = createAnthropicToOpenAiChunkStream(context);
      const body = readFixtureText('anthropic-error-event.chunks.txt');
      const chunks = translator.push(body);
      expect(assemble(chunks).content).toBe('Once upon a time');
      expect(() => translator.push('event: ping\ndata: {"type":"ping"}\n\n')).toThrow('Overloaded');
      expect(() => translator.end()).toThrow('Overloaded');
    });

    it('fails a truncated stream with "stream ended before message_stop", whole and in 1-byte pieces', () => {
      const body = readFixtureText('anthropic-truncated.chunks.txt');
      for (const pieceBytes of [undefined, 1]) {
        const { chunks, error } = replayUntilError(createAnthropicToOpenAiChunkStream(context), body, pieceBytes);
        expect(error).toBeInstanceOf(UpstreamError);
        expect(error).toMatchObject({ status: 502, upstreamStatus: null });
        expect((error as Error).message).toBe('anthropic stream ended before message_stop');
        expect(assemble(chunks).content).toBe('Bonjour ! Ça va très bien, merci 👋');
      }
    });

    it('fails a stream cut at an event boundary before message_stop', () => {
      const body = readFixtureText('anthropic-text.chunks.txt').split('event: message_stop')[0] ?? '';
      expect(() => replay(body, 1)).toThrow('anthropic stream ended before message_stop');
    });

    it('fails an empty body', () => {
      expect(() => replay('')).toThrow('anthropic stream ended before message_stop');
    });

    it('fails on an event whose data is not JSON or not Anthropic’s shape', () => {
      const notJson = 'event: message_start\ndata: {"type":"message_start","message":\n\n';
      expect(() => replay(notJson)).toThrow(/not JSON/);
      const wrongShape = 'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"type":"text_delta","text":"x"}}\n\n';
      expect(() => replay(wrongShape)).toThrow(UpstreamError);
    });
  });
});
