export { findProviderAdapter, providerPrefixes } from './provider-registry';
export { chunkTextOf, chunkTextWithoutNullUsage, isUntouched, markUntouched, rememberChunkText } from './provider-adapter';
export type {
  ChatStreamTranslator,
  CompletionStreamTranslator,
  ProviderAdapter,
  StreamTranslator,
  SupportedParams,
  TranslationContext,
  UpstreamRequest,
  UpstreamTarget,
} from './provider-adapter';
export {
  createMockChatChunks,
  createMockChatResponse,
  createMockCompletionChunks,
  createMockCompletionResponse,
  createMockEmbeddingResponse,
} from './mock';
