import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../../../../gateway/errors';
import type { ChatCompletionChunk } from '../../../../gateway/openai';
import { NdjsonLineBuffer, createOllamaToOpenAiChunkStream, ollamaAdapter } from '../../../../gateway/providers/ollama';
import { normalizeGenerated, replayStream } from '../../../support/stream-replay';
import { CONTEXT, readChunksFixture } from './fixtures';

function replay(scenario: string, pieceBytes?: number): ChatCompletionChunk[] {
  return replayStream(createOllamaToOpenAiChunkStream(CONTEXT), readChunksFixture(scenario), pieceBytes);
}

/** Replays whole and in 1-byte pieces, checks both give the same chunks, and returns them (ids not normalized). */
function replayBothWays(scenario: string): ChatCompletionChunk[] {
  const whole = replay(scenario);
  const byteByByte = replay(scenario, 1);
  expect(normalizeGenerated(byteByByte)).toStrictEqual(normalizeGenerated(whole));
  return whole;
}

const contentOf = (chunks: ChatCompletionChunk[]) => chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');

describe('createOllamaToOpenAiChunkStream', () => {
  it.each(['text', 'tool-call', 'usage', 'thinking'])('replays the %s stream whole and byte by byte alike', (scenario) => {
    expect(normalizeGenerated(replayBothWays(scenario))).toMatchSnapshot();
  });

  it('streams text: role first, the deltas in order (multi-byte characters intact), then finish and usage', () => {
    const chunks = replayBothWays('text');
    expect(chunks[0]?.choices[0]?.delta).toStrictEqual({ role: 'assistant', content: 'Hello' });
    expect(chunks.slice(1).some((chunk) => chunk.choices[0]?.delta.role !== undefined)).toBe(false);
    expect(contentOf(chunks)).toBe('Hello! 👋 What can I do for you today — ¿café?');
    expect(chunks.every((chunk) => chunk.id === 'chatcmpl-call0001' && chunk.model === 'local-llama')).toBe(true);
    // created comes from the first line (2024-08-07T03:57:33Z) and stays the same on every chunk.
    expect(new Set(chunks.map((chunk) => chunk.created))).toStrictEqual(new Set([1723003053]));

    const [finish, usage] = chunks.slice(-2);
    expect(finish?.choices).toStrictEqual([{ index: 0, delta: {}, finish_reason: 'stop', logprobs: null }]);
    expect(usage?.choices).toStrictEqual([]);
    expect(usage?.usage).toStrictEqual({ prompt_tokens: 10, completion_tokens: 17, total_tokens: 27 });
    expect(chunks.slice(0, -2).every((chunk) => chunk.choices[0]?.finish_reason === null)).toBe(true);
  });

  it('streams each tool call whole with its own index and id, and finishes with tool_calls', () => {
    const chunks = replayBothWays('tool-call');
    const toolCalls = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(toolCalls.map(({ index, type, function: call }) => ({ index, type, call }))).toStrictEqual([
      { index: 0, type: 'function', call: { name: 'get_current_weather', arguments: '{"format":"celsius","location":"Toronto"}' } },
      { index: 1, type: 'function', call: { name: 'get_current_weather', arguments: '{"format":"celsius","location":"Montréal"}' } },
    ]);
    expect(toolCalls.every((toolCall) => /^call_[0-9a-f]{24}$/.test(toolCall.id ?? ''))).toBe(true);
    expect(toolCalls[0]?.id).not.toBe(toolCalls[1]?.id);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('tool_calls');
    expect(chunks.at(-1)?.usage).toStrictEqual({ prompt_tokens: 221, completion_tokens: 61, total_tokens: 282 });
  });

  it('reports length and the counts of a stream cut by num_predict', () => {
    const chunks = replayBothWays('usage');
    expect(contentOf(chunks)).toBe('The sky is blue');
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('length');
    expect(chunks.at(-1)?.usage).toStrictEqual({ prompt_tokens: 31, completion_tokens: 4, total_tokens: 35 });
  });

  it('streams thinking as reasoning_content before the answer', () => {
    const chunks = replayBothWays('thinking');
    const reasoning = chunks.map((chunk) => chunk.choices[0]?.delta.reasoning_content ?? '').join('');
    expect(reasoning).toBe('Let me spell it: s-t-r-a-w-b-e-r-r-y.');
    expect(contentOf(chunks)).toBe("There are 3 r's.");
    expect(chunks[0]?.choices[0]?.delta).toStrictEqual({ role: 'assistant', content: '', reasoning_content: 'Let' });
  });

  it('handles a final line without message (older servers) and an empty stream answer', () => {
    const translator = createOllamaToOpenAiChunkStream(CONTEXT);
    const chunks = replayStream(
      translator,
      '{"model":"llama3.2","created_at":"2023-08-04T19:22:45.499127Z","done":true,"total_duration":4883583458,"prompt_eval_count":26,"eval_count":282}\n',
    );
    expect(chunks.map((chunk) => chunk.choices)).toStrictEqual([
      [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null, logprobs: null }],
      [{ index: 0, delta: {}, finish_reason: 'stop', logprobs: null }],
      [],
    ]);
    expect(chunks.at(-1)?.usage).toStrictEqual({ prompt_tokens: 26, completion_tokens: 282, total_tokens: 308 });
  });

  it('accepts a done line that has no line break after it', () => {
    const body = readChunksFixture('text').trimEnd();
    expect(normalizeGenerated(replayStream(createOllamaToOpenAiChunkStream(CONTEXT), body, 1))).toStrictEqual(
      normalizeGenerated(replay('text')),
    );
  });

  it('accepts CRLF line breaks', () => {
    const body = readChunksFixture('text').replace(/\n/g, '\r\n');
    expect(normalizeGenerated(replayStream(createOllamaToOpenAiChunkStream(CONTEXT), body, 3))).toStrictEqual(
      normalizeGenerated(replay('text')),
    );
  });

  describe('failures', () => {
    function caughtFrom(run: () => unknown): UpstreamError {
      try {
        run();
      } catch (error) {
        expect(error).toBeInstanceOf(UpstreamError);
        return error as UpstreamError;
      }
      throw new Error('expected the stream to fail');
    }

    it.each([undefined, 1])('throws the error line as an UpstreamError (pieces of %s bytes)', (pieceBytes) => {
      const error = caughtFrom(() => replay('stream-error', pieceBytes));
      expect(error.message).toBe('ollama error: an error was encountered while running the model: unexpected EOF');
      expect(error.status).toBe(502);
    });

    it('translates what came before the error line', () => {
      const [first, second, errorLine] = readChunksFixture('stream-error').split('\n');
      const translator = createOllamaToOpenAiChunkStream(CONTEXT);
      expect(contentOf(translator.push(`${first}\n${second}\n`))).toBe('The sky');
      expect(() => translator.push(`${errorLine}\n`)).toThrow(UpstreamError);
    });

    it.each(['truncated', 'truncated-mid-line'])('throws at end() when the %s stream has no done line', (scenario) => {
      for (const pieceBytes of [undefined, 1]) {
        const error = caughtFrom(() => replay(scenario, pieceBytes));
        expect(error.code).toBe('upstream_stream_truncated');
        expect(error.status).toBe(502);
      }
    });

    it('keeps the chunks of a truncated stream flowing until end()', () => {
      const translator = createOllamaToOpenAiChunkStream(CONTEXT);
      expect(contentOf(translator.push(readChunksFixture('truncated')))).toBe('The sky');
      expect(() => translator.end()).toThrow(/ended before its final message/);
    });

    it.each([undefined, 1])('throws on a line that is not JSON (pieces of %s bytes)', (pieceBytes) => {
      const error = caughtFrom(() => replay('malformed', pieceBytes));
      expect(error.code).toBe('upstream_malformed_response');
      expect(error.message).toBe('ollama sent a malformed chat stream line');
    });

    it('throws on a JSON line that is not a chat answer', () => {
      const translator = createOllamaToOpenAiChunkStream(CONTEXT);
      expect(() => translator.push('{"status":"pulling manifest"}\n')).toThrow(
        expect.objectContaining({ code: 'upstream_malformed_response' }),
      );
    });
  });

  it('is what the adapter uses, one fresh translator per call', () => {
    const first = ollamaAdapter.createChatStreamTranslator(CONTEXT);
    const second = ollamaAdapter.createChatStreamTranslator(CONTEXT);
    expect(first).not.toBe(second);
    first.push('{"message":{"role":"assistant","content":"a"},"done":false}\n');
    // The second translator has not sent its role chunk yet, whatever the first did.
    expect(second.push('{"message":{"role":"assistant","content":"b"},"done":false}\n')[0]?.choices[0]?.delta.role).toBe('assistant');
  });
});

describe('NdjsonLineBuffer', () => {
  it('returns each line once it is complete, whatever the piece boundaries', () => {
    const buffer = new NdjsonLineBuffer();
    expect(buffer.push('{"a"')).toStrictEqual([]);
    expect(buffer.push(':1}\n{"b":2}\n{"c"')).toStrictEqual(['{"a":1}', '{"b":2}']);
    expect(buffer.push(':3}')).toStrictEqual([]);
    expect(buffer.end()).toStrictEqual(['{"c":3}']);
    expect(buffer.end()).toStrictEqual([]);
  });

  it('drops CR before LF and skips blank lines', () => {
    const buffer = new NdjsonLineBuffer();
    expect(buffer.push('{"a":1}\r')).toStrictEqual([]);
    expect(buffer.push('\n\n  \r\n{"b":2}\r\n')).toStrictEqual(['{"a":1}', '{"b":2}']);
    expect(buffer.end()).toStrictEqual([]);
  });
});
