export { ModelRegistry } from './model-registry';
export { ModelRouter } from './model-router';
export type {
  CallInfo,
  CallOptions,
  CallResult,
  ChatResult,
  CompletionResult,
  EmbeddingResult,
  ModelRouterOptions,
} from './model-router';
export { UpstreamClient, toUpstreamTransportError } from './upstream-client';
export { chunkSourceFromArray, chunkSourceFromUpstream } from './chunk-source';
export { Cancellation } from './cancellation';
export type { CancelSignal } from './cancellation';
export type { ChunkSource } from './chunk-source';
export type { UpstreamCallOptions, UpstreamClientOptions, UpstreamStream, UpstreamStreamConsumer, UpstreamTextResponse } from './upstream-client';
export { enforceSupportedParams } from './supported-params';
export {
  chatChunkToCompletionChunk,
  chatResponseToCompletionResponse,
  completionRequestToChatRequest,
} from './completion-bridge';
