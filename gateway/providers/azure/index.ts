/**
 * The Azure OpenAI adapter: OpenAI's translators with Azure's URL scheme and `api-key` header.
 */
import { perTarget } from '../provider-adapter';
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

const endpointFor = perTarget(toAzureOpenAiEndpoint);

export const azureAdapter: ProviderAdapter = {
  id: 'azure',
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
  toUpstreamError: (status, bodyText) => openAiErrorToUpstreamError(status, bodyText, 'azure'),
};

export { AZURE_DEFAULT_API_VERSION, toAzureOpenAiEndpoint } from './chat-request';
