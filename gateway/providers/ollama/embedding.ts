/**
 * OpenAI embeddings ↔ Ollama `/api/embed`.
 *
 * - `input`: a string or a list of strings, passed as it is; token-id inputs are rejected naming `input`
 *   (Ollama embeds text only).
 * - `dimensions` → `dimensions` (Ollama truncates and renormalizes, for models that support it).
 * - `encoding_format`: Ollama always answers floats. `base64` is produced here, the way OpenAI encodes it
 *   (each vector as little-endian float32 bytes, base64-encoded) when `fromOllamaEmbedResponse` is told so.
 * - Response: `embeddings[i]` → `data[i]`, `prompt_eval_count` → `usage.prompt_tokens` and `total_tokens`.
 *
 * @see https://github.com/ollama/ollama/blob/main/docs/api.md#generate-embeddings
 */
import { floatsToBase64Float32 } from '../../openai';
import { InvalidRequestError } from '../../errors';
import type { EmbeddingRequest, EmbeddingResponse } from '../../openai';
import type { TranslationContext } from '../provider-adapter';
import { readOllamaKeepAlive } from './chat-request';
import { malformedOllamaResponseError, ollamaErrorMessageToUpstreamError } from './errors';
import type { OllamaEmbedRequest } from './ollama-api';
import { ollamaEmbedResponseSchema, ollamaErrorSchema } from './ollama-api';

export function toOllamaEmbedRequest(request: EmbeddingRequest, model: string): OllamaEmbedRequest {
  const { input } = request;
  if (typeof input !== 'string' && input.some((item) => typeof item !== 'string')) {
    throw new InvalidRequestError('ollama embeds text only: send input as a string or a list of strings, not token ids', {
      param: 'input',
      code: 'unsupported_value',
    });
  }
  const keepAlive = readOllamaKeepAlive(request.keep_alive);
  return {
    model,
    input: input as string | string[],
    ...(request.dimensions !== undefined ? { dimensions: request.dimensions } : {}),
    ...(keepAlive !== undefined ? { keep_alive: keepAlive } : {}),
  };
}

export interface OllamaEmbedResponseOptions {
  /**
   * The client's `encoding_format`.
   * @default 'float'
   */
  readonly encodingFormat?: 'float' | 'base64';
}

export function fromOllamaEmbedResponse(
  body: unknown,
  context: TranslationContext,
  options: OllamaEmbedResponseOptions = {},
): EmbeddingResponse {
  const error = ollamaErrorSchema.safeParse(body);
  if (error.success) throw ollamaErrorMessageToUpstreamError(error.data.error);
  const result = ollamaEmbedResponseSchema.safeParse(body);
  if (!result.success) throw malformedOllamaResponseError('embed response', result.error);
  const response = result.data;
  const promptTokens = response.prompt_eval_count ?? 0;
  return {
    object: 'list',
    data: response.embeddings.map((vector, index) => ({
      object: 'embedding',
      index,
      embedding: options.encodingFormat === 'base64' ? floatsToBase64Float32(vector) : vector,
    })),
    model: context.requestModel,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}

export { floatsToBase64Float32 };
