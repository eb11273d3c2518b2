/**
 * Ollama `/api/chat` response (`stream: false`) → OpenAI chat completion.
 *
 * - `message.content` → `content` (`null` when the turn is only tool calls, as OpenAI sends it).
 * - `message.thinking` → `reasoning_content`.
 * - `message.tool_calls` → `tool_calls`: Ollama gives calls no id, so each gets a generated `call_<random>`
 *   id, and the arguments object is serialized to the JSON string OpenAI uses.
 * - `done_reason` → `finish_reason` (see `stop-reason.ts`); `prompt_eval_count` / `eval_count` → `usage`.
 * - `created_at` → `created`; the id is the gateway's call id and `model` the name the client asked for.
 *
 * @see https://github.com/ollama/ollama/blob/main/docs/api.md#chat-request-no-streaming
 */
import { randomUUID } from 'node:crypto';
import type { ChatCompletionMessage, ChatCompletionResponse, ChatToolCall } from '../../openai';
import type { TranslationContext } from '../provider-adapter';
import { malformedOllamaResponseError, ollamaErrorMessageToUpstreamError } from './errors';
import type { OllamaChatResponse, OllamaResponseToolCall } from './ollama-api';
import {
  ollamaChatResponseSchema,
  ollamaCountsToOpenAiUsage,
  ollamaErrorSchema,
  ollamaTimestampToUnixSeconds,
} from './ollama-api';
import { ollamaDoneReasonToOpenAiFinishReason } from './stop-reason';

export function fromOllamaChatResponse(body: unknown, context: TranslationContext): ChatCompletionResponse {
  const response = parseOllamaChatResponse(body, 'chat response');
  const toolCalls = ollamaToolCallsToOpenAiToolCalls(response.message?.tool_calls);
  const text = response.message?.content ?? '';
  const thinking = response.message?.thinking ?? '';
  const message: ChatCompletionMessage = {
    role: 'assistant',
    content: text === '' && toolCalls.length > 0 ? null : text,
    ...(thinking !== '' ? { reasoning_content: thinking } : {}),
    ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
  };
  return {
    id: `chatcmpl-${context.callId}`,
    object: 'chat.completion',
    created: ollamaTimestampToUnixSeconds(response.created_at) ?? context.created,
    model: context.requestModel,
    choices: [
      {
        index: 0,
        message,
        finish_reason: ollamaDoneReasonToOpenAiFinishReason(response.done_reason, toolCalls.length > 0),
        logprobs: null,
      },
    ],
    usage: ollamaCountsToOpenAiUsage(response),
  };
}

/**
 * Validates one `/api/chat` answer (a whole response or one stream line). An `{"error": …}` body becomes the
 * `UpstreamError` it reports; anything else that is not the documented shape is a malformed response.
 */
export function parseOllamaChatResponse(body: unknown, what: string): OllamaChatResponse {
  const error = ollamaErrorSchema.safeParse(body);
  if (error.success) throw ollamaErrorMessageToUpstreamError(error.data.error);
  const result = ollamaChatResponseSchema.safeParse(body);
  if (!result.success) throw malformedOllamaResponseError(what, result.error);
  return result.data;
}

/** A fresh OpenAI-style tool call id (`call_` and 24 random alphanumerics). */
export function generateToolCallId(): string {
  return `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
}

/** Ollama tool calls (arguments as an object, no id) → OpenAI tool calls (arguments as JSON text, with an id). */
export function ollamaToolCallsToOpenAiToolCalls(
  toolCalls: readonly OllamaResponseToolCall[] | null | undefined,
): ChatToolCall[] {
  return (toolCalls ?? []).map((toolCall) => ({
    id: generateToolCallId(),
    type: 'function',
    function: { name: toolCall.function.name, arguments: JSON.stringify(toolCall.function.arguments ?? {}) },
  }));
}
