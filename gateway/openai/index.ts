export {
  chatCompletionRequestSchema,
  chatMessageSchema,
  contentPartSchema,
  functionToolSchema,
  responseFormatSchema,
  toolChoiceSchema,
} from './chat';
export { isCommonChatRequest } from './chat-fast-check';
export type {
  ChatCompletionChoice,
  ChatCompletionChunk,
  ChatCompletionChunkChoice,
  ChatCompletionChunkDelta,
  ChatCompletionChunkToolCall,
  ChatCompletionLogprobs,
  ChatCompletionMessage,
  ChatCompletionRequest,
  ChatCompletionResponse,
  ChatMessage,
  ChatToolCall,
  CompletionUsage,
  ContentPart,
  FinishReason,
  FunctionTool,
  ResponseFormat,
  ToolChoice,
} from './chat';
export { completionRequestSchema } from './completions';
export type { CompletionChoice, CompletionRequest, CompletionResponse } from './completions';
export { embeddingRequestSchema, floatsToBase64Float32 } from './embeddings';
export type { Embedding, EmbeddingRequest, EmbeddingResponse } from './embeddings';
export type { ModelList, ModelObject } from './models';
export type { OpenAiErrorBody } from './error';
