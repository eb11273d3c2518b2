import { describe, expect, it } from 'vitest';
import { InvalidRequestError, UpstreamError } from '../../../../gateway/errors';
import type { CompletionResponse } from '../../../../gateway/openai';
import { completionRequestSchema } from '../../../../gateway/openai';
import {
  OLLAMA_SUPPORTED_COMPLETION_PARAMS,
  createOllamaToOpenAiCompletionStream,
  fromOllamaGenerateResponse,
  ollamaAdapter,
  toOllamaGenerateRequest,
} from '../../../../gateway/providers/ollama';
import { normalizeGenerated, replayStream } from '../../../support/stream-replay';
import { CONTEXT, readChunksFixture, readJsonFixture } from './fixtures';

const completionRequest = (body: Record<string, unknown>) => completionRequestSchema.parse({ model: 'local-coder', ...body });

describe('toOllamaGenerateRequest', () => {
  const cases: { name: string; input: Record<string, unknown>; output: Record<string, unknown> }[] = [
    {
      name: 'a prompt; stream defaults to false',
      input: { prompt: 'Why is the sky blue?' },
      output: { model: 'llama3.2', prompt: 'Why is the sky blue?', stream: false },
    },
    {
      name: 'a one-item prompt list, suffix, sampling options and max_tokens → num_predict',
      input: {
        prompt: ['def compute_gcd(a, b):'],
        suffix: '    return result',
        temperature: 0,
        top_p: 0.5,
        seed: 7,
        stop: ['\n\n'],
        max_tokens: 64,
        frequency_penalty: 0.5,
        presence_penalty: -0.5,
        stream: true,
      },
      output: {
        model: 'llama3.2',
        prompt: 'def compute_gcd(a, b):',
        suffix: '    return result',
        stream: true,
        options: { temperature: 0, top_p: 0.5, seed: 7, stop: ['\n\n'], num_predict: 64, frequency_penalty: 0.5, presence_penalty: -0.5 },
      },
    },
    {
      name: 'raw and keep_alive pass through',
      input: { prompt: '[INST] why is the sky blue? [/INST]', raw: true, keep_alive: '1h' },
      output: { model: 'llama3.2', prompt: '[INST] why is the sky blue? [/INST]', stream: false, raw: true, keep_alive: '1h' },
    },
  ];

  it.each(cases)('$name', ({ input, output }) => {
    expect(toOllamaGenerateRequest(completionRequest(input), 'llama3.2')).toStrictEqual(output);
  });

  it.each([
    ['several prompts', { prompt: ['a', 'b'] }, 'prompt', /one prompt per request, got 2/],
    ['token ids', { prompt: [1, 2, 3] }, 'prompt', /token ids/],
    ['lists of token ids', { prompt: [[1, 2]] }, 'prompt', /token ids/],
    ['a raw flag that is not a boolean', { prompt: 'x', raw: 'yes' }, 'raw', /raw must be true or false/],
  ])('fails on %s, naming the param', (_name, input, param, message) => {
    let caught: unknown;
    try {
      toOllamaGenerateRequest(completionRequest(input), 'llama3.2');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidRequestError);
    expect(caught).toMatchObject({ status: 400, param });
    expect((caught as Error).message).toMatch(message);
  });

  it('is posted to /api/generate by the adapter', () => {
    const upstream = ollamaAdapter.toCompletionRequest?.(completionRequest({ prompt: 'Hi' }), {
      model: 'llama3.2',
      apiBase: 'http://ollama:11434',
    });
    expect(upstream?.url).toBe('http://ollama:11434/api/generate');
    expect(JSON.parse(upstream?.body ?? '')).toStrictEqual({ model: 'llama3.2', prompt: 'Hi', stream: false });
    expect(ollamaAdapter.supportedCompletionParams).toBe(OLLAMA_SUPPORTED_COMPLETION_PARAMS);
    for (const param of ['n', 'best_of', 'echo', 'logprobs', 'logit_bias']) {
      expect(OLLAMA_SUPPORTED_COMPLETION_PARAMS.has(param)).toBe(false);
    }
  });
});

describe('fromOllamaGenerateResponse', () => {
  it('translates the generate fixture', () => {
    const response = fromOllamaGenerateResponse(readJsonFixture('generate'), CONTEXT);
    expect(normalizeGenerated(response)).toMatchSnapshot();
    expect(response).toStrictEqual({
      id: 'cmpl-call0001',
      object: 'text_completion',
      created: 1721681271, // 2024-07-22T20:47:51.147561Z
      model: 'local-llama',
      choices: [
        {
          index: 0,
          text: '\n  if a == 0:\n    return b\n  else:\n    return compute_gcd(b % a, a)\n\ndef compute_lcm(a, b):\n  result = (a * b) / compute_gcd(a, b)\n',
          finish_reason: 'stop',
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 17, completion_tokens: 63, total_tokens: 80 },
    });
  });

  it('throws the error a 200 body reports, and fails on a malformed body', () => {
    expect(() => fromOllamaGenerateResponse({ error: 'model is loading' }, CONTEXT)).toThrow('ollama error: model is loading');
    expect(() => fromOllamaGenerateResponse({ response: 'Hi' }, CONTEXT)).toThrow(
      expect.objectContaining({ code: 'upstream_malformed_response' }),
    );
  });
});

describe('createOllamaToOpenAiCompletionStream', () => {
  const replay = (scenario: string, pieceBytes?: number): CompletionResponse[] =>
    replayStream(createOllamaToOpenAiCompletionStream(CONTEXT), readChunksFixture(scenario), pieceBytes);

  it('replays the generate stream whole and byte by byte alike', () => {
    const whole = replay('generate');
    expect(normalizeGenerated(replay('generate', 1))).toStrictEqual(normalizeGenerated(whole));
    expect(normalizeGenerated(whole)).toMatchSnapshot();

    expect(whole.map((chunk) => chunk.choices[0]?.text ?? '').join('')).toBe('The sky is blue ☀️');
    expect(whole.every((chunk) => chunk.object === 'text_completion' && chunk.id === 'cmpl-call0001')).toBe(true);
    // 2023-08-04T08:52:19.385406455-07:00, nanoseconds and zone offset included.
    expect(whole[0]?.created).toBe(1691164339);
    expect(whole.at(-2)?.choices).toStrictEqual([{ index: 0, text: '', finish_reason: 'length', logprobs: null }]);
    expect(whole.at(-1)?.choices).toStrictEqual([]);
    expect(whole.at(-1)?.usage).toStrictEqual({ prompt_tokens: 26, completion_tokens: 5, total_tokens: 31 });
  });

  it('throws on an error line and on a stream without its done line', () => {
    const translator = createOllamaToOpenAiCompletionStream(CONTEXT);
    expect(translator.push('{"model":"llama3.2","created_at":"2023-08-04T08:52:19Z","response":"The","done":false}\n')).toHaveLength(1);
    expect(() => translator.push('{"error":"llama runner process has terminated"}\n')).toThrow(UpstreamError);

    const truncated = createOllamaToOpenAiCompletionStream(CONTEXT);
    truncated.push('{"model":"llama3.2","created_at":"2023-08-04T08:52:19Z","response":"The","done":false}\n{"model":"lla');
    expect(() => truncated.end()).toThrow(expect.objectContaining({ code: 'upstream_stream_truncated' }));
  });

  it('is what the adapter uses', () => {
    expect(ollamaAdapter.createCompletionStreamTranslator).toBe(createOllamaToOpenAiCompletionStream);
    expect(ollamaAdapter.fromCompletionResponse).toBe(fromOllamaGenerateResponse);
  });
});
