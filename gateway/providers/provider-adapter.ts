/**
 * The contract every provider implements: pure translation between the OpenAI wire format the gateway
 * serves and the provider's own, in both directions, for requests, responses, streams and errors.
 *
 * Adapters do no I/O. The routing layer builds the upstream request with `toXxxRequest`, sends it, and
 * hands the answer back to `fromXxxResponse`, a stream translator, or `toUpstreamError`.
 */
import type {
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatCompletionResponse,
  CompletionRequest,
  CompletionResponse,
  EmbeddingRequest,
  EmbeddingResponse,
} from '../openai';
import type { UpstreamError } from '../errors';

/** One deployment's connection settings for one call, with `os.environ/` secrets already resolved. */
export interface UpstreamTarget {
  /** The provider's model name: the part of `litellm_params.model` after `provider/`. */
  readonly model: string;
  /** `litellm_params.api_base`; the adapter applies its own default when absent. */
  readonly apiBase?: string;
  /** `litellm_params.api_key`, resolved. */
  readonly apiKey?: string;
  /** `litellm_params.api_version` (Azure, Anthropic). */
  readonly apiVersion?: string;
  /** `litellm_params.extra_headers`: sent upstream as they are. */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * What `build` makes of a target, built on the target's first call and shared by the calls after: the
 * router passes one target object per deployment, so an adapter's per-deployment parts (headers, base
 * URL) are built once. A `build` that throws (or returns `undefined`) caches nothing.
 */
export function perTarget<T>(build: (target: UpstreamTarget) => T): (target: UpstreamTarget) => T {
  const built = new WeakMap<UpstreamTarget, T>();
  return (target) => {
    let value = built.get(target);
    if (value === undefined) {
      value = build(target);
      built.set(target, value);
    }
    return value;
  };
}

/** An HTTP request for the upstream, ready to send. */
export interface UpstreamRequest {
  /** Absolute URL. */
  readonly url: string;
  readonly method: 'POST' | 'GET';
  /** May be shared by every call to one deployment: never changed once built. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** Per-call facts the translators stamp into OpenAI responses. */
export interface TranslationContext {
  /** The model name the client asked for (the `model_name` of the group). */
  readonly requestModel: string;
  /** The gateway's call id, used as the response id when the provider gives none. */
  readonly callId: string;
  /** Unix seconds, used when the provider gives no creation time. */
  readonly created: number;
}

/*
 * What a translation left untouched is marked on the parsed object itself, under a symbol: no side table.
 * (A WeakSet/WeakMap of every response and stream chunk grew by thousands of entries between collections,
 * and under `--cpu-prof` its inserts cost a quarter of what parsing the chunk did.) A mark names the
 * object it was made on, so a copy (`{ ...chunk }` copies symbol keys) never passes for the original.
 */
const UNTOUCHED = Symbol('switchyard.untouched');
const UPSTREAM_TEXT = Symbol('switchyard.upstreamText');

interface UpstreamTextMark {
  readonly of: object;
  readonly text: string;
}

type Marked = { [UNTOUCHED]?: object; [UPSTREAM_TEXT]?: UpstreamTextMark };

/** Marks a parsed upstream body as passed through without any change by the provider's translation. */
export function markUntouched(body: object): void {
  (body as Marked)[UNTOUCHED] = body;
}

/** Whether the provider's translation returned this parsed upstream body without changing it. */
export function isUntouched(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as Marked)[UNTOUCHED] === body;
}

/** Remembers the upstream's JSON text of a stream chunk the translation left untouched. */
export function rememberChunkText(chunk: object, text: string): void {
  (chunk as Marked)[UPSTREAM_TEXT] = { of: chunk, text };
}

/** The upstream's JSON text of an untouched stream chunk (valid only while the chunk is not changed). */
export function chunkTextOf(chunk: object): string | undefined {
  const mark = (chunk as Marked)[UPSTREAM_TEXT];
  return mark !== undefined && mark.of === chunk ? mark.text : undefined;
}

const NULL_USAGE_TAIL = ',"usage":null}';

/**
 * The upstream's text of an untouched chunk whose `usage` is null, without that member — when it is the
 * object's last member, written compactly, and the text's only `"usage"` (as OpenAI writes every chunk of
 * a stream that asked for usage). A quote inside a JSON string is escaped, so `"usage"` here is a key, and
 * the last one of the top-level object, the one `JSON.parse` kept; with no other, the cut removes exactly
 * that member. Anything else answers `undefined` (the chunk is serialised again instead).
 */
export function chunkTextWithoutNullUsage(chunk: object): string | undefined {
  const text = chunkTextOf(chunk);
  if (text === undefined || !text.endsWith(NULL_USAGE_TAIL)) return undefined;
  const keyAt = text.length - NULL_USAGE_TAIL.length + 1;
  if (text.indexOf('"usage"') !== keyAt) return undefined;
  return `${text.slice(0, keyAt - 1)}}`;
}

/**
 * A per-request, stateful stream translator (not shared between requests). Feed it the upstream body as
 * decoded text, in whatever pieces it arrives (down to one byte); it returns the OpenAI chunks each piece
 * completes. An in-stream error event from the provider is thrown as an `UpstreamError`.
 */
export interface StreamTranslator<Chunk> {
  push(text: string): Chunk[];
  /** The upstream body ended: flush what is buffered. Throws when the stream ended incomplete. */
  end(): Chunk[];
}

export type ChatStreamTranslator = StreamTranslator<ChatCompletionChunk>;
export type CompletionStreamTranslator = StreamTranslator<CompletionResponse>;

/** Request parameters an adapter honours; anything else is dropped (`drop_params`) or rejected. */
export type SupportedParams = ReadonlySet<string> | 'all';

export interface ProviderAdapter {
  /** The adapter's id (`openai`, `anthropic`, `ollama`). Several prefixes may share one adapter. */
  readonly id: string;
  /** Chat request fields this provider can honour, beyond `model`, `messages` and `stream`. */
  readonly supportedChatParams: SupportedParams;

  toChatRequest(request: ChatCompletionRequest, target: UpstreamTarget): UpstreamRequest;
  fromChatResponse(body: unknown, context: TranslationContext): ChatCompletionResponse;
  createChatStreamTranslator(context: TranslationContext): ChatStreamTranslator;

  /** Legacy completions; absent when the provider has no such API. */
  readonly supportedCompletionParams?: SupportedParams;
  toCompletionRequest?(request: CompletionRequest, target: UpstreamTarget): UpstreamRequest;
  fromCompletionResponse?(body: unknown, context: TranslationContext): CompletionResponse;
  createCompletionStreamTranslator?(context: TranslationContext): CompletionStreamTranslator;

  /** Embeddings; absent when the provider has none. */
  toEmbeddingRequest?(request: EmbeddingRequest, target: UpstreamTarget): UpstreamRequest;
  fromEmbeddingResponse?(body: unknown, context: TranslationContext): EmbeddingResponse;

  /** Turns a non-2xx upstream answer into an `UpstreamError` carrying the provider's message. */
  toUpstreamError(status: number, bodyText: string): UpstreamError;
}
