/**
 * Anthropic Messages stream (server-sent events) → OpenAI chat completion chunks.
 *
 * Anthropic's stream is `message_start`, then per content block `content_block_start`, one or more
 * `content_block_delta` and `content_block_stop`, then `message_delta` (stop reason, final usage) and
 * `message_stop`, with `ping`s anywhere. Translation, event by event:
 * - `message_start` → the first chunk, `delta: { role: 'assistant', content: '' }`; its message id and model
 *   become every chunk's `id` and `model`, and its usage (input and cache tokens) is kept.
 * - `content_block_start`: `tool_use` → a `tool_calls` delta with the call's `index` (counting tool calls
 *   only, not Anthropic's block index), `id`, `type` and `function.name` (`arguments: ''`); `text` and
 *   `thinking` → nothing unless they already carry text.
 * - `content_block_delta`: `text_delta` → `content`; `input_json_delta` → `tool_calls[].function.arguments`;
 *   `thinking_delta` → `reasoning_content`. `signature_delta` is kept for the thinking block.
 * - `content_block_stop` of a thinking block → a `thinking_blocks` delta carrying the complete block with its
 *   signature (LiteLLM's field), which a client needs to continue a tool-use loop with extended thinking.
 * - `message_delta` → a chunk with `delta: {}` and the `finish_reason`; its usage (cumulative) updates the
 *   kept usage.
 * - `message_stop` → a final chunk with `choices: []` and the `usage`, always; the HTTP layer drops it when
 *   the client did not ask for `stream_options.include_usage`.
 * - `ping` → nothing. `error` → an `UpstreamError` (see `anthropicStreamErrorToUpstreamError`).
 * - Event, block and delta types the gateway does not know (Anthropic may add them at any time, its
 *   versioning policy says) → nothing: they carry nothing an OpenAI chunk can hold.
 *
 * The gateway's `json_tool_call` (the `response_format` emulation) streams as `content` instead of a tool
 * call, and its `tool_use` stop reason becomes `stop`, matching the non-streaming translation.
 *
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming
 * @see https://platform.openai.com/docs/api-reference/chat-streaming/streaming
 */
import { createParser } from 'eventsource-parser';
import type { EventSourceMessage, EventSourceParser } from 'eventsource-parser';
import type { ChatCompletionChunk, ChatCompletionChunkDelta, CompletionUsage, FinishReason } from '../../openai';
import { UpstreamError } from '../../errors';
import type { ChatStreamTranslator, TranslationContext } from '../provider-adapter';
import { anthropicStreamEventSchema } from './anthropic-api';
import type { AnthropicContentBlock, AnthropicContentBlockDelta, AnthropicStreamEvent, AnthropicUsage } from './anthropic-api';
import { RESPONSE_FORMAT_TOOL_NAME } from './chat-request';
import { anthropicStopReasonToOpenAiChatFinishReason, anthropicUsageToOpenAiUsage } from './chat-response';
import type { OpenAiThinkingBlock } from './chat-response';
import { anthropicStreamErrorToUpstreamError, malformedAnthropicResponseError } from './errors';

/** An OpenAI chunk delta plus LiteLLM's `thinking_blocks`. */
export interface AnthropicChatCompletionChunkDelta extends ChatCompletionChunkDelta {
  thinking_blocks?: OpenAiThinkingBlock[];
}

function streamEndedEarly(cause?: unknown): UpstreamError {
  return new UpstreamError('anthropic stream ended before message_stop', cause === undefined ? {} : { cause });
}

/** What an open content block is, to the translator. */
type OpenBlock =
  | { readonly kind: 'text' }
  | { readonly kind: 'tool_call'; readonly toolCallIndex: number }
  | { readonly kind: 'json_answer' }
  | { kind: 'thinking'; thinking: string; signature?: string }
  | { readonly kind: 'redacted_thinking'; readonly data: string }
  | { readonly kind: 'ignored' };

/**
 * One stream's translator: created per request and never shared (it holds the SSE parser's buffer, the open
 * content blocks and the usage so far).
 */
class AnthropicToOpenAiChunkStream implements ChatStreamTranslator {
  readonly #context: TranslationContext;
  readonly #parser: EventSourceParser;
  #id: string;
  #model: string;
  #usage: AnthropicUsage = {};
  readonly #blocks = new Map<number, OpenBlock>();
  #toolCallCount = 0;
  #answeredWithJsonTool = false;
  #sawMessageStop = false;
  #finishSent = false;
  /** `end()` is flushing the parser: an event that does not parse now is one the body cut off. */
  #flushing = false;
  /** Chunks completed by the text fed so far and not yet returned. */
  #ready: ChatCompletionChunk[] = [];
  /** The stream failed; every later call throws this. */
  #failure: unknown = undefined;

  constructor(context: TranslationContext) {
    this.#context = context;
    this.#id = context.callId;
    this.#model = context.requestModel;
    this.#parser = createParser({ onEvent: (message) => this.#onEvent(message) });
  }

  push(text: string): ChatCompletionChunk[] {
    this.#throwIfFailed();
    this.#parser.feed(text);
    return this.#drain();
  }

  end(): ChatCompletionChunk[] {
    this.#throwIfFailed();
    if (!this.#sawMessageStop) {
      // A last event without its closing blank line is still an event; a cut-off one is a truncated stream.
      this.#flushing = true;
      this.#parser.feed('\n\n');
      if (this.#failure === undefined && !this.#sawMessageStop) this.#failure = streamEndedEarly();
    }
    // A stream that did not finish fails here even if the flush completed a chunk: the answer is incomplete.
    this.#throwIfFailed();
    return this.#drain();
  }

  /**
   * The chunks ready so far. After a failure they are still returned (the client has a right to what was
   * generated), and the failure is thrown by the next call; with nothing to return it is thrown at once.
   */
  #drain(): ChatCompletionChunk[] {
    const ready = this.#ready;
    this.#ready = [];
    if (ready.length === 0) this.#throwIfFailed();
    return ready;
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  #onEvent(message: EventSourceMessage): void {
    // Nothing follows message_stop; after a failure the rest of the body is not read.
    if (this.#failure !== undefined || this.#sawMessageStop) return;
    let event: AnthropicStreamEvent;
    try {
      event = this.#parseEvent(message);
    } catch (error) {
      this.#failure = this.#flushing ? streamEndedEarly(error) : error;
      return;
    }
    try {
      this.#translate(event);
    } catch (error) {
      this.#failure = error;
    }
  }

  #parseEvent(message: EventSourceMessage): AnthropicStreamEvent {
    let data: unknown;
    try {
      data = JSON.parse(message.data);
    } catch (error) {
      throw malformedAnthropicResponseError('a stream event that is not JSON', error);
    }
    const event = anthropicStreamEventSchema.safeParse(data);
    if (!event.success) throw malformedAnthropicResponseError('a stream event', event.error);
    return event.data;
  }

  #translate(event: AnthropicStreamEvent): void {
    switch (event.type) {
      case 'message_start':
        this.#id = event.message.id;
        this.#model = event.message.model;
        this.#addUsage(event.message.usage);
        this.#emit({ role: 'assistant', content: '' });
        return;
      case 'content_block_start':
        this.#startBlock(event.index, event.content_block);
        return;
      case 'content_block_delta':
        this.#applyDelta(event.index, event.delta);
        return;
      case 'content_block_stop':
        this.#stopBlock(event.index);
        return;
      case 'message_delta': {
        this.#addUsage(event.usage);
        const finishReason = anthropicStopReasonToOpenAiChatFinishReason(
          event.delta.stop_reason,
          this.#answeredWithJsonTool,
          this.#toolCallCount > 0,
        );
        if (finishReason !== null && !this.#finishSent) {
          this.#finishSent = true;
          this.#emit({}, finishReason);
        }
        return;
      }
      case 'message_stop':
        this.#sawMessageStop = true;
        this.#ready.push({ ...this.#chunkBase(), choices: [], usage: this.#openAiUsage() });
        return;
      case 'ping':
        return;
      case 'error':
        throw anthropicStreamErrorToUpstreamError(event.error);
      case 'unknown_event':
        // Event types added after this code was written: ignored, as Anthropic asks clients to.
        return;
      default: {
        const unreachable: never = event;
        throw malformedAnthropicResponseError(`a stream event ${JSON.stringify(unreachable)}`);
      }
    }
  }

  #startBlock(index: number, block: AnthropicContentBlock): void {
    switch (block.type) {
      case 'text':
        this.#blocks.set(index, { kind: 'text' });
        if (block.text !== '') this.#emit({ content: block.text });
        return;
      case 'tool_use':
        if (block.name === RESPONSE_FORMAT_TOOL_NAME) {
          this.#answeredWithJsonTool = true;
          this.#blocks.set(index, { kind: 'json_answer' });
          return;
        }
        this.#blocks.set(index, { kind: 'tool_call', toolCallIndex: this.#toolCallCount });
        this.#emit({
          tool_calls: [
            { index: this.#toolCallCount, id: block.id, type: 'function', function: { name: block.name, arguments: '' } },
          ],
        });
        this.#toolCallCount += 1;
        return;
      case 'thinking':
        this.#blocks.set(index, {
          kind: 'thinking',
          thinking: block.thinking,
          ...(block.signature === undefined ? {} : { signature: block.signature }),
        });
        if (block.thinking !== '') this.#emit({ reasoning_content: block.thinking });
        return;
      case 'redacted_thinking':
        this.#blocks.set(index, { kind: 'redacted_thinking', data: block.data });
        return;
      case 'unknown_block':
        // Server tool use/results and block types added later: nothing an OpenAI chunk can hold.
        this.#blocks.set(index, { kind: 'ignored' });
        return;
      default: {
        const unreachable: never = block;
        throw malformedAnthropicResponseError(`a content block ${JSON.stringify(unreachable)}`);
      }
    }
  }

  #applyDelta(index: number, delta: AnthropicContentBlockDelta): void {
    const block = this.#blocks.get(index);
    switch (delta.type) {
      case 'text_delta':
        if (block?.kind !== 'ignored' && delta.text !== '') this.#emit({ content: delta.text });
        return;
      case 'input_json_delta':
        if (delta.partial_json === '') return;
        if (block?.kind === 'tool_call') {
          this.#emit({ tool_calls: [{ index: block.toolCallIndex, function: { arguments: delta.partial_json } }] });
        } else if (block?.kind === 'json_answer') {
          this.#emit({ content: delta.partial_json });
        }
        return;
      case 'thinking_delta':
        if (block?.kind === 'thinking') block.thinking += delta.thinking;
        if (block?.kind !== 'ignored' && delta.thinking !== '') this.#emit({ reasoning_content: delta.thinking });
        return;
      case 'signature_delta':
        if (block?.kind === 'thinking') block.signature = (block.signature ?? '') + delta.signature;
        return;
      case 'citations_delta':
        // Citations have no place in an OpenAI chunk; the cited text itself arrives as text deltas.
        return;
      case 'unknown_delta':
        return;
      default: {
        const unreachable: never = delta;
        throw malformedAnthropicResponseError(`a content block delta ${JSON.stringify(unreachable)}`);
      }
    }
  }

  #stopBlock(index: number): void {
    const block = this.#blocks.get(index);
    this.#blocks.delete(index);
    if (block?.kind === 'thinking') {
      const thinkingBlock: OpenAiThinkingBlock = {
        type: 'thinking',
        thinking: block.thinking,
        ...(block.signature === undefined ? {} : { signature: block.signature }),
      };
      this.#emit({ thinking_blocks: [thinkingBlock] });
    } else if (block?.kind === 'redacted_thinking') {
      this.#emit({ thinking_blocks: [{ type: 'redacted_thinking', data: block.data }] });
    }
  }

  /** Usage fields present in an event replace the earlier ones (Anthropic's counts are cumulative). */
  #addUsage(usage: AnthropicUsage | null | undefined): void {
    if (usage === null || usage === undefined) return;
    for (const key of ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'] as const) {
      const value = usage[key];
      if (value !== null && value !== undefined) this.#usage[key] = value;
    }
  }

  #openAiUsage(): CompletionUsage {
    return anthropicUsageToOpenAiUsage(this.#usage);
  }

  #chunkBase(): Omit<ChatCompletionChunk, 'choices'> {
    return { id: this.#id, object: 'chat.completion.chunk', created: this.#context.created, model: this.#model };
  }

  #emit(delta: AnthropicChatCompletionChunkDelta, finishReason: FinishReason | null = null): void {
    this.#ready.push({ ...this.#chunkBase(), choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }] });
  }
}

/**
 * A stateful translator for one Anthropic stream: feed it the response body as text, in pieces of any size.
 *
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming
 */
export function createAnthropicToOpenAiChunkStream(context: TranslationContext): ChatStreamTranslator {
  return new AnthropicToOpenAiChunkStream(context);
}
