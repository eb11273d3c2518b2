/**
 * The OpenAI adapter and its OpenAI-compatible siblings (vLLM, NVIDIA NIM, Groq, Mistral, …): one
 * translator, a different default base URL per provider prefix.
 */
import { perTarget } from '../provider-adapter';
import type { ProviderAdapter } from '../provider-adapter';
import { ConfigurationError } from '../../errors';
import {
  openAiBearerHeaders,
  toOpenAiChatRequest,
  toOpenAiCompletionRequest,
  toOpenAiEmbeddingRequest,
} from './chat-request';
import type { OpenAiEndpoint } from './chat-request';
import { fromOpenAiChatResponse, fromOpenAiCompletionResponse, fromOpenAiEmbeddingResponse } from './chat-response';
import { createOpenAiChunkStream, createOpenAiCompletionChunkStream } from './chat-stream';
import { openAiErrorToUpstreamError } from './errors';

export interface OpenAiCompatibleAdapterOptions {
  /** The provider prefix (`groq`, `hosted_vllm`). */
  readonly id: string;
  /**
   * Base URL used when the deployment sets no `api_base`.
   * @default - none: the deployment must set `api_base`
   */
  readonly defaultApiBase?: string;
}

export function createOpenAiCompatibleAdapter({ id, defaultApiBase }: OpenAiCompatibleAdapterOptions): ProviderAdapter {
  const endpointFor = perTarget((target): OpenAiEndpoint => {
    const baseUrl = target.apiBase ?? defaultApiBase;
    if (!baseUrl) {
      throw new ConfigurationError(`deployment of ${id}/${target.model} has no api_base; set litellm_params.api_base`, {
        code: 'missing_api_base',
      });
    }
    return { baseUrl, headers: openAiBearerHeaders(target) };
  });
  return {
    id,
    supportedChatParams: 'all',
    supportedCompletionParams: 'all',
    toChatRequest: (request, target) => toOpenAiChatRequest(request, target, endpointFor(target)),
    fromChatResponse: fromOpenAiChatResponse,
    createChatStreamTranslator: createOpenAiChunkStream,
    toCompletionRequest: (request, target) => toOpenAiCompletionRequest(request, target, endpointFor(target)),
    fromCompletionResponse: fromOpenAiCompletionResponse,
    createCompletionStreamTranslator: createOpenAiCompletionChunkStream,
    toEmbeddingRequest: (request, target) => toOpenAiEmbeddingRequest(request, target, endpointFor(target)),
    fromEmbeddingResponse: fromOpenAiEmbeddingResponse,
    toUpstreamError: (status, bodyText) => openAiErrorToUpstreamError(status, bodyText, id),
  };
}

export const openAiAdapter: ProviderAdapter = createOpenAiCompatibleAdapter({
  id: 'openai',
  defaultApiBase: 'https://api.openai.com/v1',
});

export {
  openAiBearerHeaders,
  toOpenAiChatRequest,
  toOpenAiCompletionRequest,
  toOpenAiEmbeddingRequest,
} from './chat-request';
export type { OpenAiEndpoint } from './chat-request';
export { fromOpenAiChatResponse, fromOpenAiCompletionResponse, fromOpenAiEmbeddingResponse } from './chat-response';
export { createOpenAiChunkStream, createOpenAiCompletionChunkStream, normalizeFinishReasons } from './chat-stream';
export { openAiErrorToUpstreamError } from './errors';
export { normalizeOpenAiFinishReason, openAiCompatibleFinishReasonToOpenAiFinishReason } from './stop-reason';
