/**
 * Ollama's native HTTP API (`/api/chat`, `/api/generate`, `/api/embed`) as zod schemas (for what Ollama sends
 * us) and plain types (for what we send it), plus the one place that builds an upstream request.
 *
 * Response schemas are `loose`: Ollama adds fields over time (`context`, durations, `images: null`) and we keep
 * them rather than fail. The fields we read are type-checked, so a malformed answer becomes an `UpstreamError`
 * instead of `undefined` leaking into an OpenAI response.
 *
 * @see https://github.com/ollama/ollama/blob/main/docs/api.md
 */
import { z } from 'zod';
import { perTarget } from '../provider-adapter';
import type { UpstreamRequest, UpstreamTarget } from '../provider-adapter';

/** Where Ollama listens when a deployment sets no `api_base`. */
export const OLLAMA_DEFAULT_API_BASE = 'http://localhost:11434';

// ---------------------------------------------------------------------------------------------------------------
// Requests (we build these, so plain types are enough)
// ---------------------------------------------------------------------------------------------------------------

/**
 * Runtime model parameters, named as in a Modelfile. Only the ones the gateway translates are listed.
 *
 * @see https://github.com/ollama/ollama/blob/main/docs/modelfile.md#valid-parameters-and-values
 */
export interface OllamaOptions {
  temperature?: number;
  top_p?: number;
  seed?: number;
  stop?: string[];
  /** Maximum number of tokens to generate (OpenAI's `max_tokens` / `max_completion_tokens`). */
  num_predict?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
}

/** `"json"` for JSON mode, or a JSON schema object for structured outputs. */
export type OllamaFormat = 'json' | Record<string, unknown>;

/** How long the model stays loaded after the call: a duration string (`"5m"`) or seconds. */
export type OllamaKeepAlive = string | number;

/** `true`/`false`, or a level (`"low"`, `"medium"`, `"high"`) for models such as gpt-oss. */
export type OllamaThink = boolean | 'low' | 'medium' | 'high';

export interface OllamaToolCall {
  function: {
    name: string;
    /** Ollama takes and returns arguments as a JSON object, not as a string. */
    arguments: Record<string, unknown>;
  };
}

export interface OllamaChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** Base64-encoded images, without a `data:` prefix. */
  images?: string[];
  /** The model's reasoning on an earlier assistant turn. */
  thinking?: string;
  tool_calls?: OllamaToolCall[];
  /** On `tool` messages: the name of the function whose result this is. */
  tool_name?: string;
}

export interface OllamaTool {
  type: 'function';
  function: {
    name: string;
    description?: string;
    parameters?: Record<string, unknown>;
  };
}

/** @see https://github.com/ollama/ollama/blob/main/docs/api.md#generate-a-chat-completion */
export interface OllamaChatRequest {
  model: string;
  messages: OllamaChatMessage[];
  /** Ollama streams unless told otherwise, so the gateway always sends this. */
  stream: boolean;
  options?: OllamaOptions;
  format?: OllamaFormat;
  tools?: OllamaTool[];
  think?: OllamaThink;
  keep_alive?: OllamaKeepAlive;
}

/** @see https://github.com/ollama/ollama/blob/main/docs/api.md#generate-a-completion */
export interface OllamaGenerateRequest {
  model: string;
  prompt: string;
  suffix?: string;
  stream: boolean;
  options?: OllamaOptions;
  /** `true`: send the prompt as it is, without the model's prompt template. */
  raw?: boolean;
  keep_alive?: OllamaKeepAlive;
}

/** @see https://github.com/ollama/ollama/blob/main/docs/api.md#generate-embeddings */
export interface OllamaEmbedRequest {
  model: string;
  input: string | string[];
  /** Output size, for models trained with Matryoshka representation learning. */
  dimensions?: number;
  keep_alive?: OllamaKeepAlive;
}

// ---------------------------------------------------------------------------------------------------------------
// Responses (Ollama sends these, so they are validated)
// ---------------------------------------------------------------------------------------------------------------

/** Timing and token counts on a final (`done: true`) answer; durations are in nanoseconds. */
const ollamaMetricsShape = {
  total_duration: z.number().optional(),
  load_duration: z.number().optional(),
  /** Tokens in the prompt; Ollama omits it when the whole prompt came from its cache. */
  prompt_eval_count: z.number().int().nonnegative().optional(),
  prompt_eval_duration: z.number().optional(),
  /** Tokens generated. */
  eval_count: z.number().int().nonnegative().optional(),
  eval_duration: z.number().optional(),
};

export const ollamaToolCallSchema = z.looseObject({
  function: z.looseObject({
    index: z.number().int().optional(),
    name: z.string(),
    /** A Go `map[string]any`: `null` when the function takes no arguments. */
    arguments: z.record(z.string(), z.unknown()).nullish(),
  }),
});

export const ollamaResponseMessageSchema = z.looseObject({
  role: z.string().optional(),
  content: z.string().nullish(),
  thinking: z.string().nullish(),
  tool_calls: z.array(ollamaToolCallSchema).nullish(),
});

/**
 * One `/api/chat` answer: the whole response when `stream: false`, or one NDJSON line of a stream. The final
 * stream line may carry no `message` at all (older servers) or an empty one.
 */
export const ollamaChatResponseSchema = z.looseObject({
  model: z.string().optional(),
  created_at: z.string().optional(),
  message: ollamaResponseMessageSchema.optional(),
  done: z.boolean(),
  done_reason: z.string().optional(),
  ...ollamaMetricsShape,
});

/** One `/api/generate` answer, or one NDJSON line of its stream. */
export const ollamaGenerateResponseSchema = z.looseObject({
  model: z.string().optional(),
  created_at: z.string().optional(),
  response: z.string().nullish(),
  thinking: z.string().nullish(),
  done: z.boolean(),
  done_reason: z.string().optional(),
  ...ollamaMetricsShape,
});

/** The `/api/embed` answer: one vector per input, in input order. */
export const ollamaEmbedResponseSchema = z.looseObject({
  model: z.string().optional(),
  embeddings: z.array(z.array(z.number())),
  total_duration: z.number().optional(),
  load_duration: z.number().optional(),
  prompt_eval_count: z.number().int().nonnegative().optional(),
});

/** Ollama's error body, on a non-2xx answer and as a line inside a stream. */
export const ollamaErrorSchema = z.looseObject({ error: z.string() });

export type OllamaResponseToolCall = z.infer<typeof ollamaToolCallSchema>;
export type OllamaResponseMessage = z.infer<typeof ollamaResponseMessageSchema>;
export type OllamaChatResponse = z.infer<typeof ollamaChatResponseSchema>;
export type OllamaGenerateResponse = z.infer<typeof ollamaGenerateResponseSchema>;
export type OllamaEmbedResponse = z.infer<typeof ollamaEmbedResponseSchema>;
export type OllamaErrorBody = z.infer<typeof ollamaErrorSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Helpers shared by the translators in this folder
// ---------------------------------------------------------------------------------------------------------------

/** The Ollama API paths the gateway calls. */
export type OllamaApiPath = '/api/chat' | '/api/generate' | '/api/embed';

/** A deployment's base URL (no trailing slash) and headers, built once per deployment. */
const ollamaEndpointFor = perTarget((target) => {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (target.apiKey !== undefined && target.apiKey !== '') headers.authorization = `Bearer ${target.apiKey}`;
  return { apiBase: (target.apiBase ?? OLLAMA_DEFAULT_API_BASE).replace(/\/+$/, ''), headers: { ...headers, ...target.headers } };
});

/**
 * Builds the HTTP request for one Ollama call. Ollama itself takes no key; when `api_key` is set (Ollama behind
 * an authenticating proxy, or a hosted Ollama) it is sent as a bearer token. `extra_headers` are sent as they are
 * and win over ours.
 */
export function toOllamaUpstreamRequest(target: UpstreamTarget, path: OllamaApiPath, body: object): UpstreamRequest {
  const { apiBase, headers } = ollamaEndpointFor(target);
  return { url: `${apiBase}${path}`, method: 'POST', headers, body: JSON.stringify(body) };
}

/**
 * Ollama's `created_at` (RFC 3339 with up to nanosecond precision and a zone offset, e.g.
 * `2023-08-04T08:52:19.385406455-07:00`) as Unix seconds; `undefined` when absent or unreadable.
 */
export function ollamaTimestampToUnixSeconds(createdAt: string | undefined): number | undefined {
  if (createdAt === undefined) return undefined;
  // ECMAScript only promises to parse millisecond precision, so cut longer fractions down to three digits.
  const milliseconds = Date.parse(createdAt.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isNaN(milliseconds) ? undefined : Math.floor(milliseconds / 1000);
}

/** OpenAI usage from Ollama's counts; a count Ollama left out (e.g. a fully cached prompt) counts as 0. */
export function ollamaCountsToOpenAiUsage(counts: {
  readonly prompt_eval_count?: number | undefined;
  readonly eval_count?: number | undefined;
}): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  const promptTokens = counts.prompt_eval_count ?? 0;
  const completionTokens = counts.eval_count ?? 0;
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

/** Copies the OpenAI sampling parameters Ollama shares into `options`; `undefined` when none is set. */
export function openAiSamplingToOllamaOptions(request: {
  readonly temperature?: number | null | undefined;
  readonly top_p?: number | null | undefined;
  readonly seed?: number | null | undefined;
  readonly stop?: string | string[] | null | undefined;
  readonly max_tokens?: number | null | undefined;
  readonly max_completion_tokens?: number | null | undefined;
  readonly frequency_penalty?: number | null | undefined;
  readonly presence_penalty?: number | null | undefined;
}): OllamaOptions | undefined {
  const options: OllamaOptions = {};
  if (request.temperature != null) options.temperature = request.temperature;
  if (request.top_p != null) options.top_p = request.top_p;
  if (request.seed != null) options.seed = request.seed;
  if (request.stop != null) options.stop = typeof request.stop === 'string' ? [request.stop] : [...request.stop];
  // `max_completion_tokens` supersedes the deprecated `max_tokens`, as at OpenAI.
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens != null) options.num_predict = maxTokens;
  if (request.frequency_penalty != null) options.frequency_penalty = request.frequency_penalty;
  if (request.presence_penalty != null) options.presence_penalty = request.presence_penalty;
  return Object.keys(options).length > 0 ? options : undefined;
}
