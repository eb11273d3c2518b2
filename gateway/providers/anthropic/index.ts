/**
 * The Anthropic adapter: OpenAI Chat Completions ⇄ Anthropic Messages (`POST {api_base}/v1/messages`).
 * Anthropic has no legacy completions or embeddings API, so those members are absent.
 *
 * @see https://docs.anthropic.com/en/api/messages
 */
import type { ProviderAdapter } from '../provider-adapter';
import { toAnthropicMessagesUpstreamRequest } from './chat-request';
import { fromAnthropicMessagesResponse } from './chat-response';
import { createAnthropicToOpenAiChunkStream } from './chat-stream';
import { anthropicErrorToUpstreamError } from './errors';

/**
 * The chat request fields the adapter translates. Not here, so left to `drop_params` or a 400 by the
 * routing layer: `n` (Anthropic returns one choice), `logprobs`/`top_logprobs`, `seed`, `presence_penalty`,
 * `frequency_penalty` and `logit_bias` (Anthropic has none of them). `top_k` and `thinking` are Anthropic's
 * own fields, forwarded as they are.
 */
export const ANTHROPIC_SUPPORTED_CHAT_PARAMS: ReadonlySet<string> = new Set([
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'stop',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'user',
  'metadata',
  'stream_options',
  'top_k',
  'thinking',
]);

export const anthropicAdapter: ProviderAdapter = {
  id: 'anthropic',
  supportedChatParams: ANTHROPIC_SUPPORTED_CHAT_PARAMS,
  toChatRequest: toAnthropicMessagesUpstreamRequest,
  fromChatResponse: fromAnthropicMessagesResponse,
  createChatStreamTranslator: createAnthropicToOpenAiChunkStream,
  toUpstreamError: anthropicErrorToUpstreamError,
};

export {
  ANTHROPIC_DEFAULT_API_BASE,
  ANTHROPIC_DEFAULT_API_VERSION,
  ANTHROPIC_DEFAULT_MAX_TOKENS,
  RESPONSE_FORMAT_TOOL_NAME,
  anthropicHeaders,
  anthropicMessagesUrl,
  openAiImageUrlToAnthropicImageBlock,
  openAiMessagesToAnthropicMessages,
  openAiResponseFormatToAnthropicTool,
  openAiToolChoiceToAnthropicToolChoice,
  openAiToolToAnthropicTool,
  toAnthropicMessagesRequest,
  toAnthropicMessagesUpstreamRequest,
} from './chat-request';
export {
  anthropicStopReasonToOpenAiChatFinishReason,
  anthropicUsageToOpenAiUsage,
  fromAnthropicMessagesResponse,
} from './chat-response';
export type { AnthropicChatCompletionMessage, OpenAiThinkingBlock } from './chat-response';
export { createAnthropicToOpenAiChunkStream } from './chat-stream';
export type { AnthropicChatCompletionChunkDelta } from './chat-stream';
export {
  anthropicErrorToUpstreamError,
  anthropicErrorTypeToHttpStatus,
  anthropicStreamErrorToUpstreamError,
  malformedAnthropicResponseError,
} from './errors';
export { anthropicStopReasonToOpenAiFinishReason } from './stop-reason';
export {
  ANTHROPIC_ERROR_TYPES,
  ANTHROPIC_STOP_REASONS,
  anthropicErrorBodySchema,
  anthropicMessagesRequestSchema,
  anthropicMessagesResponseSchema,
  anthropicStreamEventSchema,
} from './anthropic-api';
export type {
  AnthropicContentBlock,
  AnthropicContentBlockParam,
  AnthropicErrorBody,
  AnthropicErrorType,
  AnthropicMessageParam,
  AnthropicMessagesRequest,
  AnthropicMessagesResponse,
  AnthropicStopReason,
  AnthropicStreamEvent,
  AnthropicTool,
  AnthropicToolChoice,
  AnthropicUsage,
} from './anthropic-api';
