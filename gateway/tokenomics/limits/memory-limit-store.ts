/**
 * The single-replica limit store: plain objects in this process, one synchronous step per admit (so no
 * other admit can interleave), a few µs per request. Used when no Valkey is configured; with several
 * replicas each would enforce its own limits, so use `ValkeyLimitStore` there.
 *
 * Semantics are those of `limit-store.ts`, identical to the Valkey store's Lua scripts.
 */
import {
  DEFAULT_BUDGET_IDLE_TTL_MS,
  DEFAULT_IN_FLIGHT_TTL_MS,
  RATE_WINDOW_MS,
  assertActualUsage,
  assertAdmitRequest,
  limitOf,
  nanoToUsd,
  usdToNano,
  wholeLimitOf,
} from './limit-store';
import type {
  ActualUsage,
  AdmitDecision,
  AdmitRequest,
  LimitScope,
  LimitStore,
  LimitStoreProps,
  LimitTicket,
  ScopeUsage,
} from './limit-store';
import { rejectedDecision, windowHeaders } from './decisions';
import type { LimitFailure, WindowFigures } from './decisions';

const BUCKETS = RATE_WINDOW_MS / 1000;

/** The admission times of the last 60 s, oldest first, in a ring that grows up to the RPM limit. */
class SlidingLog {
  private times = new Float64Array(16);
  private head = 0;
  size = 0;

  trim(nowMs: number): void {
    const cutoff = nowMs - RATE_WINDOW_MS;
    const times = this.times;
    while (this.size > 0 && times[this.head]! <= cutoff) {
      this.head = this.head + 1 === times.length ? 0 : this.head + 1;
      this.size--;
    }
  }

  /** The `index`-th oldest entry (0 = oldest). */
  at(index: number): number {
    return this.times[(this.head + index) % this.times.length]!;
  }

  push(nowMs: number): void {
    if (this.size === this.times.length) {
      const grown = new Float64Array(this.times.length * 2);
      for (let index = 0; index < this.size; index++) grown[index] = this.at(index);
      this.times = grown;
      this.head = 0;
    }
    this.times[(this.head + this.size) % this.times.length] = nowMs;
    this.size++;
  }
}

/** Tokens per second over the last 60 s, in a ring of 60 one-second buckets. */
class TokenWindow {
  private readonly seconds = new Float64Array(BUCKETS).fill(-Infinity);
  private readonly tokens = new Float64Array(BUCKETS);

  used(nowSecond: number): number {
    const oldest = nowSecond - BUCKETS;
    let total = 0;
    for (let index = 0; index < BUCKETS; index++) if (this.seconds[index]! > oldest) total += this.tokens[index]!;
    return total;
  }

  add(nowSecond: number, amount: number): void {
    const index = ((nowSecond % BUCKETS) + BUCKETS) % BUCKETS;
    // A bucket newer than `nowSecond` (the clock went back) keeps its second rather than being wiped.
    if (this.seconds[index]! < nowSecond) {
      this.seconds[index] = nowSecond;
      this.tokens[index] = 0;
    }
    this.tokens[index]! += amount;
  }

  /** The second of the newest bucket with tokens in the window, or `undefined`. */
  newest(nowSecond: number): number | undefined {
    let newest: number | undefined;
    for (let index = 0; index < BUCKETS; index++) {
      const second = this.seconds[index]!;
      if (second > nowSecond - BUCKETS && this.tokens[index]! > 0 && (newest === undefined || second > newest)) newest = second;
    }
    return newest;
  }

  /** How long until usage drops below `limit`, in ms (only called when it is not). */
  retryMs(nowMs: number, used: number, limit: number): number {
    const nowSecond = Math.floor(nowMs / 1000);
    const buckets: Array<[number, number]> = [];
    for (let index = 0; index < BUCKETS; index++) {
      const second = this.seconds[index]!;
      if (second > nowSecond - BUCKETS && this.tokens[index]! > 0) buckets.push([second, this.tokens[index]!]);
    }
    buckets.sort((left, right) => left[0] - right[0]);
    let remaining = used;
    for (const [second, amount] of buckets) {
      remaining -= amount;
      if (remaining < limit) return (second + BUCKETS) * 1000 - nowMs;
    }
    return RATE_WINDOW_MS;
  }
}

interface Reservation {
  readonly cost: number;
  readonly tokens: number;
  readonly expiresAtMs: number;
}

/** The spend counter of one scope for one budget period; money in nano-USD. */
class BudgetCounter {
  reserved = 0;
  reservedTokens = 0;
  readonly reservations = new Map<number, Reservation>();

  constructor(
    readonly period: string,
    public spend: number,
    public spendTokens: number,
  ) {}

  /** Drops reservations whose ticket was never settled. */
  sweep(nowMs: number): void {
    for (const [ticketId, reservation] of this.reservations) {
      if (reservation.expiresAtMs <= nowMs) this.unreserve(ticketId);
    }
  }

  unreserve(ticketId: number): void {
    const reservation = this.reservations.get(ticketId);
    if (reservation === undefined) return;
    this.reservations.delete(ticketId);
    this.reserved -= reservation.cost;
    this.reservedTokens -= reservation.tokens;
    if (this.reservations.size === 0) {
      this.reserved = 0;
      this.reservedTokens = 0;
    }
  }
}

class ScopeState {
  log: SlidingLog | undefined;
  tokens: TokenWindow | undefined;
  /** Ticket id → when the slot expires. */
  inFlight: Map<number, number> | undefined;
  budget: BudgetCounter | undefined;

  constructor(public lastUsedMs: number) {}

  countInFlight(nowMs: number, limit: number): number {
    const inFlight = this.inFlight;
    if (inFlight === undefined) return 0;
    if (inFlight.size >= limit) {
      for (const [ticketId, expiresAtMs] of inFlight) if (expiresAtMs <= nowMs) inFlight.delete(ticketId);
    }
    return inFlight.size;
  }
}

interface TicketEntry {
  readonly state: ScopeState;
  readonly tpm: boolean;
  readonly parallel: boolean;
  readonly budget: BudgetCounter | undefined;
}

class MemoryTicket implements LimitTicket {
  settled = false;

  constructor(
    readonly id: number,
    readonly requestId: string,
    readonly worstCaseCost: number,
    readonly worstCaseTokens: number,
    readonly entries: readonly TicketEntry[],
  ) {}
}

interface Failure extends LimitFailure {
  readonly index: number;
}

export class MemoryLimitStore implements LimitStore {
  private readonly states = new Map<string, ScopeState>();
  private readonly inFlightTtlMs: number;
  private readonly budgetIdleTtlMs: number;
  private nextTicketId = 1;
  private lastIdleSweepMs = -Infinity;

  constructor(props: LimitStoreProps = {}) {
    this.inFlightTtlMs = props.inFlightTtlMs ?? DEFAULT_IN_FLIGHT_TTL_MS;
    this.budgetIdleTtlMs = props.budgetIdleTtlMs ?? DEFAULT_BUDGET_IDLE_TTL_MS;
  }

  admit(request: AdmitRequest): Promise<AdmitDecision> {
    try {
      return Promise.resolve(this.admitNow(request));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The synchronous admit: nothing else runs between the checks and the updates. */
  admitNow(request: AdmitRequest): AdmitDecision {
    assertAdmitRequest(request);
    const { scopes, nowMs } = request;
    const nowSecond = Math.floor(nowMs / 1000);
    const cost = usdToNano(request.worstCaseCost);
    const tokens = Math.ceil(request.worstCaseTokens);
    if (nowMs - this.lastIdleSweepMs >= RATE_WINDOW_MS) this.sweepIdle(nowMs);

    let failure: Failure | undefined;
    let requestsLimit = -1;
    let requestsRemaining = 0;
    let requestsNewestMs = -1;
    let tokensLimit = -1;
    let tokensRemaining = 0;
    let tokensNewestSecond = -1;
    const states: Array<ScopeState | undefined> = new Array<ScopeState | undefined>(scopes.length);

    // Phase 1: check every limit of every scope.
    for (let index = 0; index < scopes.length; index++) {
      const scope = scopes[index]!;
      const rpm = wholeLimitOf(scope.rpm);
      const tpm = wholeLimitOf(scope.tpm);
      const maxParallel = wholeLimitOf(scope.maxParallel);
      const maxBudget = limitOf(scope.maxBudget);
      const maxBudgetTokens = wholeLimitOf(scope.maxBudgetTokens);
      if (rpm === undefined && tpm === undefined && maxParallel === undefined && maxBudget === undefined && maxBudgetTokens === undefined) {
        continue;
      }
      let state = this.states.get(scope.id);
      if (state === undefined) {
        state = new ScopeState(nowMs);
        this.states.set(scope.id, state);
      }
      states[index] = state;
      state.lastUsedMs = nowMs;

      if (rpm !== undefined) {
        const log = (state.log ??= new SlidingLog());
        log.trim(nowMs);
        const count = log.size;
        if (count >= rpm && failure === undefined) {
          const retryMs = rpm === 0 ? RATE_WINDOW_MS : log.at(count - rpm) + RATE_WINDOW_MS - nowMs;
          failure = { index, kind: 'rpm', limit: rpm, current: count, requested: 1, retryMs };
        }
        if (requestsLimit < 0 || rpm - count < requestsRemaining) {
          requestsLimit = rpm;
          requestsRemaining = rpm - count;
          requestsNewestMs = count > 0 ? log.at(count - 1) : -1;
        }
      }

      if (tpm !== undefined) {
        const window = (state.tokens ??= new TokenWindow());
        const used = window.used(nowSecond);
        if (used >= tpm && failure === undefined) {
          failure = { index, kind: 'tpm', limit: tpm, current: used, requested: 0, retryMs: window.retryMs(nowMs, used, tpm) };
        }
        if (tokensLimit < 0 || tpm - used < tokensRemaining) {
          tokensLimit = tpm;
          tokensRemaining = tpm - used;
          tokensNewestSecond = window.newest(nowSecond) ?? -1;
        }
      }

      if (maxParallel !== undefined) {
        const inFlight = state.countInFlight(nowMs, maxParallel);
        if (inFlight >= maxParallel && failure === undefined) {
          failure = { index, kind: 'parallel', limit: maxParallel, current: inFlight, requested: 1, retryMs: 1000 };
        }
      }

      if (maxBudget !== undefined || maxBudgetTokens !== undefined) {
        const period = scope.budgetPeriod ?? '';
        let budget = state.budget;
        if (budget === undefined || budget.period !== period) {
          budget = new BudgetCounter(period, usdToNano(scope.knownSpend ?? 0), Math.ceil(scope.knownSpendTokens ?? 0));
          state.budget = budget;
        }
        if (failure === undefined) failure = this.checkBudget(budget, index, nowMs, cost, tokens, maxBudget, maxBudgetTokens);
      }
    }

    const figures: WindowFigures = {
      requestsLimit,
      requestsRemaining,
      requestsNewestMs,
      tokensLimit,
      tokensRemaining,
      tokensNewestSecond,
    };
    if (failure !== undefined) return rejectedDecision(scopes[failure.index]!.id, failure, figures, nowMs);

    // Phase 2: record the request everywhere.
    const ticketId = this.nextTicketId++;
    const entries: TicketEntry[] = [];
    for (let index = 0; index < scopes.length; index++) {
      const scope = scopes[index]!;
      const state = states[index];
      if (state === undefined) continue;
      if (state.log !== undefined && limitOf(scope.rpm) !== undefined) state.log.push(nowMs);
      const parallel = limitOf(scope.maxParallel) !== undefined;
      if (parallel) (state.inFlight ??= new Map()).set(ticketId, nowMs + this.inFlightTtlMs);
      let budget: BudgetCounter | undefined;
      if (limitOf(scope.maxBudget) !== undefined || limitOf(scope.maxBudgetTokens) !== undefined) {
        budget = state.budget!;
        if (cost > 0 || tokens > 0) {
          budget.reservations.set(ticketId, { cost, tokens, expiresAtMs: nowMs + this.inFlightTtlMs });
          budget.reserved += cost;
          budget.reservedTokens += tokens;
        }
      }
      entries.push({ state, tpm: limitOf(scope.tpm) !== undefined, parallel, budget });
    }
    const ticket = new MemoryTicket(ticketId, request.requestId, request.worstCaseCost, request.worstCaseTokens, entries);
    const headers = windowHeaders(figures, nowMs, true);
    return { admitted: true, ticket, headers };
  }

  settle(ticket: LimitTicket, actual: ActualUsage, nowMs: number): Promise<void> {
    try {
      this.settleNow(ticket, actual, nowMs);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Idempotent: a ticket settles once; later calls are ignored. */
  settleNow(ticket: LimitTicket, actual: ActualUsage, nowMs: number): void {
    if (!(ticket instanceof MemoryTicket)) throw new TypeError('the ticket was not issued by this MemoryLimitStore');
    assertActualUsage(actual);
    if (ticket.settled) return;
    ticket.settled = true;
    const cost = usdToNano(actual.cost);
    const tokens = Math.ceil(actual.tokens);
    const nowSecond = Math.floor(nowMs / 1000);
    for (const entry of ticket.entries) {
      const state = entry.state;
      state.lastUsedMs = nowMs;
      if (entry.tpm && tokens > 0) (state.tokens ??= new TokenWindow()).add(nowSecond, tokens);
      if (entry.parallel) state.inFlight?.delete(ticket.id);
      const budget = entry.budget;
      if (budget !== undefined) {
        budget.unreserve(ticket.id);
        budget.spend += cost;
        budget.spendTokens += tokens;
      }
    }
  }

  release(ticket: LimitTicket, nowMs: number): Promise<void> {
    return this.settle(ticket, { cost: 0, tokens: 0 }, nowMs);
  }

  usage(scope: Pick<LimitScope, 'id' | 'budgetPeriod'>, nowMs: number): Promise<ScopeUsage> {
    const state = this.states.get(scope.id);
    let inFlight = 0;
    if (state?.inFlight !== undefined) for (const expiresAtMs of state.inFlight.values()) if (expiresAtMs > nowMs) inFlight++;
    state?.log?.trim(nowMs);
    const budget = state?.budget?.period === (scope.budgetPeriod ?? '') ? state.budget : undefined;
    budget?.sweep(nowMs);
    return Promise.resolve({
      requests: state?.log?.size ?? 0,
      tokens: state?.tokens?.used(Math.floor(nowMs / 1000)) ?? 0,
      inFlight,
      spend: budget === undefined ? undefined : nanoToUsd(budget.spend),
      reservedCost: budget === undefined ? 0 : nanoToUsd(budget.reserved),
      spendTokens: budget?.spendTokens,
      reservedTokens: budget?.reservedTokens ?? 0,
    });
  }

  close(): Promise<void> {
    this.states.clear();
    return Promise.resolve();
  }

  private checkBudget(
    budget: BudgetCounter,
    index: number,
    nowMs: number,
    cost: number,
    tokens: number,
    maxBudget: number | undefined,
    maxBudgetTokens: number | undefined,
  ): Failure | undefined {
    const maxNano = maxBudget === undefined ? undefined : usdToNano(maxBudget);
    const fits = (): boolean =>
      (maxNano === undefined || budget.spend + budget.reserved + cost <= maxNano) &&
      (maxBudgetTokens === undefined || budget.spendTokens + budget.reservedTokens + tokens <= maxBudgetTokens);
    if (fits()) return undefined;
    budget.sweep(nowMs);
    if (fits()) return undefined;
    if (maxNano !== undefined && budget.spend + budget.reserved + cost > maxNano) {
      return { index, kind: 'budget', limit: maxNano, current: budget.spend + budget.reserved, requested: cost, retryMs: undefined };
    }
    return {
      index,
      kind: 'budget_tokens',
      limit: maxBudgetTokens!,
      current: budget.spendTokens + budget.reservedTokens,
      requested: tokens,
      retryMs: undefined,
    };
  }

  /** Forgets scopes nobody used for a while: rate-only scopes after the in-flight TTL, budget scopes after the idle TTL. */
  private sweepIdle(nowMs: number): void {
    this.lastIdleSweepMs = nowMs;
    const rateIdleMs = Math.max(this.inFlightTtlMs, RATE_WINDOW_MS);
    for (const [id, state] of this.states) {
      const idleMs = state.budget === undefined ? rateIdleMs : Math.max(rateIdleMs, this.budgetIdleTtlMs);
      if (nowMs - state.lastUsedMs > idleMs) this.states.delete(id);
    }
  }
}
