/**
 * Anthropic Messages response → OpenAI chat completion.
 *
 * - `text` blocks are joined (without a separator, as a stream would deliver them) into `message.content`;
 *   with no text, `content` is `null`, as OpenAI answers a pure tool call.
 * - `tool_use` blocks become `tool_calls` (`arguments` is the JSON text of `input`). The gateway's
 *   `json_tool_call` (the `response_format` emulation) becomes JSON `content` instead, and its `tool_use`
 *   stop reason becomes `stop`, as LiteLLM does.
 * - `thinking` blocks become `reasoning_content`; the complete thinking blocks (with their signatures, and
 *   `redacted_thinking` blocks) are also returned as `thinking_blocks`, LiteLLM's field, which a client sends
 *   back on the assistant message to continue a tool-use loop with extended thinking.
 * - Other blocks (server tool use and results, types added later) are not part of an OpenAI message and are
 *   left out.
 * - Usage counts cache reads and writes as prompt tokens, as LiteLLM does; see `anthropicUsageToOpenAiUsage`.
 *
 * @see https://docs.anthropic.com/en/api/messages
 * @see https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking
 */
import type { ChatCompletionMessage, ChatCompletionResponse, ChatToolCall, CompletionUsage, FinishReason } from '../../openai';
import type { TranslationContext } from '../provider-adapter';
import { anthropicMessagesResponseSchema } from './anthropic-api';
import type { AnthropicUsage } from './anthropic-api';
import { RESPONSE_FORMAT_TOOL_NAME } from './chat-request';
import { malformedAnthropicResponseError } from './errors';
import { anthropicStopReasonToOpenAiFinishReason } from './stop-reason';

/** A complete thinking block as the gateway returns it (LiteLLM's `thinking_blocks`). */
export type OpenAiThinkingBlock =
  | { type: 'thinking'; thinking: string; signature?: string }
  | { type: 'redacted_thinking'; data: string };

/** An OpenAI message plus LiteLLM's `thinking_blocks`. */
export interface AnthropicChatCompletionMessage extends ChatCompletionMessage {
  thinking_blocks?: OpenAiThinkingBlock[];
}

/**
 * Anthropic usage → OpenAI usage. Anthropic's `input_tokens` excludes the prompt tokens read from or written
 * to the prompt cache; OpenAI's `prompt_tokens` includes cached tokens. So, as LiteLLM does:
 * `prompt_tokens = input_tokens + cache_creation_input_tokens + cache_read_input_tokens`, with the cache
 * reads also reported as `prompt_tokens_details.cached_tokens`, and both cache counts kept as LiteLLM's
 * `cache_creation_input_tokens` / `cache_read_input_tokens` for pricing.
 *
 * @see https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching#tracking-cache-performance
 */
export function anthropicUsageToOpenAiUsage(usage: AnthropicUsage): CompletionUsage {
  const cacheCreation = usage.cache_creation_input_tokens ?? 0;
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const promptTokens = (usage.input_tokens ?? 0) + cacheCreation + cacheRead;
  const completionTokens = usage.output_tokens ?? 0;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: cacheRead },
    cache_creation_input_tokens: cacheCreation,
    cache_read_input_tokens: cacheRead,
  };
}

/**
 * The finish reason of a turn. When the only tool the model called was the gateway's `json_tool_call`, the
 * client asked for JSON, not a tool call, so `tool_use` reads as `stop`.
 *
 * @see https://docs.anthropic.com/en/api/handling-stop-reasons
 */
export function anthropicStopReasonToOpenAiChatFinishReason(
  stopReason: string | null | undefined,
  answeredWithJsonTool: boolean,
  calledClientTools: boolean,
): FinishReason | null {
  const finishReason = anthropicStopReasonToOpenAiFinishReason(stopReason);
  return finishReason === 'tool_calls' && answeredWithJsonTool && !calledClientTools ? 'stop' : finishReason;
}

function parseBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body);
  } catch (error) {
    throw malformedAnthropicResponseError('a response body that is not JSON', error);
  }
}

/**
 * An Anthropic Messages response (the parsed JSON body) as an OpenAI chat completion: `id` is Anthropic's
 * message id, `model` the model Anthropic reports, `created` the gateway's clock.
 *
 * @see https://docs.anthropic.com/en/api/messages
 * @see https://platform.openai.com/docs/api-reference/chat/object
 */
export function fromAnthropicMessagesResponse(body: unknown, context: TranslationContext): ChatCompletionResponse {
  const parsed = anthropicMessagesResponseSchema.safeParse(parseBody(body));
  if (!parsed.success) throw malformedAnthropicResponseError('a response', parsed.error);
  const response = parsed.data;

  const text: string[] = [];
  const reasoning: string[] = [];
  const thinkingBlocks: OpenAiThinkingBlock[] = [];
  const toolCalls: ChatToolCall[] = [];
  let answeredWithJsonTool = false;
  for (const block of response.content) {
    switch (block.type) {
      case 'text':
        text.push(block.text);
        break;
      case 'tool_use': {
        const argumentsText = JSON.stringify(block.input ?? {});
        if (block.name === RESPONSE_FORMAT_TOOL_NAME) {
          answeredWithJsonTool = true;
          text.push(argumentsText);
        } else {
          toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: argumentsText } });
        }
        break;
      }
      case 'thinking':
        reasoning.push(block.thinking);
        thinkingBlocks.push({
          type: 'thinking',
          thinking: block.thinking,
          ...(block.signature === undefined ? {} : { signature: block.signature }),
        });
        break;
      case 'redacted_thinking':
        thinkingBlocks.push({ type: 'redacted_thinking', data: block.data });
        break;
      case 'unknown_block':
        // Server tool use/results and block types added later have no OpenAI counterpart.
        break;
      default: {
        const unreachable: never = block;
        throw malformedAnthropicResponseError(`a content block ${JSON.stringify(unreachable)}`);
      }
    }
  }

  const message: AnthropicChatCompletionMessage = {
    role: 'assistant',
    content: text.length > 0 ? text.join('') : null,
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    ...(reasoning.length > 0 ? { reasoning_content: reasoning.join('') } : {}),
    ...(thinkingBlocks.length > 0 ? { thinking_blocks: thinkingBlocks } : {}),
  };
  return {
    id: response.id,
    object: 'chat.completion',
    created: context.created,
    model: response.model,
    choices: [
      {
        index: 0,
        message,
        finish_reason: anthropicStopReasonToOpenAiChatFinishReason(
          response.stop_reason,
          answeredWithJsonTool,
          toolCalls.length > 0,
        ),
        logprobs: null,
      },
    ],
    usage: anthropicUsageToOpenAiUsage(response.usage),
  };
}
