import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../../gateway/errors';
import { embeddingRequestSchema } from '../../../../gateway/openai';
import {
  floatsToBase64Float32,
  fromOllamaEmbedResponse,
  ollamaAdapter,
  toOllamaEmbedRequest,
} from '../../../../gateway/providers/ollama';
import { CONTEXT, readJsonFixture } from './fixtures';

const embeddingRequest = (body: Record<string, unknown>) => embeddingRequestSchema.parse({ model: 'local-embed', ...body });

describe('toOllamaEmbedRequest', () => {
  it.each([
    [{ input: 'Why is the sky blue?' }, { model: 'all-minilm', input: 'Why is the sky blue?' }],
    [
      { input: ['Why is the sky blue?', 'Why is the grass green?'], dimensions: 256, encoding_format: 'base64' },
      { model: 'all-minilm', input: ['Why is the sky blue?', 'Why is the grass green?'], dimensions: 256 },
    ],
    [{ input: 'x', keep_alive: -1 }, { model: 'all-minilm', input: 'x', keep_alive: -1 }],
  ])('%j → %j', (input, output) => {
    expect(toOllamaEmbedRequest(embeddingRequest(input), 'all-minilm')).toStrictEqual(output);
  });

  it.each([[[1, 2, 3]], [[[1, 2], [3]]]])('fails on token-id input %j, naming input', (input) => {
    expect(() => toOllamaEmbedRequest(embeddingRequest({ input }), 'all-minilm')).toThrow(
      expect.objectContaining({ constructor: InvalidRequestError, param: 'input', status: 400 }),
    );
  });

  it('is posted to /api/embed by the adapter', () => {
    const upstream = ollamaAdapter.toEmbeddingRequest?.(embeddingRequest({ input: 'Hi' }), { model: 'all-minilm' });
    expect(upstream?.url).toBe('http://localhost:11434/api/embed');
    expect(JSON.parse(upstream?.body ?? '')).toStrictEqual({ model: 'all-minilm', input: 'Hi' });
  });
});

describe('fromOllamaEmbedResponse', () => {
  it('translates the embed fixture with usage', () => {
    const response = fromOllamaEmbedResponse(readJsonFixture('embed'), CONTEXT);
    expect(response).toMatchSnapshot();
    expect(response.object).toBe('list');
    expect(response.model).toBe('local-llama');
    expect(response.data.map((item) => item.index)).toStrictEqual([0, 1]);
    expect(response.data[1]?.embedding).toHaveLength(10);
    expect((response.data[1]?.embedding as number[])[0]).toBe(-0.0098027075);
    expect(response.usage).toStrictEqual({ prompt_tokens: 16, total_tokens: 16 });
    expect(ollamaAdapter.fromEmbeddingResponse?.(readJsonFixture('embed'), CONTEXT)).toStrictEqual(response);
  });

  it('encodes base64 as OpenAI does: little-endian float32', () => {
    const response = fromOllamaEmbedResponse(readJsonFixture('embed'), CONTEXT, { encodingFormat: 'base64' });
    const encoded = response.data[0]?.embedding;
    expect(typeof encoded).toBe('string');
    const bytes = Buffer.from(encoded as string, 'base64');
    expect(bytes.length).toBe(40);
    const decoded = Array.from({ length: 10 }, (_, index) => bytes.readFloatLE(index * 4));
    const expected = (readJsonFixture('embed') as { embeddings: number[][] }).embeddings[0] ?? [];
    decoded.forEach((value, index) => expect(value).toBeCloseTo(expected[index] ?? Number.NaN, 6));
  });

  it('matches known float32 bytes', () => {
    // 1.0 = 0x3f800000, -2.0 = 0xc0000000, little-endian.
    expect(floatsToBase64Float32([1, -2])).toBe(Buffer.from([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]).toString('base64'));
    expect(floatsToBase64Float32([])).toBe('');
  });

  it('counts no tokens when Ollama leaves the count out, and fails on a malformed body', () => {
    expect(fromOllamaEmbedResponse({ model: 'all-minilm', embeddings: [[0.5]] }, CONTEXT).usage).toStrictEqual({
      prompt_tokens: 0,
      total_tokens: 0,
    });
    expect(() => fromOllamaEmbedResponse({ embedding: [0.5] }, CONTEXT)).toThrow(
      expect.objectContaining({ code: 'upstream_malformed_response' }),
    );
    expect(() => fromOllamaEmbedResponse({ error: 'this model does not support embeddings' }, CONTEXT)).toThrow(
      'ollama error: this model does not support embeddings',
    );
  });
});
