/**
 * OpenAI(-compatible) SSE → OpenAI chunks. Each `data:` event is one chunk; `data: [DONE]` ends the
 * stream; a `data:` event carrying `{"error": …}` (how OpenAI and vLLM report a failure after the stream
 * started) is thrown as an `UpstreamError`.
 *
 * @see https://platform.openai.com/docs/api-reference/chat/streaming
 */
import { createParser } from 'eventsource-parser';
import type { EventSourceMessage } from 'eventsource-parser';
import type { ChatCompletionChunk, CompletionResponse } from '../../openai';
import { UpstreamError, redactSecrets } from '../../errors';
import { rememberChunkText } from '../provider-adapter';
import type { StreamTranslator, TranslationContext } from '../provider-adapter';
import { OPENAI_STREAM_DONE } from './openai-api';
import { normalizeOpenAiFinishReason } from './stop-reason';

interface ParsedEvent {
  readonly data: Record<string, unknown>;
  /** The event's JSON text as the upstream sent it. */
  readonly text: string;
}

/**
 * A per-request SSE reader shared by the chat and legacy-completion streams. Not safe to share between
 * requests.
 */
class OpenAiSseReader<Chunk> implements StreamTranslator<Chunk> {
  private readonly parser;
  private pending: Chunk[] = [];
  private done = false;
  private failure: UpstreamError | undefined;

  constructor(
    private readonly context: TranslationContext,
    private readonly normalize: (event: ParsedEvent, context: TranslationContext) => Chunk,
  ) {
    this.parser = createParser({ onEvent: (event) => this.onEvent(event) });
  }

  push(text: string): Chunk[] {
    this.parser.feed(text);
    return this.drain();
  }

  end(): Chunk[] {
    this.parser.reset({ consume: true });
    const out = this.drain();
    if (!this.done) {
      throw new UpstreamError('upstream stream ended before [DONE]', { code: 'incomplete_stream' });
    }
    return out;
  }

  private drain(): Chunk[] {
    if (this.failure) {
      const failure = this.failure;
      this.failure = undefined;
      throw failure;
    }
    const out = this.pending;
    this.pending = [];
    return out;
  }

  private onEvent(event: EventSourceMessage): void {
    if (this.done || this.failure) return;
    if (event.data === OPENAI_STREAM_DONE) {
      this.done = true;
      return;
    }
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      this.failure = new UpstreamError('upstream sent a stream event that is not JSON', { code: 'invalid_upstream_response' });
      return;
    }
    if (typeof data !== 'object' || data === null) {
      this.failure = new UpstreamError('upstream sent a stream event that is not an object', { code: 'invalid_upstream_response' });
      return;
    }
    const record = data as Record<string, unknown>;
    if (record.error !== undefined || event.event === 'error') {
      this.failure = streamErrorToUpstreamError(record.error ?? record);
      return;
    }
    this.pending.push(this.normalize({ data: record, text: event.data }, this.context));
  }
}

function streamErrorToUpstreamError(error: unknown): UpstreamError {
  if (typeof error === 'object' && error !== null) {
    const record = error as Record<string, unknown>;
    const message = typeof record.message === 'string' ? record.message : 'upstream reported an error mid-stream';
    const code = typeof record.code === 'number' ? record.code : undefined;
    return new UpstreamError(redactSecrets(message), {
      ...(code !== undefined ? { upstreamStatus: code } : {}),
      code: typeof record.code === 'string' ? record.code : 'upstream_stream_error',
    });
  }
  return new UpstreamError(typeof error === 'string' ? redactSecrets(error) : 'upstream reported an error mid-stream', {
    code: 'upstream_stream_error',
  });
}

/** Maps non-OpenAI finish reasons some compatible servers send (`eos`, `abort`) in place; says whether any changed. */
export function normalizeFinishReasons(choices: unknown[]): boolean {
  let changed = false;
  for (const choice of choices) {
    if (typeof choice !== 'object' || choice === null) continue;
    const record = choice as { finish_reason?: unknown };
    if (record.finish_reason !== undefined && record.finish_reason !== null) {
      const normalized = normalizeOpenAiFinishReason(record.finish_reason);
      if (normalized !== record.finish_reason) {
        record.finish_reason = normalized;
        changed = true;
      }
    }
  }
  return changed;
}

/**
 * Fills what the gateway relies on and a compatible server may leave out (`id`, `created`, `model`,
 * `object`); says whether anything changed (when nothing did, the upstream's own bytes can go out).
 */
export function fillOpenAiFields(record: Record<string, unknown>, idPrefix: string, object: string, context: TranslationContext): boolean {
  let changed = false;
  if (typeof record.id !== 'string') {
    record.id = `${idPrefix}-${context.callId}`;
    changed = true;
  }
  if (typeof record.created !== 'number') {
    record.created = context.created;
    changed = true;
  }
  if (typeof record.model !== 'string') {
    record.model = context.requestModel;
    changed = true;
  }
  if (record.object !== object) {
    record.object = object;
    changed = true;
  }
  return changed;
}

function normalizeChatChunk(event: ParsedEvent, context: TranslationContext): ChatCompletionChunk {
  const chunk = event.data;
  let changed = fillOpenAiFields(chunk, 'chatcmpl', 'chat.completion.chunk', context);
  if (!Array.isArray(chunk.choices)) {
    chunk.choices = [];
    changed = true;
  }
  if (normalizeFinishReasons(chunk.choices as unknown[])) changed = true;
  // Untouched, the upstream's own text goes to the client (no second serialisation).
  // (Only single-line text: an event whose data spanned several `data:` lines must be re-framed.)
  if (!changed && !event.text.includes('\n')) rememberChunkText(chunk, event.text);
  return chunk as unknown as ChatCompletionChunk;
}

function normalizeCompletionChunk(event: ParsedEvent, context: TranslationContext): CompletionResponse {
  const chunk = event.data;
  if (typeof chunk.id !== 'string') chunk.id = `cmpl-${context.callId}`;
  if (typeof chunk.created !== 'number') chunk.created = context.created;
  if (typeof chunk.model !== 'string') chunk.model = context.requestModel;
  if (!Array.isArray(chunk.choices)) chunk.choices = [];
  chunk.object = 'text_completion';
  return chunk as unknown as CompletionResponse;
}

export function createOpenAiChunkStream(context: TranslationContext): StreamTranslator<ChatCompletionChunk> {
  return new OpenAiSseReader(context, normalizeChatChunk);
}

export function createOpenAiCompletionChunkStream(context: TranslationContext): StreamTranslator<CompletionResponse> {
  return new OpenAiSseReader(context, normalizeCompletionChunk);
}
