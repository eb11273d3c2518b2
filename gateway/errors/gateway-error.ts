/**
 * Typed gateway errors. Every failure a client can see is one of these classes, and each is rendered once,
 * by the HTTP layer's error handler, as OpenAI's `{ error: { message, type, param, code } }`.
 *
 * Messages are written for the caller: they never contain keys, upstream headers or secret values.
 */
import type { OpenAiErrorBody } from '../openai';

export interface GatewayErrorOptions {
  /** The request field at fault, in OpenAI's dotted notation (`messages[0].content`). */
  readonly param?: string | null;
  /** A machine-readable code. */
  readonly code?: string | null;
  /** The underlying error, kept for logs; never rendered. */
  readonly cause?: unknown;
  /** Extra response headers (e.g. `retry-after`). */
  readonly headers?: Readonly<Record<string, string>>;
}

export class GatewayError extends Error {
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, type: string, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = status;
    this.type = type;
    this.param = options.param ?? null;
    this.code = options.code ?? null;
    this.headers = options.headers ?? {};
  }
}

/** 400: the request is malformed or names an unsupported parameter. */
export class InvalidRequestError extends GatewayError {
  constructor(message: string, options: GatewayErrorOptions = {}) {
    super(400, 'invalid_request_error', message, options);
  }
}

/** 401: no key, or a key the gateway does not accept. */
export class AuthenticationError extends GatewayError {
  constructor(message = 'invalid or missing API key', options: GatewayErrorOptions = {}) {
    super(401, 'authentication_error', message, { code: 'invalid_api_key', ...options });
  }
}

/** 403: the key is valid but may not do this. */
export class PermissionDeniedError extends GatewayError {
  constructor(message: string, options: GatewayErrorOptions = {}) {
    super(403, 'permission_error', message, options);
  }
}

/** 404: an unknown model or route. */
export class NotFoundError extends GatewayError {
  constructor(message: string, options: GatewayErrorOptions = {}) {
    super(404, 'invalid_request_error', message, options);
  }
}

/** 413: the request body is larger than the configured limit. */
export class PayloadTooLargeError extends GatewayError {
  constructor(limitBytes: number) {
    super(413, 'invalid_request_error', `request body is larger than the limit of ${limitBytes} bytes`, {
      code: 'request_too_large',
    });
  }
}

/** 429: a rate limit was hit, at the gateway or upstream. */
export class RateLimitError extends GatewayError {
  constructor(message: string, options: GatewayErrorOptions = {}) {
    super(429, 'rate_limit_error', message, { code: 'rate_limit_exceeded', ...options });
  }
}

/** 400 with LiteLLM's `budget_exceeded` type: spend reached `max_budget`. */
export class BudgetExceededError extends GatewayError {
  constructor(message: string, options: GatewayErrorOptions = {}) {
    super(400, 'budget_exceeded', message, { code: 'budget_exceeded', ...options });
  }
}

/** 500: a deployment cannot be called as configured (e.g. its `os.environ/` secret is unset). */
export class ConfigurationError extends GatewayError {
  constructor(message: string, options: GatewayErrorOptions = {}) {
    super(500, 'configuration_error', message, options);
  }
}

export interface UpstreamErrorOptions extends GatewayErrorOptions {
  /** The provider's own status code, when there was one. */
  readonly upstreamStatus?: number;
  /** The provider's error type, when it said one. */
  readonly type?: string;
}

/**
 * The provider answered with an error, or broke the connection. The client-visible status follows the
 * provider's: 429 stays 429, a client-side 4xx (bad request, context too long) stays as it was, and any
 * 5xx, an upstream 401/403 (the gateway's own credentials) or a broken stream becomes 502.
 */
export class UpstreamError extends GatewayError {
  readonly upstreamStatus: number | null;

  constructor(message: string, options: UpstreamErrorOptions = {}) {
    const upstreamStatus = options.upstreamStatus ?? null;
    super(
      upstreamStatusToGatewayStatus(upstreamStatus),
      options.type ?? (upstreamStatus === 429 ? 'rate_limit_error' : 'upstream_error'),
      message,
      options,
    );
    this.upstreamStatus = upstreamStatus;
  }
}

/** 504: the provider did not answer within the deployment's `timeout` / `stream_timeout`. */
export class UpstreamTimeoutError extends GatewayError {
  constructor(message: string, options: GatewayErrorOptions = {}) {
    super(504, 'timeout_error', message, { code: 'upstream_timeout', ...options });
  }
}

export function upstreamStatusToGatewayStatus(upstreamStatus: number | null): number {
  if (upstreamStatus === null) return 502;
  if (upstreamStatus === 429) return 429;
  if (upstreamStatus === 408) return 504;
  if (upstreamStatus === 401 || upstreamStatus === 403) return 502;
  if (upstreamStatus >= 400 && upstreamStatus < 500) return upstreamStatus;
  return 502;
}

/** Renders any error as OpenAI's error body; unknown errors become a generic 500 without internals. */
export function toOpenAiErrorBody(error: unknown): OpenAiErrorBody {
  if (error instanceof GatewayError) {
    return { error: { message: error.message, type: error.type, param: error.param, code: error.code } };
  }
  return { error: { message: 'internal server error', type: 'internal_server_error', param: null, code: null } };
}

export function statusOf(error: unknown): number {
  return error instanceof GatewayError ? error.status : 500;
}
