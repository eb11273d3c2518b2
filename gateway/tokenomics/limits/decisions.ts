/**
 * Builds decisions from raw figures, the same way for both stores (the Valkey store's Lua returns the same
 * figures the memory store computes).
 */
import { RATE_WINDOW_MS, nanoToUsd } from './limit-store';
import type { LimitKind, RejectedDecision } from './limit-store';
import { rateLimitHeaders, retryAfterSecondsOf } from './rate-limit-headers';

/** The most constrained RPM and TPM scopes of a request, before it is recorded; `-1` means none. */
export interface WindowFigures {
  readonly requestsLimit: number;
  /** Requests that still fit before this one. */
  readonly requestsRemaining: number;
  /** When the newest counted request was admitted, in ms, or `-1` when the window is empty. */
  readonly requestsNewestMs: number;
  readonly tokensLimit: number;
  readonly tokensRemaining: number;
  /** The second of the newest bucket with tokens, or `-1` when the window is empty. */
  readonly tokensNewestSecond: number;
}

/** A failed limit in store units: nano-USD for `budget`, otherwise requests, tokens or slots. */
export interface LimitFailure {
  readonly kind: LimitKind;
  readonly limit: number;
  readonly current: number;
  readonly requested: number;
  /** For rate limits; `undefined` (or negative) for budgets. */
  readonly retryMs: number | undefined;
}

/**
 * `x-ratelimit-*` headers. `x-ratelimit-reset-*` follows OpenAI: the time until the window is back to its
 * initial state (the newest counted request or tokens leave it); after an admission that is 60 s for requests.
 */
export function windowHeaders(
  figures: WindowFigures,
  nowMs: number,
  admitted: boolean,
  retryAfterSeconds?: number,
): Record<string, string> {
  const requestsNewestMs = admitted ? nowMs : figures.requestsNewestMs;
  return rateLimitHeaders(
    {
      requestsLimit: figures.requestsLimit,
      requestsRemaining: Math.max(0, figures.requestsRemaining - (admitted ? 1 : 0)),
      requestsResetMs: requestsNewestMs < 0 ? 0 : requestsNewestMs + RATE_WINDOW_MS - nowMs,
      tokensLimit: figures.tokensLimit,
      tokensRemaining: Math.max(0, figures.tokensRemaining),
      tokensResetMs: figures.tokensNewestSecond < 0 ? 0 : figures.tokensNewestSecond * 1000 + RATE_WINDOW_MS - nowMs,
    },
    retryAfterSeconds,
  );
}

export function rejectedDecision(scope: string, failure: LimitFailure, figures: WindowFigures, nowMs: number): RejectedDecision {
  const retryAfterSeconds =
    failure.retryMs === undefined || failure.retryMs < 0 ? undefined : retryAfterSecondsOf(failure.retryMs);
  const money = failure.kind === 'budget';
  return {
    admitted: false,
    scope,
    kind: failure.kind,
    limit: money ? nanoToUsd(failure.limit) : failure.limit,
    current: money ? nanoToUsd(failure.current) : failure.current,
    requested: money ? nanoToUsd(failure.requested) : failure.requested,
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    headers: windowHeaders(figures, nowMs, false, retryAfterSeconds),
  };
}
