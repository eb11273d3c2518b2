/**
 * One behavioural suite, run against both stores: the in-memory store and the Valkey store against a real
 * redis-server on loopback. Time is injected through `nowMs`.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryLimitStore, ValkeyLimitStore } from '../../../../gateway/tokenomics/limits';
import type {
  AdmitDecision,
  AdmitRequest,
  AdmittedDecision,
  LimitScope,
  LimitStore,
  LimitStoreProps,
  RejectedDecision,
} from '../../../../gateway/tokenomics/limits';
import { startRedisServer } from '../../../support/redis-server';
import type { RedisServer } from '../../../support/redis-server';

/** A minute boundary: 2025-01-01T12:00:00Z. */
const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

interface StoreKind {
  readonly name: string;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  create(props?: LimitStoreProps): LimitStore;
}

let server: RedisServer | undefined;

const kinds: StoreKind[] = [
  {
    name: 'MemoryLimitStore',
    setUp: () => Promise.resolve(),
    tearDown: () => Promise.resolve(),
    create: (props) => new MemoryLimitStore(props),
  },
  {
    name: 'ValkeyLimitStore',
    setUp: async () => {
      server = await startRedisServer();
    },
    tearDown: async () => {
      await server?.stop();
    },
    // A fresh key prefix per store keeps tests apart, also on a shared external server.
    create: (props) =>
      new ValkeyLimitStore({ ...props, url: server!.url, keyPrefix: `test:${randomBytes(6).toString('hex')}:` }),
  },
];

function request(scopes: readonly LimitScope[], nowMs: number, worst: { cost?: number; tokens?: number } = {}): AdmitRequest {
  return { scopes, nowMs, worstCaseCost: worst.cost ?? 0, worstCaseTokens: worst.tokens ?? 0, requestId: 'req' };
}

function admitted(decision: AdmitDecision): AdmittedDecision {
  if (!decision.admitted) throw new Error(`expected admission, got ${decision.kind} on ${decision.scope}`);
  return decision;
}

function rejected(decision: AdmitDecision): RejectedDecision {
  if (decision.admitted) throw new Error('expected a rejection, got an admission');
  return decision;
}

describe.each(kinds)('$name', (kind) => {
  const stores: LimitStore[] = [];
  const open = (props?: LimitStoreProps): LimitStore => {
    const store = kind.create(props);
    stores.push(store);
    return store;
  };

  beforeAll(() => kind.setUp());
  afterAll(() => kind.tearDown());
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });

  describe('rpm', () => {
    it('admits exactly the limit out of 300 concurrent requests', async () => {
      // GIVEN
      const store = open();
      const key: LimitScope = { id: 'key:abc', rpm: 100 };
      // WHEN
      const decisions = await Promise.all(
        Array.from({ length: 300 }, (_, index) => store.admit(request([key], T0 + Math.floor(index / 10)))),
      );
      // THEN
      expect(decisions.filter((decision) => decision.admitted)).toHaveLength(100);
      const rejections = decisions.filter((decision) => !decision.admitted);
      expect(rejections).toHaveLength(200);
      for (const rejection of rejections) {
        expect(rejection).toMatchObject({ scope: 'key:abc', kind: 'rpm', limit: 100, current: 100 });
        expect(rejection.retryAfterSeconds).toBe(60);
        expect(rejection.headers['retry-after']).toBe('60');
      }
      expect((await store.usage(key, T0 + 100)).requests).toBe(100);
    });

    it('slides across a minute boundary (no fixed-window double burst)', async () => {
      // GIVEN 10 requests at 12:00:50, the limit
      const store = open();
      const key: LimitScope = { id: 'key:slide', rpm: 10 };
      for (let index = 0; index < 10; index++) admitted(await store.admit(request([key], T0 + 50_000)));

      // WHEN the minute turns (12:01:10): a fixed window would start over; the sliding log does not
      const afterBoundary = rejected(await store.admit(request([key], T0 + 70_000)));

      // THEN the burst leaves the window exactly 60 s after it was admitted
      expect(afterBoundary.kind).toBe('rpm');
      expect(afterBoundary.retryAfterSeconds).toBe(40);
      rejected(await store.admit(request([key], T0 + 109_999)));
      for (let index = 0; index < 10; index++) admitted(await store.admit(request([key], T0 + 110_000)));
      rejected(await store.admit(request([key], T0 + 110_000)));
    });

    it('frees requests one by one as they leave the window', async () => {
      const store = open();
      const key: LimitScope = { id: 'key:staggered', rpm: 4 };
      for (const at of [0, 10_000, 20_000, 30_000]) admitted(await store.admit(request([key], T0 + at)));
      const full = rejected(await store.admit(request([key], T0 + 45_000)));
      expect(full.retryAfterSeconds).toBe(15);
      admitted(await store.admit(request([key], T0 + 60_000)));
      const again = rejected(await store.admit(request([key], T0 + 65_000)));
      expect(again.retryAfterSeconds).toBe(5);
      expect((await store.usage(key, T0 + 65_000)).requests).toBe(4);
    });
  });

  it('rounds fractional count limits down, in both stores alike', async () => {
    const store = open();
    const key: LimitScope = { id: 'key:fraction', rpm: 2.5, maxParallel: 1.9 };
    admitted(await store.admit(request([{ id: 'key:fraction', rpm: 2.5 }], T0)));
    admitted(await store.admit(request([key], T0)));
    expect(rejected(await store.admit(request([key], T0)))).toMatchObject({ kind: 'rpm', limit: 2 });
  });

  describe('tpm', () => {
    it('pre-checks the tokens of the window and counts actual tokens at settle', async () => {
      // GIVEN
      const store = open();
      const key: LimitScope = { id: 'key:tpm', tpm: 1000 };
      const first = admitted(await store.admit(request([key], T0)));
      await store.settle(first.ticket, { cost: 0, tokens: 600 }, T0 + 1_000);

      // WHEN usage is below the limit, a request is admitted whatever its size (a pre-check)
      const second = admitted(await store.admit(request([key], T0 + 2_000, { tokens: 5_000 })));
      expect(second.headers['x-ratelimit-remaining-tokens']).toBe('400');
      await store.settle(second.ticket, { cost: 0, tokens: 500 }, T0 + 10_000);

      // THEN at 1100 of 1000 the next is rejected until the 600 tokens leave the window
      const over = rejected(await store.admit(request([key], T0 + 20_000)));
      expect(over).toMatchObject({ kind: 'tpm', limit: 1000, current: 1100, requested: 0 });
      expect(over.retryAfterSeconds).toBe(41);
      rejected(await store.admit(request([key], T0 + 60_999)));
      admitted(await store.admit(request([key], T0 + 61_000)));
      expect((await store.usage(key, T0 + 61_000)).tokens).toBe(500);
      expect((await store.usage(key, T0 + 70_000)).tokens).toBe(0);
    });
  });

  describe('parallel', () => {
    it('holds a slot until the call is settled or released', async () => {
      const store = open();
      const key: LimitScope = { id: 'key:par', maxParallel: 2 };
      const first = admitted(await store.admit(request([key], T0)));
      const second = admitted(await store.admit(request([key], T0)));
      const third = rejected(await store.admit(request([key], T0)));
      expect(third).toMatchObject({ kind: 'parallel', limit: 2, current: 2, retryAfterSeconds: 1 });
      expect((await store.usage(key, T0)).inFlight).toBe(2);

      await store.settle(first.ticket, { cost: 0, tokens: 10 }, T0 + 5);
      const fourth = admitted(await store.admit(request([key], T0 + 10)));
      rejected(await store.admit(request([key], T0 + 10)));
      await store.release(second.ticket, T0 + 20);
      await store.release(fourth.ticket, T0 + 20);
      expect((await store.usage(key, T0 + 20)).inFlight).toBe(0);
    });

    it('expires a slot that is never settled after inFlightTtlMs', async () => {
      const store = open({ inFlightTtlMs: 30_000 });
      const key: LimitScope = { id: 'key:leak', maxParallel: 1 };
      admitted(await store.admit(request([key], T0)));
      rejected(await store.admit(request([key], T0 + 29_999)));
      admitted(await store.admit(request([key], T0 + 30_000)));
    });
  });

  describe('budgets', () => {
    it('never admits more than the budget under a concurrent burst, and spend is the sum of actual costs', async () => {
      // GIVEN a 10 USD budget with 5 USD spent, requests that may cost 0.3 USD each
      const store = open();
      const key: LimitScope = { id: 'key:burst', maxBudget: 10, knownSpend: 5, budgetPeriod: 'p1' };

      // WHEN 100 requests arrive at once
      const decisions = await Promise.all(
        Array.from({ length: 100 }, () => store.admit(request([key], T0, { cost: 0.3, tokens: 100 }))),
      );

      // THEN 5 + 16 × 0.3 = 9.8 fits, a 17th would make 10.1
      const tickets = decisions.filter((decision) => decision.admitted).map((decision) => decision.ticket);
      expect(tickets).toHaveLength(16);
      expect(5 + tickets.length * 0.3).toBeLessThanOrEqual(10);
      const rejection = rejected(decisions.find((decision) => !decision.admitted)!);
      expect(rejection).toMatchObject({ scope: 'key:burst', kind: 'budget', limit: 10, requested: 0.3 });
      expect(rejection.current).toBeCloseTo(9.8, 9);
      expect(rejection.retryAfterSeconds).toBeUndefined();
      expect(rejection.headers['retry-after']).toBeUndefined();
      expect((await store.usage(key, T0)).reservedCost).toBeCloseTo(4.8, 9);

      // WHEN the calls finish costing less than their worst case
      const actual = tickets.map((_, index) => 0.05 + (index % 5) * 0.05);
      await Promise.all(tickets.map((ticket, index) => store.settle(ticket, { cost: actual[index]!, tokens: 40 }, T0 + 1_000)));

      // THEN spend is the seed plus exactly the actual costs, and nothing stays reserved
      const usage = await store.usage(key, T0 + 1_000);
      expect(usage.spend).toBeCloseTo(5 + actual.reduce((sum, cost) => sum + cost, 0), 9);
      expect(usage.reservedCost).toBe(0);
      expect(usage.spendTokens).toBe(16 * 40);
    });

    it('keeps spend within the budget while calls are admitted and settled concurrently', async () => {
      const store = open();
      const key: LimitScope = { id: 'key:workers', maxBudget: 3 };
      const settled: number[] = [];
      let maxCommitted = 0;
      const worker = async (seed: number): Promise<void> => {
        for (let round = 0; ; round++) {
          const decision = await store.admit(request([key], T0 + round, { cost: 0.25 }));
          if (!decision.admitted) return;
          const cost = ((seed + round) % 5) * 0.05;
          await store.settle(decision.ticket, { cost, tokens: 1 }, T0 + round);
          settled.push(cost);
          const usage = await store.usage(key, T0 + round);
          maxCommitted = Math.max(maxCommitted, usage.spend! + usage.reservedCost);
        }
      };
      await Promise.all(Array.from({ length: 20 }, (_, index) => worker(index)));
      const usage = await store.usage(key, T0 + 10_000);
      const total = settled.reduce((sum, cost) => sum + cost, 0);
      expect(maxCommitted).toBeLessThanOrEqual(3 + 1e-9);
      expect(usage.spend).toBeCloseTo(total, 9);
      expect(usage.spend! + 0.25).toBeGreaterThan(3);
      expect(usage.reservedCost).toBe(0);
    });

    it('reserves and counts tokens against max_budget_tokens', async () => {
      const store = open();
      const key: LimitScope = { id: 'key:tokens', maxBudgetTokens: 1000, knownSpendTokens: 100 };
      const tickets = [];
      for (let index = 0; index < 3; index++) tickets.push(admitted(await store.admit(request([key], T0, { tokens: 300 }))).ticket);
      const over = rejected(await store.admit(request([key], T0, { tokens: 300 })));
      expect(over).toMatchObject({ kind: 'budget_tokens', limit: 1000, current: 1000, requested: 300 });
      await store.settle(tickets[0]!, { cost: 0, tokens: 50 }, T0 + 1);
      rejected(await store.admit(request([key], T0 + 2, { tokens: 251 })));
      admitted(await store.admit(request([key], T0 + 2, { tokens: 250 })));
      expect(await store.usage(key, T0 + 2)).toMatchObject({ spendTokens: 150, reservedTokens: 850 });
    });

    it('releases a failed call without cost', async () => {
      const store = open();
      const key: LimitScope = { id: 'key:release', maxBudget: 1, knownSpend: 0.5, maxParallel: 1 };
      const decision = admitted(await store.admit(request([key], T0, { cost: 0.5, tokens: 10 })));
      rejected(await store.admit(request([key], T0, { cost: 0.01 })));
      await store.release(decision.ticket, T0 + 1);
      expect(await store.usage(key, T0 + 1)).toMatchObject({ spend: 0.5, reservedCost: 0, inFlight: 0 });
      admitted(await store.admit(request([key], T0 + 2, { cost: 0.5 })));
    });

    it('ignores a second settle of the same ticket', async () => {
      const store = open();
      const key: LimitScope = { id: 'key:twice', maxBudget: 10 };
      const decision = admitted(await store.admit(request([key], T0, { cost: 1 })));
      await store.settle(decision.ticket, { cost: 0.5, tokens: 5 }, T0 + 1);
      await store.settle(decision.ticket, { cost: 0.5, tokens: 5 }, T0 + 2);
      expect(await store.usage(key, T0 + 2)).toMatchObject({ spend: 0.5, spendTokens: 5, reservedCost: 0 });
    });

    it('starts a fresh counter when the budget period changes', async () => {
      const store = open();
      const january: LimitScope = { id: 'user:alice', maxBudget: 1, knownSpend: 0.9, budgetPeriod: '2025-02-01' };
      const decision = admitted(await store.admit(request([january], T0, { cost: 0.1 })));
      await store.settle(decision.ticket, { cost: 0.1, tokens: 1 }, T0 + 1);
      rejected(await store.admit(request([january], T0 + 2, { cost: 0.1 })));

      const february: LimitScope = { ...january, knownSpend: 0, budgetPeriod: '2025-03-01' };
      admitted(await store.admit(request([february], T0 + 3, { cost: 0.1 })));
      expect(await store.usage(february, T0 + 3)).toMatchObject({ spend: 0, reservedCost: 0.1 });
    });

    it('seeds the counter from knownSpend only when it does not exist yet', async () => {
      const store = open();
      const seeded: LimitScope = { id: 'team:t1', maxBudget: 10, knownSpend: 9.5 };
      const decision = admitted(await store.admit(request([seeded], T0, { cost: 0.3 })));
      await store.settle(decision.ticket, { cost: 0.3, tokens: 3 }, T0 + 1);

      // A replica with a stale database value (0) does not reset the shared counter.
      const stale: LimitScope = { ...seeded, knownSpend: 0 };
      const rejection = rejected(await store.admit(request([stale], T0 + 2, { cost: 0.3 })));
      expect(rejection.current).toBeCloseTo(9.8, 9);
      expect((await store.usage(stale, T0 + 2)).spend).toBeCloseTo(9.8, 9);
      expect((await store.usage({ id: 'team:unknown' }, T0 + 2)).spend).toBeUndefined();
    });

    it('expires a reservation whose ticket is never settled', async () => {
      const store = open({ inFlightTtlMs: 30_000 });
      const key: LimitScope = { id: 'key:lost', maxBudget: 1 };
      admitted(await store.admit(request([key], T0, { cost: 0.8 })));
      rejected(await store.admit(request([key], T0 + 29_999, { cost: 0.8 })));
      admitted(await store.admit(request([key], T0 + 30_000, { cost: 0.8 })));
      expect((await store.usage(key, T0 + 30_000)).reservedCost).toBeCloseTo(0.8, 9);
    });
  });

  describe('several scopes', () => {
    it('records nothing on any scope when one scope fails', async () => {
      // GIVEN a team whose RPM is used up
      const store = open();
      const team: LimitScope = { id: 'team:t1', rpm: 1 };
      admitted(await store.admit(request([team], T0)));
      const key: LimitScope = { id: 'key:k1', rpm: 10, tpm: 1000, maxParallel: 5, maxBudget: 10 };
      const endUser: LimitScope = { id: 'end_user:c9', rpm: 10, maxBudgetTokens: 1000 };

      // WHEN a request of that team's key arrives
      const decision = rejected(await store.admit(request([key, team, endUser], T0 + 1, { cost: 1, tokens: 100 })));

      // THEN it names the team's RPM and left the key and the end user untouched
      expect(decision).toMatchObject({ scope: 'team:t1', kind: 'rpm', limit: 1, current: 1 });
      expect(await store.usage(key, T0 + 1)).toMatchObject({ requests: 0, inFlight: 0, reservedCost: 0 });
      expect(await store.usage(endUser, T0 + 1)).toMatchObject({ requests: 0, reservedTokens: 0 });

      // AND the key's own limits are intact once the team allows again
      for (let index = 0; index < 5; index++) admitted(await store.admit(request([key, endUser], T0 + 2, { cost: 1 })));
      expect(rejected(await store.admit(request([key, endUser], T0 + 2, { cost: 1 }))).kind).toBe('parallel');
    });

    it('names the first failing scope in request order', async () => {
      const store = open();
      const key: LimitScope = { id: 'key:k2', rpm: 0 };
      const user: LimitScope = { id: 'user:bob', maxBudget: 0 };
      expect(rejected(await store.admit(request([user, key], T0, { cost: 1 }))).scope).toBe('user:bob');
      expect(rejected(await store.admit(request([key, user], T0, { cost: 1 }))).scope).toBe('key:k2');
    });

    it('enforces per-model limits next to the key limits', async () => {
      const store = open();
      const key: LimitScope = { id: 'key:m', rpm: 100 };
      const gpt: LimitScope = { id: 'key:m:model:gpt-4o', rpm: 2 };
      const claude: LimitScope = { id: 'key:m:model:claude', rpm: 2 };
      admitted(await store.admit(request([key, gpt], T0)));
      admitted(await store.admit(request([key, gpt], T0)));
      expect(rejected(await store.admit(request([key, gpt], T0)))).toMatchObject({ scope: 'key:m:model:gpt-4o', kind: 'rpm' });
      admitted(await store.admit(request([key, claude], T0)));
      expect((await store.usage(key, T0)).requests).toBe(3);
    });

    it('admits a request whose scopes set no limits, without headers', async () => {
      const store = open();
      const decision = admitted(await store.admit(request([{ id: 'key:free' }, { id: 'user:free', rpm: null }], T0, { cost: 5 })));
      expect(decision.headers).toEqual({});
      await store.settle(decision.ticket, { cost: 5, tokens: 5 }, T0);
    });

    it('refuses duplicate scope ids and invalid worst cases', async () => {
      const store = open();
      await expect(store.admit(request([{ id: 'key:a' }, { id: 'key:a' }], T0))).rejects.toThrow(/distinct/);
      await expect(store.admit(request([{ id: 'key:a' }], T0, { cost: -1 }))).rejects.toThrow(/worstCaseCost/);
      await expect(store.admit(request([{ id: 'key:a' }], T0, { tokens: Number.NaN }))).rejects.toThrow(/worstCaseTokens/);
    });
  });

  describe('headers', () => {
    it('reports the most constrained RPM and TPM scopes', async () => {
      // GIVEN
      const store = open();
      const key: LimitScope = { id: 'key:h', rpm: 10, tpm: 1000 };
      const user: LimitScope = { id: 'user:h', rpm: 5, tpm: 5000 };
      const first = admitted(await store.admit(request([key, user], T0)));
      expect(first.headers).toEqual({
        'x-ratelimit-limit-requests': '5',
        'x-ratelimit-remaining-requests': '4',
        'x-ratelimit-reset-requests': '1m0s',
        'x-ratelimit-limit-tokens': '1000',
        'x-ratelimit-remaining-tokens': '1000',
        'x-ratelimit-reset-tokens': '0ms',
      });
      await store.settle(first.ticket, { cost: 0, tokens: 250 }, T0 + 1_500);

      // WHEN
      const second = admitted(await store.admit(request([key, user], T0 + 2_000)));

      // THEN the 250 tokens leave the window 60 s after their second (12:00:01)
      expect(second.headers).toMatchObject({
        'x-ratelimit-remaining-requests': '3',
        'x-ratelimit-remaining-tokens': '750',
        'x-ratelimit-reset-tokens': '59s',
      });
      for (let index = 0; index < 3; index++) admitted(await store.admit(request([key, user], T0 + 3_000)));
      const rejection = rejected(await store.admit(request([key, user], T0 + 4_500)));
      expect(rejection.headers).toEqual({
        'x-ratelimit-limit-requests': '5',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '58.5s',
        'x-ratelimit-limit-tokens': '1000',
        'x-ratelimit-remaining-tokens': '750',
        'x-ratelimit-reset-tokens': '56.5s',
        'retry-after': '56',
      });
    });
  });
});
