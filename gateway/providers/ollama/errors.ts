/**
 * Ollama failures as typed gateway errors.
 *
 * Ollama answers errors as `{"error": "<message>"}` with a meaningful HTTP status (404 for an unknown model,
 * 400 for a bad request, 500 when the runner fails), and sends the same object as a line of an NDJSON stream
 * when generation fails part-way. A proxy in front of it may answer plain text or HTML instead.
 *
 * @see https://github.com/ollama/ollama/blob/main/docs/api.md
 */
import { UpstreamError, redactSecrets } from '../../errors';
import { ollamaErrorSchema } from './ollama-api';

/** Upstream text quoted in an error message is cut to this many characters. */
const MAX_QUOTED_CHARACTERS = 500;

/** Upstream text as it may be shown to a client: trimmed, cut short, and with anything key-shaped redacted. */
function quote(text: string): string {
  const trimmed = text.trim();
  return redactSecrets(trimmed.length > MAX_QUOTED_CHARACTERS ? `${trimmed.slice(0, MAX_QUOTED_CHARACTERS)}…` : trimmed);
}

/** The `error` message of an Ollama error body, or `undefined` when the text is not one. */
export function parseOllamaErrorMessage(bodyText: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    return undefined;
  }
  const result = ollamaErrorSchema.safeParse(parsed);
  return result.success ? result.data.error : undefined;
}

/**
 * A non-2xx Ollama answer as an `UpstreamError`. The status keeps its meaning: a 404 for an unknown model stays
 * a 404 (`model_not_found`), other client-side 4xx stay as they are with OpenAI's `invalid_request_error`
 * type, 429 stays a rate limit, and 5xx become 502 (see `UpstreamError`).
 */
export function ollamaErrorToUpstreamError(status: number, bodyText: string): UpstreamError {
  const message = parseOllamaErrorMessage(bodyText);
  const clientSide = status >= 400 && status < 500 && status !== 429 && status !== 401 && status !== 403 && status !== 408;
  const options = {
    upstreamStatus: status,
    ...(clientSide ? { type: 'invalid_request_error' } : {}),
    ...(status === 404 && message !== undefined && /model\b.*\bnot found/i.test(message) ? { code: 'model_not_found' } : {}),
  };
  // Plain text, HTML from a proxy, or JSON that is cut off or not Ollama's shape: quote it as text.
  const detail = quote(message ?? bodyText);
  return new UpstreamError(`ollama error (${status}): ${detail === '' ? 'empty body' : detail}`, options);
}

/**
 * An `{"error": …}` object that came with a 200: a line inside an NDJSON stream (generation failed after the
 * response had started), or a whole body. There is no upstream status to follow, so the client sees a 502.
 */
export function ollamaErrorMessageToUpstreamError(message: string): UpstreamError {
  return new UpstreamError(`ollama error: ${quote(message)}`);
}

/** Ollama answered 200 with something that is not what its API documents. */
export function malformedOllamaResponseError(what: string, cause?: unknown): UpstreamError {
  return new UpstreamError(`ollama sent a malformed ${what}`, { code: 'upstream_malformed_response', cause });
}

/** The stream ended without its final `done: true` line (connection cut, or the server stopped). */
export function truncatedOllamaStreamError(cause?: unknown): UpstreamError {
  return new UpstreamError('ollama stream ended before its final message (done: true)', {
    code: 'upstream_stream_truncated',
    cause,
  });
}
