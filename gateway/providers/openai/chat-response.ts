/**
 * OpenAI(-compatible) responses → the gateway's OpenAI contract. The body is already in the right shape;
 * this checks the fields the gateway relies on, so a server that answers 200 with something else is
 * reported as an upstream error instead of being forwarded.
 *
 * @see https://platform.openai.com/docs/api-reference/chat/object
 */
import type { ChatCompletionResponse, CompletionResponse, EmbeddingResponse } from '../../openai';
import { UpstreamError } from '../../errors';
import { markUntouched } from '../provider-adapter';
import type { TranslationContext } from '../provider-adapter';
import { fillOpenAiFields, normalizeFinishReasons } from './chat-stream';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireChoices(body: unknown, what: string): Record<string, unknown> {
  if (!isRecord(body) || !Array.isArray(body.choices)) {
    throw new UpstreamError(`upstream returned a ${what} without choices`, { code: 'invalid_upstream_response' });
  }
  return body;
}

export function fromOpenAiChatResponse(body: unknown, context: TranslationContext): ChatCompletionResponse {
  const response = requireChoices(body, 'chat completion');
  const filled = fillOpenAiFields(response, 'chatcmpl', 'chat.completion', context);
  const normalized = normalizeFinishReasons(response.choices as unknown[]);
  if (!filled && !normalized) markUntouched(response);
  return response as unknown as ChatCompletionResponse;
}

export function fromOpenAiCompletionResponse(body: unknown, context: TranslationContext): CompletionResponse {
  const response = requireChoices(body, 'completion');
  if (!fillOpenAiFields(response, 'cmpl', 'text_completion', context)) markUntouched(response);
  return response as unknown as CompletionResponse;
}

export function fromOpenAiEmbeddingResponse(body: unknown, context: TranslationContext): EmbeddingResponse {
  if (!isRecord(body) || !Array.isArray(body.data)) {
    throw new UpstreamError('upstream returned an embedding list without data', { code: 'invalid_upstream_response' });
  }
  if (typeof body.model !== 'string') body.model = context.requestModel;
  if (!isRecord(body.usage)) body.usage = { prompt_tokens: 0, total_tokens: 0 };
  body.object = 'list';
  return body as unknown as EmbeddingResponse;
}
