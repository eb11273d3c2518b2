/**
 * The enforcement contract: RPM, TPM, parallel-request and budget limits for every scope a request
 * touches (key, user, team, end user, key+model, …), checked and recorded in one atomic step.
 *
 * Semantics, shared by both stores (and by the Lua scripts of the Valkey store):
 * - **RPM** is a sliding log: a request is admitted while fewer than `rpm` requests were admitted in the
 *   last 60 s (`(now - 60 s, now]`), exactly, also across minute boundaries.
 * - **TPM** is a pre-check over a sliding 60 s window kept in 1 s buckets: a request is admitted while
 *   the tokens recorded in the last 60 buckets (the last 59–60 s) are below `tpm`. Tokens are recorded by
 *   `settle()`, at settle time, with the call's actual usage. Like LiteLLM, concurrent requests all pass
 *   the pre-check: TPM bounds sustained throughput, not one burst.
 * - **Parallel** counts in-flight tickets: admitted while fewer than `maxParallel` are in flight; a slot is
 *   freed by `settle()`/`release()`, or expires after `inFlightTtlMs` (so a crashed replica's slots free
 *   themselves).
 * - **Budgets** reserve: admitted only while `spend + reserved + worstCase <= maxBudget` (USD) and likewise
 *   for tokens against `maxBudgetTokens`; admission adds the worst case to `reserved`; `settle()` removes
 *   the reservation and adds the actual cost and tokens to `spend`. A reservation whose ticket is never
 *   settled expires after `inFlightTtlMs`. The spend counter of a scope is seeded from `knownSpend` (the
 *   database value) only when it does not exist yet, and is keyed by `budgetPeriod`, so a budget reset
 *   (a new period id) starts a new counter. Money is counted in integer nano-USD, so sums and comparisons
 *   are exact (up to about 9 million USD per scope).
 * - Either every check passes and every counter is updated, or nothing is recorded and the decision names
 *   the first scope and limit that failed.
 */

/** 60 s: the window of RPM and TPM. */
export const RATE_WINDOW_MS = 60_000;

/** One thing a request counts against: a key, a user, a team, an end user, a key+model pair, … */
export interface LimitScope {
  /**
   * A stable, unique id, e.g. `key:<hash>`, `user:alice`, `team:t1`, `end_user:c9`, `key:<hash>:model:gpt-4o`.
   * Ids within one request must be distinct.
   */
  readonly id: string;
  /**
   * Requests per sliding 60 s.
   * @default - no RPM limit
   */
  readonly rpm?: number | null;
  /**
   * Tokens per sliding 60 s (pre-check: admitted while usage is below it).
   * @default - no TPM limit
   */
  readonly tpm?: number | null;
  /**
   * Requests in flight at once.
   * @default - no parallel limit
   */
  readonly maxParallel?: number | null;
  /**
   * Budget in USD for the current budget period.
   * @default - no USD budget
   */
  readonly maxBudget?: number | null;
  /**
   * Budget in tokens for the current budget period.
   * @default - no token budget
   */
  readonly maxBudgetTokens?: number | null;
  /**
   * The spend (USD) the database knows for this period; seeds the shared counter only when it is absent.
   * @default 0
   */
  readonly knownSpend?: number | null;
  /**
   * The tokens the database knows for this period; seeds the shared counter only when it is absent.
   * @default 0
   */
  readonly knownSpendTokens?: number | null;
  /**
   * Identifies the budget period (e.g. `budget_reset_at` in ms); a new value starts a new spend counter.
   * @default - one period forever
   */
  readonly budgetPeriod?: string | null;
}

export interface AdmitRequest {
  /** Every scope the request counts against. Scopes without any limit are skipped. */
  readonly scopes: readonly LimitScope[];
  /** The most the call can cost in USD (reserved against USD budgets). */
  readonly worstCaseCost: number;
  /** The most tokens the call can use (reserved against token budgets); see `worstCaseTokens()`. */
  readonly worstCaseTokens: number;
  /** The request's time, in ms since the epoch. Replicas sharing a Valkey must have synchronised clocks. */
  readonly nowMs: number;
  /** The request id, kept on the ticket for logs. Counters use a store-generated ticket id instead. */
  readonly requestId: string;
}

/** Proof of admission: hand it back to `settle()` or `release()` exactly once. */
export interface LimitTicket {
  readonly requestId: string;
  readonly worstCaseCost: number;
  readonly worstCaseTokens: number;
}

export type LimitKind = 'rpm' | 'tpm' | 'parallel' | 'budget' | 'budget_tokens';

export interface AdmittedDecision {
  readonly admitted: true;
  readonly ticket: LimitTicket;
  /** `x-ratelimit-*` response headers for the most constrained RPM and TPM scopes. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface RejectedDecision {
  readonly admitted: false;
  /** The id of the scope whose limit failed (the first one, in request order). */
  readonly scope: string;
  readonly kind: LimitKind;
  /** The limit: requests, tokens, slots, USD or budget tokens. */
  readonly limit: number;
  /** The usage the limit was compared with (for budgets: spend plus in-flight reservations). */
  readonly current: number;
  /** What this request needed on top: 1 request or slot, 0 tokens (TPM is a pre-check), the worst case for budgets. */
  readonly requested: number;
  /** For rate limits (`rpm`, `tpm`, `parallel`): when a retry can succeed, in whole seconds (≥ 1). */
  readonly retryAfterSeconds?: number;
  /** `x-ratelimit-*` headers, plus `retry-after` for rate limits. */
  readonly headers: Readonly<Record<string, string>>;
}

export type AdmitDecision = AdmittedDecision | RejectedDecision;

/** What a call actually used. */
export interface ActualUsage {
  /** USD. */
  readonly cost: number;
  readonly tokens: number;
}

/** The counters of one scope, as the store sees them now. */
export interface ScopeUsage {
  /** Requests admitted in the last 60 s. */
  readonly requests: number;
  /** Tokens recorded in the TPM window. */
  readonly tokens: number;
  /** Parallel slots held. */
  readonly inFlight: number;
  /** USD spent in the scope's budget period (`undefined` when the scope has no counter yet). */
  readonly spend: number | undefined;
  /** USD reserved by requests in flight. */
  readonly reservedCost: number;
  readonly spendTokens: number | undefined;
  readonly reservedTokens: number;
}

export interface LimitStore {
  /** Checks every limit of every scope and, only if all pass, records the request in one atomic step. */
  admit(request: AdmitRequest): Promise<AdmitDecision>;
  /** Ends an admitted call: frees its slots and reservations and records its actual cost and tokens. */
  settle(ticket: LimitTicket, actual: ActualUsage, nowMs: number): Promise<void>;
  /** Ends an admitted call that cost nothing (it failed before the provider charged): `settle` with zero usage. */
  release(ticket: LimitTicket, nowMs: number): Promise<void>;
  /** Reads a scope's counters (for reports, `/key/info` and tests); the scope's limits are not needed. */
  usage(scope: Pick<LimitScope, 'id' | 'budgetPeriod'>, nowMs: number): Promise<ScopeUsage>;
  close(): Promise<void>;
}

export interface LimitStoreProps {
  /**
   * How long a parallel slot or a budget reservation is held when its ticket is never settled (a crashed
   * replica, a lost promise). Calls longer than this lose their slot early; their cost is still recorded.
   * @default 600_000 (10 min)
   */
  readonly inFlightTtlMs?: number;
  /**
   * How long an untouched spend counter is kept before it is dropped (and later re-seeded from `knownSpend`).
   * @default 86_400_000 (24 h)
   */
  readonly budgetIdleTtlMs?: number;
}

export const DEFAULT_IN_FLIGHT_TTL_MS = 600_000;
export const DEFAULT_BUDGET_IDLE_TTL_MS = 86_400_000;

const NANO = 1e9;
/** The largest amount counted exactly in nano-USD (2^53 nano-USD). */
const MAX_USD = Math.floor(Number.MAX_SAFE_INTEGER / NANO);

/** USD → integer nano-USD. */
export function usdToNano(usd: number): number {
  return Math.round(usd * NANO);
}

export function nanoToUsd(nano: number): number {
  return nano / NANO;
}

/** A configured limit, or `undefined` for none (`null`, `undefined`, a negative or non-finite value). */
export function limitOf(value: number | null | undefined): number | undefined {
  return typeof value === 'number' && value >= 0 && Number.isFinite(value) ? value : undefined;
}

/** A count limit (requests, tokens, slots): `limitOf`, rounded down to a whole number. */
export function wholeLimitOf(value: number | null | undefined): number | undefined {
  const limit = limitOf(value);
  return limit === undefined ? undefined : Math.floor(limit);
}

/** Throws on inputs that would corrupt counters; cheap enough for the hot path. */
export function assertAdmitRequest(request: AdmitRequest): void {
  const { worstCaseCost, worstCaseTokens, nowMs, scopes } = request;
  if (!(worstCaseCost >= 0 && worstCaseCost <= MAX_USD)) {
    throw new RangeError(`worstCaseCost must be a number from 0 to ${MAX_USD}, got ${worstCaseCost}`);
  }
  if (!(worstCaseTokens >= 0 && worstCaseTokens <= Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`worstCaseTokens must be a safe integer >= 0, got ${worstCaseTokens}`);
  }
  if (!Number.isFinite(nowMs)) throw new RangeError(`nowMs must be a finite number, got ${nowMs}`);
  for (let index = 1; index < scopes.length; index++) {
    for (let other = 0; other < index; other++) {
      if (scopes[index]?.id === scopes[other]?.id) {
        throw new RangeError(`scope ids must be distinct within one request, got "${scopes[index]?.id}" twice`);
      }
    }
  }
}

export function assertActualUsage(actual: ActualUsage): void {
  if (!(actual.cost >= 0 && actual.cost <= MAX_USD)) {
    throw new RangeError(`actual cost must be a number from 0 to ${MAX_USD}, got ${actual.cost}`);
  }
  if (!(actual.tokens >= 0 && actual.tokens <= Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`actual tokens must be a safe integer >= 0, got ${actual.tokens}`);
  }
}
