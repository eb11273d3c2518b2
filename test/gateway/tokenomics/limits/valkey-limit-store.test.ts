/**
 * What only the Valkey store does: several replicas (separate clients) sharing one redis-server, slots of a
 * crashed replica expiring, one script call per event-loop turn for all its admits and settles, and its key
 * layout.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'iovalkey';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryLimitStore, ValkeyLimitStore } from '../../../../gateway/tokenomics/limits';
import type { AdmitDecision, LimitScope, LimitStore, ValkeyLimitStoreProps } from '../../../../gateway/tokenomics/limits';
import { scriptCallCount, startRedisSentinel, startRedisServer } from '../../../support/redis-server';
import type { RedisServer } from '../../../support/redis-server';
import { freePort } from '../../../support/free-port';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

let server: RedisServer;
let raw: Redis;
const stores: ValkeyLimitStore[] = [];

function newPrefix(): string {
  return `test:${randomBytes(6).toString('hex')}:`;
}

function replica(props: Omit<ValkeyLimitStoreProps, 'url'> = {}): ValkeyLimitStore {
  const store = new ValkeyLimitStore({ url: server.url, ...props });
  stores.push(store);
  return store;
}

function admitOne(store: ValkeyLimitStore, scopes: readonly LimitScope[], nowMs: number, cost = 0): Promise<AdmitDecision> {
  return store.admit({ scopes, nowMs, worstCaseCost: cost, worstCaseTokens: 10, requestId: 'req' });
}

/** Script calls the server ran (EVALSHA, and EVAL when a script was not loaded yet). */
const evalshaCalls = (): Promise<number> => scriptCallCount(raw);

beforeAll(async () => {
  server = await startRedisServer();
  raw = new Redis(server.url);
});

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

afterAll(async () => {
  await raw.quit();
  await server.stop();
});

describe('ValkeyLimitStore across replicas', () => {
  it('enforces one shared RPM exactly for two replicas (300 concurrent requests, limit 100)', async () => {
    // GIVEN two gateway replicas, each with its own client, on one Valkey
    const keyPrefix = newPrefix();
    const first = replica({ keyPrefix });
    const second = replica({ keyPrefix });
    const key: LimitScope = { id: 'key:shared', rpm: 100 };

    // WHEN 300 requests arrive at once, alternating between them
    const decisions = await Promise.all(
      Array.from({ length: 300 }, (_, index) => admitOne(index % 2 === 0 ? first : second, [key], T0 + index)),
    );

    // THEN exactly 100 are admitted in total
    expect(decisions.filter((decision) => decision.admitted)).toHaveLength(100);
    expect((await first.usage(key, T0 + 300)).requests).toBe(100);
  });

  it('never lets two replicas overshoot a budget together', async () => {
    const keyPrefix = newPrefix();
    const replicas = [replica({ keyPrefix }), replica({ keyPrefix }), replica({ keyPrefix })];
    const key: LimitScope = { id: 'key:budget', maxBudget: 10 };
    const decisions = await Promise.all(
      Array.from({ length: 120 }, (_, index) => admitOne(replicas[index % 3]!, [key], T0, 0.3).then((decision) => ({ decision, index }))),
    );
    const admittedOnes = decisions.filter(({ decision }) => decision.admitted);
    expect(admittedOnes).toHaveLength(33);

    let expected = 0;
    await Promise.all(
      admittedOnes.map(({ decision, index }) => {
        if (!decision.admitted) throw new Error('unreachable');
        const cost = 0.01 * (index % 7);
        expected += cost;
        return replicas[index % 3]!.settle(decision.ticket, { cost, tokens: 5 }, T0 + 1);
      }),
    );
    const usage = await replicas[0]!.usage(key, T0 + 1);
    expect(usage.spend).toBeCloseTo(expected, 9);
    expect(usage.reservedCost).toBe(0);
    expect(usage.spendTokens).toBe(33 * 5);
  });

  it("expires a crashed replica's parallel slots and reservations after inFlightTtlMs", async () => {
    // GIVEN a replica that admits and then dies without settling
    const keyPrefix = newPrefix();
    const crashed = replica({ keyPrefix, inFlightTtlMs: 60_000 });
    const survivor = replica({ keyPrefix, inFlightTtlMs: 60_000 });
    const key: LimitScope = { id: 'key:crash', maxParallel: 1, maxBudget: 1 };
    expect((await admitOne(crashed, [key], T0, 0.9)).admitted).toBe(true);
    await crashed.close();

    // WHEN another replica asks before and after the TTL
    const before = await admitOne(survivor, [key], T0 + 59_999, 0.9);
    const after = await admitOne(survivor, [key], T0 + 60_000, 0.9);

    // THEN the slot and the reservation are held until the TTL, then freed
    expect(before).toMatchObject({ admitted: false, kind: 'parallel' });
    expect(after.admitted).toBe(true);
    expect((await survivor.usage(key, T0 + 60_000)).reservedCost).toBeCloseTo(0.9, 9);
  });

  it('keeps a budget counter alive while calls that reserve nothing use it', async () => {
    // GIVEN a budget counter whose TTL has almost run out
    const keyPrefix = newPrefix();
    const store = replica({ keyPrefix, budgetIdleTtlMs: 60_000 });
    const scope: LimitScope = { id: 'key:free-calls', maxBudget: 5 };
    const free = (nowMs: number): Promise<AdmitDecision> => store.admit({ scopes: [scope], nowMs, worstCaseCost: 0, worstCaseTokens: 0, requestId: 'free' });
    expect((await free(T0)).admitted).toBe(true);
    await raw.pexpire(`${keyPrefix}spend:key:free-calls`, 5_000);

    // WHEN a call that reserves nothing comes after a tenth of the idle TTL
    expect((await free(T0 + 6_001)).admitted).toBe(true);

    // THEN the counter's TTL is the idle TTL again
    expect(await raw.pttl(`${keyPrefix}spend:key:free-calls`)).toBeGreaterThan(50_000);
  });

  it('lets Valkey drop an idle parallel-slot key by itself after the TTL (real time)', async () => {
    const keyPrefix = newPrefix();
    const store = replica({ keyPrefix, inFlightTtlMs: 300 });
    const key: LimitScope = { id: 'key:ttl', maxParallel: 1 };
    expect((await admitOne(store, [key], Date.now())).admitted).toBe(true);
    expect(await raw.pttl(`${keyPrefix}par:key:ttl`)).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await raw.exists(`${keyPrefix}par:key:ttl`)).toBe(0);
    expect((await admitOne(store, [key], Date.now())).admitted).toBe(true);
  });
});

describe('ValkeyLimitStore on the wire', () => {
  it('uses one script call per admit and one per settle', async () => {
    const store = replica({ keyPrefix: newPrefix() });
    const scopes: LimitScope[] = [
      { id: 'key:rt', rpm: 100, tpm: 10_000, maxParallel: 10, maxBudget: 100 },
      { id: 'user:rt', rpm: 100, maxBudget: 100 },
      { id: 'team:rt', tpm: 100_000 },
      { id: 'key:rt:model:gpt', rpm: 10 },
    ];
    const warmUp = await admitOne(store, scopes, T0, 0.1);
    if (warmUp.admitted) await store.settle(warmUp.ticket, { cost: 0.1, tokens: 10 }, T0);

    const before = await evalshaCalls();
    const decision = await admitOne(store, scopes, T0 + 1, 0.1);
    const afterAdmit = await evalshaCalls();
    if (!decision.admitted) throw new Error('expected admission');
    await store.settle(decision.ticket, { cost: 0.05, tokens: 20 }, T0 + 2);
    const afterSettle = await evalshaCalls();

    expect(afterAdmit - before).toBe(1);
    expect(afterSettle - afterAdmit).toBe(1);
  });

  it('settles the calls of one tick in one script call, exactly as one by one', async () => {
    // GIVEN 40 admitted calls on a key with a budget, a TPM limit and parallel slots (two scopes each)
    const store = replica({ keyPrefix: newPrefix() });
    const scopes: LimitScope[] = [
      { id: 'key:batch', tpm: 1_000_000, maxParallel: 100, maxBudget: 100 },
      { id: 'team:batch', maxBudget: 100 },
    ];
    const tickets = [];
    for (let index = 0; index < 40; index += 1) {
      const decision = await admitOne(store, scopes, T0 + index, 0.5);
      if (!decision.admitted) throw new Error('expected admission');
      tickets.push(decision.ticket);
    }
    const reserved = await store.usage(scopes[0] as LimitScope, T0 + 100);
    expect(reserved.inFlight).toBe(40);
    expect(reserved.reservedCost).toBeCloseTo(20, 9);

    // WHEN they all settle in the same turn
    const before = await evalshaCalls();
    await Promise.all(tickets.map((ticket, index) => store.settle(ticket, { cost: 0.01 * (index + 1), tokens: 10 }, T0 + 200)));
    const calls = (await evalshaCalls()) - before;

    // THEN one call settled them all: every slot freed, every reservation released, every cost counted
    expect(calls).toBe(1);
    const expectedSpend = (0.01 * 40 * 41) / 2;
    for (const scope of scopes) {
      const usage = await store.usage(scope, T0 + 300);
      expect(usage.reservedCost).toBe(0);
      expect(usage.spend).toBeCloseTo(expectedSpend, 9);
    }
    const keyUsage = await store.usage(scopes[0] as LimitScope, T0 + 300);
    expect(keyUsage.inFlight).toBe(0);
    expect(keyUsage.tokens).toBe(400);
    // and settling again changes nothing
    await Promise.all(tickets.map((ticket) => store.settle(ticket, { cost: 1, tokens: 10 }, T0 + 400)));
    expect((await store.usage(scopes[0] as LimitScope, T0 + 400)).spend).toBeCloseTo(expectedSpend, 9);
  });

  it('reuses the wire form of a scope object, and a new scope object with other limits applies at once', async () => {
    // GIVEN a scope object reused call after call (as for a cached key), with rpm 2
    const store = replica({ keyPrefix: newPrefix() });
    const scope: LimitScope = { id: 'key:reuse', rpm: 2 };
    expect((await admitOne(store, [scope], T0)).admitted).toBe(true);
    expect((await admitOne(store, [scope], T0 + 1)).admitted).toBe(true);
    expect((await admitOne(store, [scope], T0 + 2)).admitted).toBe(false);

    // WHEN the key is updated to rpm 3 (the auth cache hands out a new record, so a new scope object)
    const raised: LimitScope = { ...scope, rpm: 3 };

    // THEN the new limit holds on the same counters
    expect((await admitOne(store, [raised], T0 + 3)).admitted).toBe(true);
    expect((await admitOne(store, [raised], T0 + 4)).admitted).toBe(false);
  });

  it('admits the calls of one turn in one script call, in order, exactly as one by one', async () => {
    // GIVEN a key with rpm 5 and a budget for 4 calls of 1 USD each
    const store = replica({ keyPrefix: newPrefix() });
    const rpmScope: LimitScope = { id: 'key:burst', rpm: 5 };
    const budgetScope: LimitScope = { id: 'team:burst', maxBudget: 4 };

    // WHEN 8 calls are admitted in the same turn
    const before = await evalshaCalls();
    const decisions = await Promise.all(Array.from({ length: 8 }, (_unused, index) => admitOne(store, [rpmScope, budgetScope], T0 + index, 1)));
    const calls = (await evalshaCalls()) - before;

    // THEN one call decided them all, in the order they were issued: the first 4 fit the budget, the rest
    // do not (the budget is checked before the RPM log fills up), and each rejection names its scope
    expect(calls).toBe(1);
    expect(decisions.map((decision) => decision.admitted)).toEqual([true, true, true, true, false, false, false, false]);
    for (const decision of decisions.slice(4)) {
      if (decision.admitted) throw new Error('expected a rejection');
      expect(decision.scope).toBe('team:burst');
      expect(decision.kind).toBe('budget');
    }
    expect((await store.usage(rpmScope, T0 + 10)).requests).toBe(4);
    expect((await store.usage(budgetScope, T0 + 10)).reservedCost).toBeCloseTo(4, 9);
  });

  it('decides turns of mixed admits and settles exactly as one by one, and as the in-memory store (shared team slot, every limit kind)', async () => {
    // GIVEN two keys of one team, every kind of limit among them, and three stores: one gets each turn's
    // operations together (one script call a turn), another one at a time, and the in-memory store (its
    // own implementation of the same rules) one at a time too
    const together = replica({ keyPrefix: newPrefix() });
    const oneByOne = replica({ keyPrefix: newPrefix() });
    const memory = new MemoryLimitStore();
    const keyA: LimitScope = { id: 'key:a', rpm: 6, tpm: 1500, maxParallel: 2, maxBudget: 2 };
    const keyB: LimitScope = { id: 'key:b', rpm: 4, maxBudgetTokens: 3000 };
    const team: LimitScope = { id: 'team:t', rpm: 8, tpm: 2500, maxBudget: 3 };
    const lists: readonly (readonly LimitScope[])[] = [
      [keyA, team],
      [keyB, team],
    ];
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    type Ticket = Extract<AdmitDecision, { admitted: true }>['ticket'];
    const open: Array<{ together: Ticket; oneByOne: Ticket; memory: Ticket; cost: number; tokens: number }> = [];
    const comparable = (decision: AdmitDecision): unknown => ({ ...decision, ticket: undefined });
    let admitsSeen = 0;
    let rejectionsSeen = 0;
    let settlesSeen = 0;

    // WHEN 40 turns (7 s apart, so RPM entries, slots and reservations of unsettled calls expire along the
    // way) each issue 1–12 admits and settles
    for (let turn = 0; turn < 40; turn += 1) {
      const now = T0 + turn * 7000;
      type Operation = { kind: 'admit'; scopes: readonly LimitScope[]; cost: number; tokens: number } | { kind: 'settle'; index: number; cost: number; tokens: number };
      const operations: Operation[] = [];
      const count = 1 + Math.floor(random() * 12);
      const settling = new Set<number>();
      for (let index = 0; index < count; index += 1) {
        if (open.length > settling.size && random() < 0.4) {
          let pick = Math.floor(random() * open.length);
          while (settling.has(pick)) pick = (pick + 1) % open.length;
          settling.add(pick);
          const entry = open[pick]!;
          operations.push({ kind: 'settle', index: pick, cost: entry.cost * random(), tokens: Math.floor(entry.tokens * random()) });
        } else {
          operations.push({
            kind: 'admit',
            scopes: lists[Math.floor(random() * lists.length)]!,
            cost: [0, 0.1, 0.3][Math.floor(random() * 3)]!,
            tokens: [10, 200, 700][Math.floor(random() * 3)]!,
          });
        }
      }
      const run = (store: LimitStore, operation: Operation, which: 'together' | 'oneByOne' | 'memory'): Promise<AdmitDecision | undefined> =>
        operation.kind === 'admit'
          ? store.admit({ scopes: operation.scopes, nowMs: now, worstCaseCost: operation.cost, worstCaseTokens: operation.tokens, requestId: 'r' })
          : store.settle(open[operation.index]![which], { cost: operation.cost, tokens: operation.tokens }, now).then(() => undefined);
      const before = await evalshaCalls();
      const batched = await Promise.all(operations.map((operation) => run(together, operation, 'together')));
      expect((await evalshaCalls()) - before, `turn ${turn}`).toBe(1);
      // (a call carries the turn's settles ahead of its admits, so the reference settles first too)
      const sequential: Array<AdmitDecision | undefined> = new Array(operations.length);
      const remembered: Array<AdmitDecision | undefined> = new Array(operations.length);
      for (const settlesFirst of [true, false]) {
        for (let index = 0; index < operations.length; index += 1) {
          const operation = operations[index]!;
          if ((operation.kind === 'settle') !== settlesFirst) continue;
          sequential[index] = await run(oneByOne, operation, 'oneByOne');
          remembered[index] = await run(memory, operation, 'memory');
        }
      }

      // THEN every decision, with its headers and retry times, is the same in all three
      for (let index = 0; index < operations.length; index += 1) {
        const a = batched[index];
        const b = sequential[index];
        const c = remembered[index];
        const where = `turn ${turn}, operation ${index}`;
        expect(a === undefined ? undefined : comparable(a), where).toEqual(b === undefined ? undefined : comparable(b));
        expect(a === undefined ? undefined : comparable(a), `${where} (in-memory store)`).toEqual(c === undefined ? undefined : comparable(c));
        const operation = operations[index]!;
        if (operation.kind === 'settle') settlesSeen += 1;
        else if (a?.admitted && b?.admitted && c?.admitted) {
          admitsSeen += 1;
          open.push({ together: a.ticket, oneByOne: b.ticket, memory: c.ticket, cost: operation.cost, tokens: operation.tokens });
        } else rejectionsSeen += 1;
      }
      for (const index of [...settling].sort((x, y) => y - x)) open.splice(index, 1);
    }

    // and so is what every scope holds at the end
    for (const scope of [keyA, keyB, team]) {
      const usage = await together.usage(scope, T0 + 40 * 7000);
      expect(usage, scope.id).toEqual(await oneByOne.usage(scope, T0 + 40 * 7000));
      expect(usage, `${scope.id} (in-memory store)`).toEqual(await memory.usage(scope, T0 + 40 * 7000));
    }
    // (the sequence exercised admits, rejections and settles alike)
    expect(admitsSeen).toBeGreaterThan(30);
    expect(rejectionsSeen).toBeGreaterThan(30);
    expect(settlesSeen).toBeGreaterThan(30);
  });

  it('splits a large turn into calls of at most 128 entries, still in order', async () => {
    // GIVEN a key with rpm 200
    const store = replica({ keyPrefix: newPrefix() });
    const scope: LimitScope = { id: 'key:large-turn', rpm: 200 };

    // WHEN 300 calls are admitted in the same turn
    const before = await evalshaCalls();
    const decisions = await Promise.all(Array.from({ length: 300 }, (_unused, index) => admitOne(store, [scope], T0 + index)));

    // THEN three calls (128 + 128 + 44) admitted exactly the first 200
    expect((await evalshaCalls()) - before).toBe(3);
    expect(decisions.map((decision) => decision.admitted)).toEqual([...Array(200).fill(true), ...Array(100).fill(false)]);
  });

  it('sends a settle ahead of the admits of the same turn, in the same call', async () => {
    // GIVEN a key with one parallel slot, held
    const store = replica({ keyPrefix: newPrefix() });
    const scope: LimitScope = { id: 'key:turn', maxParallel: 1 };
    const held = await admitOne(store, [scope], T0);
    if (!held.admitted) throw new Error('expected the slot to be free');

    // WHEN the call ends and the next call is admitted in the same turn
    const before = await evalshaCalls();
    const settled = store.settle(held.ticket, { cost: 0, tokens: 1 }, T0 + 1);
    const next = await admitOne(store, [scope], T0 + 1);
    await settled;

    // THEN one call carried both, and the slot was free for the next call
    expect((await evalshaCalls()) - before).toBe(1);
    expect(next.admitted).toBe(true);
  });

  it("sends a settle within the turn, so another replica's next admit finds the slot free", async () => {
    // GIVEN two replicas and a key with one parallel slot, held by a call on the first
    const keyPrefix = newPrefix();
    const first = replica({ keyPrefix });
    const second = replica({ keyPrefix });
    const scope: LimitScope = { id: 'key:slot', maxParallel: 1 };
    for (let round = 0; round < 20; round += 1) {
      const held = await admitOne(first, [scope], T0 + round);
      if (!held.admitted) throw new Error(`round ${round}: expected the slot to be free`);

      // WHEN the call ends (its settle not awaited, as on the request path) and, once the turn's I/O
      // callbacks are done (the next request needs another I/O callback to arrive), the next request is
      // admitted on the other replica
      void first.settle(held.ticket, { cost: 0, tokens: 1 }, T0 + round);
      await new Promise((resolve) => setImmediate(resolve));

      // THEN the slot is already free
      const next = await admitOne(second, [scope], T0 + round);
      expect(next.admitted, `round ${round}`).toBe(true);
      if (next.admitted) await second.settle(next.ticket, { cost: 0, tokens: 1 }, T0 + round);
    }
  });

  it('sends queued settles before it closes', async () => {
    const keyPrefix = newPrefix();
    const store = new ValkeyLimitStore({ url: server.url, keyPrefix });
    const scope: LimitScope = { id: 'key:close', maxBudget: 10 };
    const decision = await admitOne(store, [scope], T0, 1);
    if (!decision.admitted) throw new Error('expected admission');
    const settled = store.settle(decision.ticket, { cost: 0.25, tokens: 1 }, T0 + 1);
    await store.close();
    await settled;
    const reader = replica({ keyPrefix });
    expect((await reader.usage(scope, T0 + 2)).spend).toBeCloseTo(0.25, 9);
  });

  it('reloads its scripts when the server lost them (restart, SCRIPT FLUSH)', async () => {
    const store = replica({ keyPrefix: newPrefix() });
    const key: LimitScope = { id: 'key:flush', rpm: 5 };
    expect((await admitOne(store, [key], T0)).admitted).toBe(true);
    await raw.script('FLUSH');
    expect((await admitOne(store, [key], T0 + 1)).admitted).toBe(true);
    expect((await store.usage(key, T0 + 1)).requests).toBe(2);
  });

  it('keeps every key under its prefix, and the budget period in the spend key', async () => {
    const keyPrefix = newPrefix();
    const store = replica({ keyPrefix });
    const key: LimitScope = {
      id: 'key:layout',
      rpm: 5,
      tpm: 500,
      maxParallel: 2,
      maxBudget: 5,
      knownSpend: 1.25,
      budgetPeriod: '1767225600000',
    };
    const decision = await admitOne(store, [key], Date.now(), 0.5);
    if (!decision.admitted) throw new Error('expected admission');
    const keys = (await raw.keys(`${keyPrefix}*`)).sort();
    expect(keys).toEqual([
      `${keyPrefix}par:key:layout`,
      `${keyPrefix}rpm:key:layout`,
      `${keyPrefix}spend:key:layout@1767225600000`,
    ]);
    const spend = await raw.hgetall(`${keyPrefix}spend:key:layout@1767225600000`);
    expect(spend).toMatchObject({ spend: '1250000000', spend_tokens: '0', reserved: '500000000', reserved_tokens: '10' });
    const reservations = Object.entries(spend).filter(([field]) => field.startsWith('r:'));
    expect(reservations).toHaveLength(1);
    expect(reservations[0]![1]).toMatch(/^500000000\|10\|\d+$/);
    await store.settle(decision.ticket, { cost: 0.25, tokens: 100 }, Date.now());
    expect(await raw.exists(`${keyPrefix}tpm:key:layout`)).toBe(1);
    expect(await raw.hgetall(`${keyPrefix}spend:key:layout@1767225600000`)).toMatchObject({
      spend: '1500000000',
      spend_tokens: '100',
      reserved: '0',
      reserved_tokens: '0',
    });
    expect(Object.keys(await raw.hgetall(`${keyPrefix}spend:key:layout@1767225600000`)).filter((field) => field.startsWith('r:'))).toEqual([]);
  });

  it('fails the admit, rather than hanging, when Valkey is unreachable', async () => {
    const port = await freePort();
    const store = new ValkeyLimitStore({ url: `redis://127.0.0.1:${port}`, commandTimeoutMs: 500 });
    stores.push(store);
    const started = Date.now();
    await expect(admitOne(store, [{ id: 'key:down', rpm: 1 }], T0)).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});


describe('ValkeyLimitStore through Sentinel', () => {
  it('finds the master through the sentinels (both password-protected) and enforces limits there', async () => {
    // GIVEN a password-protected master and a password-protected sentinel monitoring it, as the
    // Valkey construct's Sentinel mode renders them
    const master = await startRedisServer({ password: 'data-pass' });
    const sentinel = await startRedisSentinel({ masterPort: master.port ?? 0, name: 'switchyard', masterPassword: 'data-pass', sentinelPassword: 'sentinel-pass' });
    try {
      // WHEN two replicas connect with the connection LiteLLM's variables describe
      const connection = {
        sentinels: [{ host: '127.0.0.1', port: sentinel.port }],
        name: 'switchyard',
        password: 'data-pass',
        sentinelPassword: 'sentinel-pass',
      };
      const keyPrefix = newPrefix();
      const first = new ValkeyLimitStore({ connection, keyPrefix });
      const second = new ValkeyLimitStore({ connection, keyPrefix });
      stores.push(first, second);
      const scopes = [{ id: 'key:sentinel', kind: 'key' as const, rpm: 3 }];
      const decisions = await Promise.all([first, second, first, second, first].map((store) => admitOne(store, scopes, T0)));

      // THEN the shared limit holds, and the counter lives on the master
      expect(decisions.filter((decision) => decision.admitted)).toHaveLength(3);
      const direct = new Redis(master.port ?? 0, '127.0.0.1', { password: 'data-pass' });
      try {
        expect(await direct.keys(`${keyPrefix}*`)).not.toHaveLength(0);
      } finally {
        await direct.quit();
      }
    } finally {
      await Promise.all(stores.splice(0).map((store) => store.close()));
      await sentinel.stop();
      await master.stop();
    }
  });
});
