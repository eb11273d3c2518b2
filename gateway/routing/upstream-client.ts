/**
 * Upstream HTTP: one undici `Pool` per origin (keep-alive, reused across requests and deployments that
 * share a host), with per-call header and body timeouts. Failures become typed gateway errors: a timeout
 * is an `UpstreamTimeoutError` (504), anything else on the wire an `UpstreamError` (502).
 */
import { Pool, errors as undiciErrors } from 'undici';
import type { Dispatcher } from 'undici';
import { GatewayError, UpstreamError, UpstreamTimeoutError } from '../errors';
import type { UpstreamRequest } from '../providers';

export interface UpstreamClientOptions {
  /**
   * Connections kept per upstream origin.
   * @default 256
   */
  readonly connectionsPerOrigin?: number;
  /**
   * How long an idle keep-alive connection is kept.
   * @default 60_000
   */
  readonly keepAliveTimeoutMs?: number;
  /**
   * TCP+TLS connect timeout.
   * @default 10_000
   */
  readonly connectTimeoutMs?: number;
}

export interface UpstreamCallOptions {
  /** Idle timeout for the response headers and between body reads (LiteLLM `timeout` / `stream_timeout`). */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Dispatcher.ResponseData['headers'];
  readonly body: Dispatcher.ResponseData['body'];
}

/** A whole non-streaming answer. */
export interface UpstreamTextResponse {
  readonly status: number;
  readonly text: string;
}

export interface UpstreamUrl {
  readonly origin: string;
  readonly path: string;
}

const MAX_CACHED_URLS = 10_000;

export class UpstreamClient {
  private readonly pools = new Map<string, Pool>();
  private readonly urls = new Map<string, UpstreamUrl>();
  private readonly options: Required<UpstreamClientOptions>;

  constructor({ connectionsPerOrigin = 256, keepAliveTimeoutMs = 60_000, connectTimeoutMs = 10_000 }: UpstreamClientOptions = {}) {
    this.options = { connectionsPerOrigin, keepAliveTimeoutMs, connectTimeoutMs };
  }

  private poolFor(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, {
        connections: this.options.connectionsPerOrigin,
        keepAliveTimeout: this.options.keepAliveTimeoutMs,
        connect: { timeout: this.options.connectTimeoutMs },
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** Splits a URL into origin and path once per distinct URL (deployments reuse a handful). */
  target(url: string): UpstreamUrl {
    let parsed = this.urls.get(url);
    if (parsed === undefined) {
      const { origin, pathname, search } = new URL(url);
      parsed = { origin, path: pathname + search };
      if (this.urls.size >= MAX_CACHED_URLS) this.urls.clear();
      this.urls.set(url, parsed);
    }
    return parsed;
  }

  /** Sends the request; resolves when the response headers arrive. */
  async send(request: UpstreamRequest, options: UpstreamCallOptions): Promise<UpstreamResponse> {
    const url = this.target(request.url);
    const pool = this.poolFor(url.origin);
    try {
      const response = await pool.request({
        path: url.path,
        method: request.method,
        headers: request.headers,
        body: request.body ?? null,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
        signal: options.signal ?? null,
      });
      return { status: response.statusCode, headers: response.headers, body: response.body };
    } catch (error) {
      throw toUpstreamTransportError(error, url.origin, options.timeoutMs);
    }
  }

  /**
   * Sends the request and reads the whole answer as text (non-streaming calls). Through undici's
   * dispatch handler rather than `request()`: the body's pieces are collected as they arrive, with no
   * Readable stream and no promise chain to consume it.
   */
  sendForText(request: UpstreamRequest, options: UpstreamCallOptions): Promise<UpstreamTextResponse> {
    const url = this.target(request.url);
    const pool = this.poolFor(url.origin);
    return new Promise<UpstreamTextResponse>((resolve, reject) => {
      let status = 0;
      let chunks: Buffer[] = [];
      const handler: Dispatcher.DispatchHandler = {
        // Present so undici takes this for a handler of its current (controller-based) interface.
        onRequestStart: () => undefined,
        onResponseStart: (_controller, statusCode) => {
          status = statusCode;
          chunks = [];
        },
        onResponseData: (_controller, chunk) => {
          chunks.push(chunk);
        },
        onResponseEnd: () => {
          const text = chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8');
          resolve({ status, text });
        },
        onResponseError: (_controller, error) => {
          reject(toUpstreamTransportError(error, url.origin, options.timeoutMs));
        },
      };
      try {
        pool.dispatch(
          {
            path: url.path,
            method: request.method,
            headers: request.headers,
            body: request.body ?? null,
            headersTimeout: options.timeoutMs,
            bodyTimeout: options.timeoutMs,
            ...(options.signal ? { signal: options.signal } : {}),
          },
          handler,
        );
      } catch (error) {
        reject(toUpstreamTransportError(error, url.origin, options.timeoutMs));
      }
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.close()));
    this.pools.clear();
  }
}

/** Maps undici and socket failures to gateway errors; the message names the host, never headers. */
export function toUpstreamTransportError(error: unknown, origin: string, timeoutMs: number): GatewayError {
  if (error instanceof GatewayError) return error;
  const host = safeHost(origin);
  if (
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError ||
    error instanceof undiciErrors.ConnectTimeoutError
  ) {
    return new UpstreamTimeoutError(`upstream ${host} did not answer within ${timeoutMs} ms`, { cause: error });
  }
  if (error instanceof undiciErrors.RequestAbortedError || (error instanceof Error && error.name === 'AbortError')) {
    return new UpstreamError(`request to ${host} was aborted`, { code: 'aborted', cause: error });
  }
  const code = (error as { code?: string } | null)?.code;
  const detail = code ?? (error instanceof Error ? error.name : 'unknown error');
  return new UpstreamError(`could not reach upstream ${host} (${detail})`, { code: 'upstream_unreachable', cause: error });
}

function safeHost(origin: string): string {
  try {
    return new URL(origin).host;
  } catch {
    return 'upstream';
  }
}
