/**
 * Limits and budgets on the request path, with two gateway replicas sharing one database and one real
 * Valkey/Redis: the RPM limit is exact across both, a budget is never overshot under a concurrent burst,
 * and recorded spend equals the cost of the usage the calls reported.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { migrate, openDatabase } from '../../../gateway/storage';
import type { Database } from '../../../gateway/storage';
import { SpendLedger, createLimitStore } from '../../../gateway/tokenomics';
import type { LimitStore } from '../../../gateway/tokenomics';
import { buildGateway } from '../../support/gateway-harness';
import { startRedisServer } from '../../support/redis-server';
import type { RedisServer } from '../../support/redis-server';

const MASTER = 'sk-master-enforcement';
// "four words are here" → 5 completion tokens; the prompt "hi" → 4 prompt tokens (mock estimates).
const CONFIG = `
model_list:
  - model_name: priced
    litellm_params:
      model: hosted_vllm/llama
      mock_response: "four words are here"
      input_cost_per_token: 0.001
      output_cost_per_token: 0.002
general_settings: { master_key: ${MASTER} }
`;
const CALL_COST = 4 * 0.001 + 5 * 0.002;

let redis: RedisServer;
let database: Database;
const stores: LimitStore[] = [];
const ledgers: SpendLedger[] = [];
const replicas: FastifyInstance[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  database = await openDatabase({ dataDir: 'memory://' });
  await migrate(database);
  const keyPrefix = `switchyard-test-${randomUUID()}:`;
  for (let i = 0; i < 2; i++) {
    const store = createLimitStore({ valkey: { url: redis.url }, keyPrefix });
    const ledger = new SpendLedger({ database: async () => database, flushIntervalMs: 60_000 });
    stores.push(store);
    ledgers.push(ledger);
    const app = buildGateway(CONFIG, { database, ledger, limits: store }).app;
    await app.ready();
    replicas.push(app);
  }
}, 60_000);

afterAll(async () => {
  for (const app of replicas) await app.close();
  for (const store of stores) await store.close();
  await database?.close();
  await redis?.stop();
});

const admin = { authorization: `Bearer ${MASTER}` };
async function generate(fields: Record<string, unknown>): Promise<{ key: string; token: string }> {
  return (await replicas[0]!.inject({ method: 'POST', url: '/key/generate', headers: admin, payload: fields })).json();
}
const chat = (replica: number, key: string, extra: Record<string, unknown> = {}) =>
  replicas[replica % replicas.length]!.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { authorization: `Bearer ${key}` },
    payload: { model: 'priced', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, ...extra },
  });

describe('rate limits across replicas', () => {
  it('admits exactly rpm_limit requests of a concurrent burst spread over two replicas', async () => {
    const { key } = await generate({ rpm_limit: 10 });
    const responses = await Promise.all(Array.from({ length: 30 }, (_, i) => chat(i, key)));
    const statuses = responses.map((response) => response.statusCode);
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(20);
    const rejected = responses.find((response) => response.statusCode === 429)!;
    expect(rejected.json().error.type).toBe('rate_limit_error');
    expect(Number(rejected.headers['retry-after'])).toBeGreaterThan(0);
    const admitted = responses.find((response) => response.statusCode === 200)!;
    expect(admitted.headers['x-ratelimit-limit-requests']).toBe('10');
    expect(admitted.headers['x-ratelimit-remaining-requests']).toBeDefined();
  });

  it('applies a raised rpm_limit at once on the replica that took the update', async () => {
    const { key } = await generate({ rpm_limit: 1 });
    expect((await chat(0, key)).statusCode).toBe(200);
    expect((await chat(0, key)).statusCode).toBe(429);
    const updated = await replicas[0]!.inject({ method: 'POST', url: '/key/update', headers: admin, payload: { key, rpm_limit: 3 } });
    expect(updated.statusCode).toBe(200);
    expect((await chat(0, key)).statusCode).toBe(200);
    expect((await chat(0, key)).statusCode).toBe(200);
    expect((await chat(0, key)).statusCode).toBe(429);
  });

  it('applies a per-model limit of the key', async () => {
    const { key } = await generate({ model_rpm_limit: { priced: 2 } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await chat(i, key)).statusCode);
    expect(statuses).toEqual([200, 200, 429, 429]);
  });
});

describe('budgets across replicas', () => {
  it('never lets a concurrent burst overshoot max_budget, and records exactly the usage cost', async () => {
    const maxBudget = 0.1;
    const { key, token } = await generate({ max_budget: maxBudget });
    const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => chat(i, key)));
    const ok = responses.filter((response) => response.statusCode === 200);
    const overBudget = responses.filter((response) => response.statusCode === 400);
    expect(ok.length + overBudget.length).toBe(40);
    expect(ok.length).toBeGreaterThan(0);
    expect(overBudget[0]?.json().error.type).toBe('budget_exceeded');
    for (const ledger of ledgers) await ledger.flush();
    const { rows } = await database.query<{ spend: number; n: number }>(
      'SELECT coalesce(sum(spend), 0) AS spend, count(*)::int AS n FROM spend_logs WHERE token_hash = $1',
      [token],
    );
    expect(rows[0]?.n).toBe(ok.length);
    expect(rows[0]?.spend).toBeCloseTo(ok.length * CALL_COST, 12);
    expect(rows[0]?.spend).toBeLessThanOrEqual(maxBudget);
    const key_ = await database.query<{ spend: number }>('SELECT spend FROM keys WHERE token_hash = $1', [token]);
    expect(key_.rows[0]?.spend).toBeCloseTo(ok.length * CALL_COST, 12);
  });

  it('releases the reservation of a call that failed', async () => {
    const { key } = await generate({ max_parallel_requests: 1 });
    const unknownModel = await chat(0, key, { model: 'missing' });
    expect(unknownModel.statusCode).toBe(404);
    expect((await chat(1, key)).statusCode).toBe(200);
    expect((await chat(0, key)).statusCode).toBe(200);
  });
});

describe('team and user limits', () => {
  it('shares a team rpm_limit across all of the team’s keys, on both replicas', async () => {
    await replicas[0]!.inject({ method: 'POST', url: '/team/new', headers: admin, payload: { team_id: 'team-rpm', rpm_limit: 4 } });
    const first = await generate({ team_id: 'team-rpm' });
    const second = await generate({ team_id: 'team-rpm' });
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await chat(i, i % 2 === 0 ? first.key : second.key)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  });

  it('stops every key of a user once the user’s budget is spent', async () => {
    await replicas[0]!.inject({ method: 'POST', url: '/user/new', headers: admin, payload: { user_id: 'budget-user', max_budget: 0.09, auto_create_key: false } });
    const a = await generate({ user_id: 'budget-user' });
    const b = await generate({ user_id: 'budget-user' });
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push((await chat(i, i % 2 === 0 ? a.key : b.key)).statusCode);
    // Each call reserves its worst case — the body's 77 bytes as prompt tokens at 0.001 plus max_tokens 5
    // at 0.002 = 0.087 — and settles at 0.014: admitted while spend + 0.087 <= 0.09.
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.slice(1).every((status) => status === 400)).toBe(true);
  });

  it('counts tool definitions in the worst case: they are prompt tokens too', async () => {
    // GIVEN a key whose budget fits a plain call (worst case 0.087) but not one carrying ~200 bytes of tools
    const { key } = await generate({ max_budget: 0.2 });
    const tools = [{ type: 'function', function: { name: 'lookup_weather', description: 'x'.repeat(120), parameters: { type: 'object', properties: {} } } }];

    // WHEN both are sent
    const withTools = await chat(0, key, { tools });
    const plain = await chat(1, key);

    // THEN the one with tools is refused before the call, the plain one is served
    expect(withTools.statusCode).toBe(400);
    expect(withTools.json().error.type).toBe('budget_exceeded');
    expect(plain.statusCode).toBe(200);
  });

  it('refuses keys of a blocked team and models the team does not allow', async () => {
    await replicas[0]!.inject({ method: 'POST', url: '/team/new', headers: admin, payload: { team_id: 'narrow', models: ['other-model'] } });
    const narrow = await generate({ team_id: 'narrow' });
    const denied = await chat(0, narrow.key);
    expect(denied.statusCode).toBe(401);
    expect(denied.json().error.code).toBe('model_not_allowed');
    await replicas[0]!.inject({ method: 'POST', url: '/team/new', headers: admin, payload: { team_id: 'blocked-team', blocked: true } });
    const blocked = await generate({ team_id: 'blocked-team' });
    expect((await chat(1, blocked.key)).json().error.code).toBe('team_blocked');
  });
});

describe('end-user (customer) limits', () => {
  it('limits the request’s user by their budget, across keys, and refuses blocked customers', async () => {
    await replicas[0]!.inject({ method: 'POST', url: '/customer/new', headers: admin, payload: { user_id: 'acme-corp', rpm_limit: 2 } });
    await replicas[0]!.inject({ method: 'POST', url: '/customer/new', headers: admin, payload: { user_id: 'blocked-corp', blocked: true } });
    const first = await generate({});
    const second = await generate({});
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await chat(i, i === 1 ? second.key : first.key, { user: 'acme-corp' })).statusCode);
    expect(statuses).toEqual([200, 200, 429]);
    expect((await chat(0, first.key, { user: 'someone-else' })).statusCode).toBe(200);
    const blocked = await chat(1, first.key, { user: 'blocked-corp' });
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().error).toMatchObject({ code: 'end_user_blocked', param: 'user' });
  });
});
