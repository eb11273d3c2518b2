export {
  createMockChatChunks,
  createMockChatResponse,
  createMockCompletionChunks,
  createMockCompletionResponse,
  createMockEmbeddingResponse,
  estimateTokens,
  splitIntoPieces,
  throwIfMockError,
} from './mock-response';
