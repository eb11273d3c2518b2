/**
 * LiteLLM's `mock_response` semantics: a deployment with `litellm_params.mock_response` answers with that
 * text (streamed word by word when asked) without calling any upstream, and the special values
 * `litellm.RateLimitError`, `litellm.InternalServerError`, `litellm.Timeout`, `litellm.BadRequestError` and
 * `litellm.ContentPolicyViolationError` raise the matching error instead. Token counts are estimated at
 * four characters a token, as there is no tokenizer for a model that does not exist.
 *
 * @see https://docs.litellm.ai/docs/completion/mock_requests
 */
import type {
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatCompletionResponse,
  CompletionRequest,
  CompletionResponse,
  CompletionUsage,
  EmbeddingRequest,
  EmbeddingResponse,
} from '../../openai';
import { GatewayError, InvalidRequestError, UpstreamError, UpstreamTimeoutError } from '../../errors';
import type { TranslationContext } from '../provider-adapter';

export function estimateTokens(text: string): number {
  return text.length === 0 ? 0 : Math.max(1, Math.ceil(text.length / 4));
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part: { type?: string; text?: string }) => (part.type === 'text' ? (part.text ?? '') : '')).join('');
  }
  return '';
}

function usageOf(promptTokens: number, completionTokens: number): CompletionUsage {
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

/** Throws the error a LiteLLM error mock names; returns for ordinary text. */
export function throwIfMockError(mockResponse: string): void {
  switch (mockResponse) {
    case 'litellm.RateLimitError':
      throw new UpstreamError('mock rate limit error (mock_response)', { upstreamStatus: 429 });
    case 'litellm.InternalServerError':
      throw new UpstreamError('mock internal server error (mock_response)', { upstreamStatus: 500 });
    case 'litellm.Timeout':
      throw new UpstreamTimeoutError('mock timeout (mock_response)');
    case 'litellm.BadRequestError':
      throw new InvalidRequestError('mock bad request (mock_response)');
    case 'litellm.ContentPolicyViolationError':
      throw new GatewayError(400, 'invalid_request_error', 'mock content policy violation (mock_response)', {
        code: 'content_policy_violation',
      });
    default:
  }
}

function promptTokensOfChat(request: ChatCompletionRequest): number {
  let tokens = 0;
  for (const message of request.messages) tokens += estimateTokens(textOf(message.content)) + 3;
  return tokens;
}

export function createMockChatResponse(
  text: string,
  request: ChatCompletionRequest,
  context: TranslationContext,
): ChatCompletionResponse {
  throwIfMockError(text);
  const n = request.n ?? 1;
  const completionTokens = estimateTokens(text) * n;
  return {
    id: `chatcmpl-${context.callId}`,
    object: 'chat.completion',
    created: context.created,
    model: context.requestModel,
    choices: Array.from({ length: n }, (_, index) => ({
      index,
      message: { role: 'assistant' as const, content: text },
      finish_reason: 'stop' as const,
      logprobs: null,
    })),
    usage: usageOf(promptTokensOfChat(request), completionTokens),
  };
}

/** Splits text into word-sized pieces, keeping the whitespace, so that joined they give the text back. */
export function splitIntoPieces(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text.length > 0 ? [text] : []);
}

export function createMockChatChunks(
  text: string,
  request: ChatCompletionRequest,
  context: TranslationContext,
): ChatCompletionChunk[] {
  throwIfMockError(text);
  const base = { id: `chatcmpl-${context.callId}`, object: 'chat.completion.chunk' as const, created: context.created, model: context.requestModel };
  const chunks: ChatCompletionChunk[] = [
    { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
  ];
  for (const piece of splitIntoPieces(text)) {
    chunks.push({ ...base, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] });
  }
  chunks.push({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
  chunks.push({ ...base, choices: [], usage: usageOf(promptTokensOfChat(request), estimateTokens(text)) });
  return chunks;
}

function promptTextOf(request: CompletionRequest): string {
  return typeof request.prompt === 'string' ? request.prompt : request.prompt.map((p) => (typeof p === 'string' ? p : '')).join('');
}

export function createMockCompletionResponse(
  text: string,
  request: CompletionRequest,
  context: TranslationContext,
): CompletionResponse {
  throwIfMockError(text);
  return {
    id: `cmpl-${context.callId}`,
    object: 'text_completion',
    created: context.created,
    model: context.requestModel,
    choices: [{ index: 0, text, finish_reason: 'stop', logprobs: null }],
    usage: usageOf(estimateTokens(promptTextOf(request)), estimateTokens(text)),
  };
}

export function createMockCompletionChunks(
  text: string,
  request: CompletionRequest,
  context: TranslationContext,
): CompletionResponse[] {
  throwIfMockError(text);
  const base = { id: `cmpl-${context.callId}`, object: 'text_completion' as const, created: context.created, model: context.requestModel };
  const chunks: CompletionResponse[] = splitIntoPieces(text).map((piece) => ({
    ...base,
    choices: [{ index: 0, text: piece, finish_reason: null, logprobs: null }],
  }));
  chunks.push({ ...base, choices: [{ index: 0, text: '', finish_reason: 'stop', logprobs: null }] });
  chunks.push({ ...base, choices: [], usage: usageOf(estimateTokens(promptTextOf(request)), estimateTokens(text)) });
  return chunks;
}

/**
 * A deterministic unit vector per input, so that equal inputs embed equally and tests can compare them.
 * @default dimensions 16, or the request's `dimensions`
 */
export function createMockEmbeddingResponse(
  mockResponse: string,
  request: EmbeddingRequest,
  context: TranslationContext,
): EmbeddingResponse {
  throwIfMockError(mockResponse);
  const inputs: string[] = typeof request.input === 'string'
    ? [request.input]
    : (request.input as unknown[]).map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
  const dimensions = request.dimensions ?? 16;
  let promptTokens = 0;
  const data = inputs.map((input, index) => {
    promptTokens += estimateTokens(input);
    return { object: 'embedding' as const, index, embedding: deterministicVector(input, dimensions) };
  });
  return { object: 'list', data, model: context.requestModel, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } };
}

function deterministicVector(input: string, dimensions: number): number[] {
  // FNV-1a seeds a xorshift generator; the vector is normalised to length 1.
  let seed = 0x811c9dc5;
  for (let i = 0; i < input.length; i++) seed = Math.imul(seed ^ input.charCodeAt(i), 0x01000193) >>> 0;
  const vector: number[] = [];
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    seed ^= seed << 13; seed >>>= 0;
    seed ^= seed >>> 17;
    seed ^= seed << 5; seed >>>= 0;
    const value = seed / 0xffffffff - 0.5;
    vector.push(value);
    norm += value * value;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  return vector.map((value) => Number((value * scale).toFixed(6)));
}
