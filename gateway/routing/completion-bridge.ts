/**
 * Legacy `/v1/completions` in front of chat-only providers (Anthropic): the prompt becomes one user
 * message, and the chat answer becomes `text_completion` objects. Only a single string prompt can be
 * bridged; anything else is a 400 naming `prompt`.
 */
import { InvalidRequestError } from '../errors';
import type {
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatCompletionResponse,
  CompletionRequest,
  CompletionResponse,
} from '../openai';

const NOT_BRIDGED = ['prompt', 'echo', 'best_of', 'suffix', 'logprobs'] as const;

export function completionRequestToChatRequest(request: CompletionRequest, providerId: string): ChatCompletionRequest {
  const prompt = Array.isArray(request.prompt) && request.prompt.length === 1 ? request.prompt[0] : request.prompt;
  if (typeof prompt !== 'string') {
    throw new InvalidRequestError(`${providerId} serves /v1/completions through its chat API, which takes a single string prompt`, {
      param: 'prompt',
    });
  }
  const chat: Record<string, unknown> = { ...request, messages: [{ role: 'user', content: prompt }] };
  for (const key of NOT_BRIDGED) {
    if (key !== 'prompt' && chat[key] !== undefined && chat[key] !== null && chat[key] !== false) {
      throw new InvalidRequestError(`${providerId} cannot honour '${key}' on /v1/completions`, { param: key, code: 'unsupported_parameter' });
    }
    delete chat[key];
  }
  return chat as ChatCompletionRequest;
}

export function chatResponseToCompletionResponse(response: ChatCompletionResponse): CompletionResponse {
  return {
    id: response.id,
    object: 'text_completion',
    created: response.created,
    model: response.model,
    choices: response.choices.map((choice) => ({
      index: choice.index,
      text: choice.message.content ?? '',
      finish_reason: choice.finish_reason === 'length' || choice.finish_reason === 'content_filter' ? choice.finish_reason : 'stop',
      logprobs: null,
    })),
    usage: response.usage ?? null,
  };
}

export function chatChunkToCompletionChunk(chunk: ChatCompletionChunk): CompletionResponse {
  return {
    id: chunk.id,
    object: 'text_completion',
    created: chunk.created,
    model: chunk.model,
    choices: chunk.choices.map((choice) => ({
      index: choice.index,
      text: choice.delta.content ?? '',
      finish_reason:
        choice.finish_reason === null ? null : choice.finish_reason === 'length' || choice.finish_reason === 'content_filter' ? choice.finish_reason : 'stop',
      logprobs: null,
    })),
    ...(chunk.usage ? { usage: chunk.usage } : {}),
  };
}
