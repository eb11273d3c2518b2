/**
 * Legacy OpenAI completions ↔ Ollama `/api/generate`: request, response and stream.
 *
 * - `prompt` must be one text prompt: Ollama generates for one prompt per call and takes no token ids, so a
 *   batch of prompts or token arrays is rejected naming `prompt`.
 * - `suffix` → `suffix` (fill-in-the-middle, for models whose template supports it).
 * - Sampling parameters → `options`, as for chat; `max_tokens` → `num_predict`. When `max_tokens` is absent
 *   nothing is sent and Ollama's own limit applies (OpenAI's legacy default of 16 is not imposed).
 * - The non-OpenAI fields `raw` (send the prompt without the model's template) and `keep_alive` are passed on.
 * - Not supported, so left out of `OLLAMA_SUPPORTED_COMPLETION_PARAMS`: `n`, `best_of`, `echo`, `logprobs`,
 *   `logit_bias`.
 * - Response: `response` → `text`, `done_reason` → `finish_reason`, counts → `usage`; a thinking model's
 *   `thinking` has no place in a text completion and is not returned.
 *
 * @see https://github.com/ollama/ollama/blob/main/docs/api.md#generate-a-completion
 */
import { InvalidRequestError } from '../../errors';
import type { CompletionRequest, CompletionResponse } from '../../openai';
import type { CompletionStreamTranslator, TranslationContext } from '../provider-adapter';
import { readOllamaKeepAlive } from './chat-request';
import { NdjsonLineBuffer, parseNdjsonLine, translateNdjsonTail } from './chat-stream';
import { malformedOllamaResponseError, ollamaErrorMessageToUpstreamError, truncatedOllamaStreamError } from './errors';
import type { OllamaGenerateRequest, OllamaGenerateResponse } from './ollama-api';
import {
  ollamaCountsToOpenAiUsage,
  ollamaErrorSchema,
  ollamaGenerateResponseSchema,
  ollamaTimestampToUnixSeconds,
  openAiSamplingToOllamaOptions,
} from './ollama-api';
import { ollamaDoneReasonToOpenAiTextFinishReason } from './stop-reason';

/** The completion request fields `toOllamaGenerateRequest` honours, beyond `model`, `prompt` and `stream`. */
export const OLLAMA_SUPPORTED_COMPLETION_PARAMS: ReadonlySet<string> = new Set([
  'suffix',
  'temperature',
  'top_p',
  'seed',
  'stop',
  'max_tokens',
  'frequency_penalty',
  'presence_penalty',
  'raw',
  'keep_alive',
  'stream_options',
]);

export function toOllamaGenerateRequest(request: CompletionRequest, model: string): OllamaGenerateRequest {
  const options = openAiSamplingToOllamaOptions(request);
  const keepAlive = readOllamaKeepAlive(request.keep_alive);
  if (request.raw != null && typeof request.raw !== 'boolean') {
    throw new InvalidRequestError(`raw must be true or false, got ${JSON.stringify(request.raw)}`, { param: 'raw' });
  }
  return {
    model,
    prompt: openAiPromptToOllamaPrompt(request.prompt),
    ...(request.suffix != null ? { suffix: request.suffix } : {}),
    stream: request.stream ?? false,
    ...(options !== undefined ? { options } : {}),
    ...(request.raw != null ? { raw: request.raw } : {}),
    ...(keepAlive !== undefined ? { keep_alive: keepAlive } : {}),
  };
}

function openAiPromptToOllamaPrompt(prompt: CompletionRequest['prompt']): string {
  if (typeof prompt === 'string') return prompt;
  if (prompt.length === 1 && typeof prompt[0] === 'string') return prompt[0];
  if (prompt.some((item) => typeof item !== 'string')) {
    throw new InvalidRequestError('ollama takes the prompt as text, not as token ids', {
      param: 'prompt',
      code: 'unsupported_value',
    });
  }
  throw new InvalidRequestError(`ollama completes one prompt per request, got ${prompt.length}: send them separately`, {
    param: 'prompt',
    code: 'unsupported_value',
  });
}

function parseOllamaGenerateResponse(body: unknown, what: string): OllamaGenerateResponse {
  const error = ollamaErrorSchema.safeParse(body);
  if (error.success) throw ollamaErrorMessageToUpstreamError(error.data.error);
  const result = ollamaGenerateResponseSchema.safeParse(body);
  if (!result.success) throw malformedOllamaResponseError(what, result.error);
  return result.data;
}

/** @see https://github.com/ollama/ollama/blob/main/docs/api.md#request-no-streaming */
export function fromOllamaGenerateResponse(body: unknown, context: TranslationContext): CompletionResponse {
  const response = parseOllamaGenerateResponse(body, 'generate response');
  return {
    id: `cmpl-${context.callId}`,
    object: 'text_completion',
    created: ollamaTimestampToUnixSeconds(response.created_at) ?? context.created,
    model: context.requestModel,
    choices: [
      {
        index: 0,
        text: response.response ?? '',
        finish_reason: ollamaDoneReasonToOpenAiTextFinishReason(response.done_reason),
        logprobs: null,
      },
    ],
    usage: ollamaCountsToOpenAiUsage(response),
  };
}

/**
 * `/api/generate` NDJSON stream → OpenAI `text_completion` chunks: one per non-empty `response` piece, then a
 * chunk with empty text and the `finish_reason`, then one with `choices: []` and `usage` (always produced; the
 * HTTP layer forwards it when asked).
 *
 * @see https://github.com/ollama/ollama/blob/main/docs/api.md#generate-request-streaming
 */
export function createOllamaToOpenAiCompletionStream(context: TranslationContext): CompletionStreamTranslator {
  return new OllamaToOpenAiCompletionStream(context);
}

/** Per-request state: created for one response, never shared. */
class OllamaToOpenAiCompletionStream implements CompletionStreamTranslator {
  private readonly lines = new NdjsonLineBuffer();
  private readonly id: string;
  private created: number | undefined;
  private finished = false;

  constructor(private readonly context: TranslationContext) {
    this.id = `cmpl-${context.callId}`;
  }

  push(text: string): CompletionResponse[] {
    return this.lines.push(text).flatMap((line) => this.translateLine(parseNdjsonLine(line, 'generate stream line')));
  }

  end(): CompletionResponse[] {
    const chunks = translateNdjsonTail(this.lines, (parsed) => this.translateLine(parsed));
    if (!this.finished) throw truncatedOllamaStreamError();
    return chunks;
  }

  private translateLine(parsed: unknown): CompletionResponse[] {
    // Ollama sends nothing after its done line; should a server ever do, it is not part of this response.
    if (this.finished) return [];
    const response = parseOllamaGenerateResponse(parsed, 'generate stream line');
    this.created ??= ollamaTimestampToUnixSeconds(response.created_at) ?? this.context.created;
    const chunks: CompletionResponse[] = [];
    const text = response.response ?? '';
    if (text !== '') chunks.push(this.chunk([{ index: 0, text, finish_reason: null, logprobs: null }]));
    if (response.done) {
      this.finished = true;
      const finishReason = ollamaDoneReasonToOpenAiTextFinishReason(response.done_reason);
      chunks.push(this.chunk([{ index: 0, text: '', finish_reason: finishReason, logprobs: null }]));
      chunks.push({ ...this.chunk([]), usage: ollamaCountsToOpenAiUsage(response) });
    }
    return chunks;
  }

  private chunk(choices: CompletionResponse['choices']): CompletionResponse {
    return {
      id: this.id,
      object: 'text_completion',
      created: this.created ?? this.context.created,
      model: this.context.requestModel,
      choices,
    };
  }
}
