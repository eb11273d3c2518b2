/**
 * The Azure OpenAI adapter: OpenAI's translators with Azure's URL scheme and `api-key` header.
 */
import type { ProviderAdapter } from '../provider-adapter';
import {
  createOpenAiChunkStream,
  createOpenAiCompletionChunkStream,
  fromOpenAiChatResponse,
  fromOpenAiCompletionResponse,
  fromOpenAiEmbeddingResponse,
  openAiErrorToUpstreamError,
  toOpenAiChatRequest,
  toOpenAiCompletionRequest,
  toOpenAiEmbeddingRequest,
} from '../openai';
import { toAzureOpenAiEndpoint } from './chat-request';

export const azureAdapter: ProviderAdapter = {
  id: 'azure',
  supportedChatParams: 'all',
  supportedCompletionParams: 'all',
  toChatRequest: (request, target) => toOpenAiChatRequest(request, target, toAzureOpenAiEndpoint(target)),
  fromChatResponse: fromOpenAiChatResponse,
  createChatStreamTranslator: createOpenAiChunkStream,
  toCompletionRequest: (request, target) => toOpenAiCompletionRequest(request, target, toAzureOpenAiEndpoint(target)),
  fromCompletionResponse: fromOpenAiCompletionResponse,
  createCompletionStreamTranslator: createOpenAiCompletionChunkStream,
  toEmbeddingRequest: (request, target) => toOpenAiEmbeddingRequest(request, target, toAzureOpenAiEndpoint(target)),
  fromEmbeddingResponse: fromOpenAiEmbeddingResponse,
  toUpstreamError: (status, bodyText) => openAiErrorToUpstreamError(status, bodyText, 'azure'),
};

export { AZURE_DEFAULT_API_VERSION, toAzureOpenAiEndpoint } from './chat-request';
