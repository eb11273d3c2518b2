/**
 * The Ollama provider: OpenAI chat, legacy completions and embeddings over Ollama's native API. Serves the
 * LiteLLM prefixes `ollama/` and `ollama_chat/` (both use `/api/chat` for chat here).
 *
 * @see https://github.com/ollama/ollama/blob/main/docs/api.md
 */
import type { ProviderAdapter } from '../provider-adapter';
import { OLLAMA_SUPPORTED_CHAT_PARAMS, toOllamaChatRequest } from './chat-request';
import { fromOllamaChatResponse } from './chat-response';
import { createOllamaToOpenAiChunkStream } from './chat-stream';
import {
  OLLAMA_SUPPORTED_COMPLETION_PARAMS,
  createOllamaToOpenAiCompletionStream,
  fromOllamaGenerateResponse,
  toOllamaGenerateRequest,
} from './completion';
import { fromOllamaEmbedResponse, toOllamaEmbedRequest } from './embedding';
import { ollamaErrorToUpstreamError } from './errors';
import { toOllamaUpstreamRequest } from './ollama-api';

export const ollamaAdapter: ProviderAdapter = {
  id: 'ollama',
  supportedChatParams: OLLAMA_SUPPORTED_CHAT_PARAMS,
  toChatRequest: (request, target) => toOllamaUpstreamRequest(target, '/api/chat', toOllamaChatRequest(request, target.model)),
  fromChatResponse: fromOllamaChatResponse,
  createChatStreamTranslator: createOllamaToOpenAiChunkStream,

  supportedCompletionParams: OLLAMA_SUPPORTED_COMPLETION_PARAMS,
  toCompletionRequest: (request, target) =>
    toOllamaUpstreamRequest(target, '/api/generate', toOllamaGenerateRequest(request, target.model)),
  fromCompletionResponse: fromOllamaGenerateResponse,
  createCompletionStreamTranslator: createOllamaToOpenAiCompletionStream,

  toEmbeddingRequest: (request, target) => toOllamaUpstreamRequest(target, '/api/embed', toOllamaEmbedRequest(request, target.model)),
  // The contract passes no request here, so vectors come back as floats; see `fromOllamaEmbedResponse` for base64.
  fromEmbeddingResponse: (body, context) => fromOllamaEmbedResponse(body, context),

  toUpstreamError: ollamaErrorToUpstreamError,
};

export {
  OLLAMA_SUPPORTED_CHAT_PARAMS,
  openAiContentToOllamaContent,
  openAiMessagesToOllamaMessages,
  openAiReasoningEffortToOllamaThink,
  openAiResponseFormatToOllamaFormat,
  openAiToolsToOllamaTools,
  readOllamaKeepAlive,
  toOllamaChatRequest,
} from './chat-request';
export {
  fromOllamaChatResponse,
  generateToolCallId,
  ollamaToolCallsToOpenAiToolCalls,
  parseOllamaChatResponse,
} from './chat-response';
export { NdjsonLineBuffer, createOllamaToOpenAiChunkStream, parseNdjsonLine } from './chat-stream';
export {
  OLLAMA_SUPPORTED_COMPLETION_PARAMS,
  createOllamaToOpenAiCompletionStream,
  fromOllamaGenerateResponse,
  toOllamaGenerateRequest,
} from './completion';
export { floatsToBase64Float32, fromOllamaEmbedResponse, toOllamaEmbedRequest } from './embedding';
export type { OllamaEmbedResponseOptions } from './embedding';
export {
  malformedOllamaResponseError,
  ollamaErrorMessageToUpstreamError,
  ollamaErrorToUpstreamError,
  parseOllamaErrorMessage,
  truncatedOllamaStreamError,
} from './errors';
export {
  OLLAMA_DEFAULT_API_BASE,
  ollamaChatResponseSchema,
  ollamaCountsToOpenAiUsage,
  ollamaEmbedResponseSchema,
  ollamaErrorSchema,
  ollamaGenerateResponseSchema,
  ollamaTimestampToUnixSeconds,
  toOllamaUpstreamRequest,
} from './ollama-api';
export type {
  OllamaApiPath,
  OllamaChatMessage,
  OllamaChatRequest,
  OllamaChatResponse,
  OllamaEmbedRequest,
  OllamaEmbedResponse,
  OllamaGenerateRequest,
  OllamaGenerateResponse,
  OllamaOptions,
  OllamaTool,
  OllamaToolCall,
} from './ollama-api';
export {
  OLLAMA_DONE_REASONS,
  ollamaDoneReasonToOpenAiFinishReason,
  ollamaDoneReasonToOpenAiTextFinishReason,
} from './stop-reason';
export type { OllamaDoneReason, OllamaTextFinishReason } from './stop-reason';
