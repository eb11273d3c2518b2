/**
 * OpenAI's rate-limit response headers, for the most constrained RPM scope and the most constrained TPM
 * scope of a request (the one with the fewest remaining).
 *
 * @see https://platform.openai.com/docs/guides/rate-limits#rate-limits-in-headers
 */

/** The figures the headers are made of; a limit of `-1` means no scope had that kind of limit. */
export interface RateFigures {
  readonly requestsLimit: number;
  /** Requests left after this one. */
  readonly requestsRemaining: number;
  /** Until the oldest counted request leaves the window (one more request fits), in ms. */
  readonly requestsResetMs: number;
  readonly tokensLimit: number;
  readonly tokensRemaining: number;
  /** Until the oldest counted tokens leave the window, in ms. */
  readonly tokensResetMs: number;
}

export function rateLimitHeaders(figures: RateFigures, retryAfterSeconds?: number): Record<string, string> {
  const headers: Record<string, string> = {};
  if (figures.requestsLimit >= 0) {
    headers['x-ratelimit-limit-requests'] = String(figures.requestsLimit);
    headers['x-ratelimit-remaining-requests'] = String(figures.requestsRemaining);
    headers['x-ratelimit-reset-requests'] = formatResetDuration(figures.requestsResetMs);
  }
  if (figures.tokensLimit >= 0) {
    headers['x-ratelimit-limit-tokens'] = String(figures.tokensLimit);
    headers['x-ratelimit-remaining-tokens'] = String(figures.tokensRemaining);
    headers['x-ratelimit-reset-tokens'] = formatResetDuration(figures.tokensResetMs);
  }
  if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
  return headers;
}

/** OpenAI's duration format: `120ms`, `17.28s`, `6m0s`. */
export function formatResetDuration(ms: number): string {
  const rounded = Math.max(0, Math.ceil(ms));
  if (rounded < 1000) return `${rounded}ms`;
  if (rounded < 60_000) return `${rounded / 1000}s`;
  const minutes = Math.floor(rounded / 60_000);
  return `${minutes}m${(rounded - minutes * 60_000) / 1000}s`;
}

/** Whole seconds to wait, at least 1 (for `Retry-After`). */
export function retryAfterSecondsOf(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
