/**
 * Anthropic failures as typed gateway errors.
 *
 * Anthropic answers errors as `{"type":"error","error":{"type":"rate_limit_error","message":"…"},
 * "request_id":"req_…"}` with a status that matches the error type (429 `rate_limit_error`, 529
 * `overloaded_error`, …). Once a stream has started (HTTP 200) the same error object arrives as an
 * `event: error`, and then only its `type` says what the status would have been. Anything in front of
 * Anthropic (a load balancer, a corporate proxy) may answer plain text or HTML instead.
 *
 * The client-visible status follows `UpstreamError`: 429 stays 429, client-side 4xx stay as they are, and
 * 5xx (including 529), 401/403 (the gateway's own key) and unknown failures become 502. Anthropic's error
 * `type` is kept as the `code`. Messages never quote headers, and quoted upstream text goes through
 * `redactSecrets`.
 *
 * @see https://docs.anthropic.com/en/api/errors
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming#error-events
 */
import { UpstreamError, redactSecrets, upstreamStatusToGatewayStatus } from '../../errors';
import { ANTHROPIC_ERROR_TYPES, anthropicErrorBodySchema } from './anthropic-api';
import type { AnthropicErrorObject, AnthropicErrorType } from './anthropic-api';

/** Upstream text quoted in an error message is cut to this many characters. */
const MAX_QUOTED_CHARACTERS = 300;

function isAnthropicErrorType(value: string): value is AnthropicErrorType {
  return (ANTHROPIC_ERROR_TYPES as readonly string[]).includes(value);
}

function quote(text: string): string {
  const collapsed = text.replace(/\s+/g, ' ').trim();
  const cut = collapsed.length > MAX_QUOTED_CHARACTERS ? `${collapsed.slice(0, MAX_QUOTED_CHARACTERS)}…` : collapsed;
  return redactSecrets(cut);
}

/**
 * The HTTP status Anthropic documents for an error `type`, used for in-stream `error` events (which come
 * after a 200). An error type Anthropic adds later gives `null`: the gateway then reports a 502, the
 * status of a broken upstream.
 *
 * @see https://docs.anthropic.com/en/api/errors#http-errors
 */
export function anthropicErrorTypeToHttpStatus(errorType: string): number | null {
  if (!isAnthropicErrorType(errorType)) return null;
  switch (errorType) {
    case 'invalid_request_error':
      return 400;
    case 'authentication_error':
      return 401;
    case 'billing_error':
      return 402;
    case 'permission_error':
      return 403;
    case 'not_found_error':
      return 404;
    case 'request_too_large':
      return 413;
    case 'rate_limit_error':
      return 429;
    case 'api_error':
      return 500;
    case 'timeout_error':
      return 504;
    case 'overloaded_error':
      return 529;
    default: {
      const unreachable: never = errorType;
      return unreachable;
    }
  }
}

/** OpenAI's error `type` for a gateway status: client-side 4xx are the caller's `invalid_request_error`. */
function gatewayErrorType(upstreamStatus: number | null): { type?: string } {
  const status = upstreamStatusToGatewayStatus(upstreamStatus);
  if (status === 429 || status < 400 || status >= 500) return {};
  return { type: 'invalid_request_error' };
}

/** Anthropic's error object (from a body or a stream event) as an `UpstreamError`. */
function fromErrorObject(error: AnthropicErrorObject, upstreamStatus: number | null, where: string): UpstreamError {
  return new UpstreamError(`anthropic ${quote(error.type)} ${where}: ${quote(error.message)}`, {
    upstreamStatus: upstreamStatus ?? undefined,
    code: error.type,
    ...gatewayErrorType(upstreamStatus),
  });
}

/**
 * A non-2xx answer from `POST /v1/messages` as an `UpstreamError`:
 * - Anthropic's error JSON: its type and message, e.g. `anthropic rate_limit_error (HTTP 429): …`.
 * - plain text (a proxy's `Internal Server Error`): quoted, shortened and redacted.
 * - HTML, cut-off JSON or JSON of another shape: described, not quoted.
 *
 * @see https://docs.anthropic.com/en/api/errors#error-shapes
 */
export function anthropicErrorToUpstreamError(status: number, bodyText: string): UpstreamError {
  const options = { upstreamStatus: status, ...gatewayErrorType(status) };
  const trimmed = bodyText.trim();
  if (trimmed === '') return new UpstreamError(`anthropic answered HTTP ${status} with an empty body`, options);

  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch (error) {
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      return new UpstreamError(`anthropic answered HTTP ${status} with a malformed JSON body`, { ...options, cause: error });
    }
    if (trimmed.startsWith('<')) {
      return new UpstreamError(`anthropic answered HTTP ${status} with an HTML body`, options);
    }
    return new UpstreamError(`anthropic answered HTTP ${status}: ${quote(trimmed)}`, options);
  }

  const body = anthropicErrorBodySchema.safeParse(parsed);
  if (!body.success) {
    return new UpstreamError(`anthropic answered HTTP ${status} with a JSON body that is not an Anthropic error`, options);
  }
  return fromErrorObject(body.data.error, status, `(HTTP ${status})`);
}

/**
 * An `event: error` inside a stream that had already answered 200. The status is the one Anthropic documents
 * for the error type: `overloaded_error` → 529 (the client sees 502), `rate_limit_error` → 429.
 *
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming#error-events
 */
export function anthropicStreamErrorToUpstreamError(error: AnthropicErrorObject): UpstreamError {
  return fromErrorObject(error, anthropicErrorTypeToHttpStatus(error.type), 'during the stream');
}

/** Anthropic answered 200 with something its API does not document. */
export function malformedAnthropicResponseError(what: string, cause?: unknown): UpstreamError {
  return new UpstreamError(`anthropic sent ${what} the gateway could not read`, { cause });
}
