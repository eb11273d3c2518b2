/**
 * Spend tracking end to end on an embedded Postgres: calls through the gateway with virtual keys, batched
 * writes, owners' totals and daily aggregates, idempotent replays, and no loss while the database is away.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { migrate, openDatabase } from '../../../gateway/storage';
import type { Database } from '../../../gateway/storage';
import { SpendLedger, costOfUsage, findModelPrice } from '../../../gateway/tokenomics';
import type { SpendRecord } from '../../../gateway/tokenomics';
import { buildGateway } from '../../support/gateway-harness';

const MASTER = 'sk-master-spend-test';
// mock_response "four words are here" → 5 completion tokens (19 chars / 4, rounded up); prompt "hi" → 1 + 3.
const CONFIG = `
model_list:
  - model_name: priced
    litellm_params:
      model: hosted_vllm/llama
      mock_response: "four words are here"
      input_cost_per_token: 0.001
      output_cost_per_token: 0.002
  - model_name: listed
    litellm_params: { model: openai/gpt-4o-mini, mock_response: "four words are here" }
general_settings: { master_key: ${MASTER} }
`;
const PROMPT_TOKENS = 4;
const COMPLETION_TOKENS = 5;
const PRICED_COST = PROMPT_TOKENS * 0.001 + COMPLETION_TOKENS * 0.002;

let database: Database;
let ledger: SpendLedger;
let app: FastifyInstance;
let databaseAvailable = true;
const scratch = mkdtempSync(join(tmpdir(), 'switchyard-spend-'));

beforeAll(async () => {
  database = await openDatabase({ dataDir: 'memory://' });
  await migrate(database);
  ledger = new SpendLedger({ database: async () => (databaseAvailable ? database : undefined), flushIntervalMs: 60_000 });
  app = buildGateway(CONFIG, { database, ledger }).app;
  await app.ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await database?.close();
  rmSync(scratch, { recursive: true, force: true });
});

const admin = { authorization: `Bearer ${MASTER}` };
const chat = (key: string, model: string, extra: Record<string, unknown> = {}) =>
  app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { authorization: `Bearer ${key}` },
    payload: { model, messages: [{ role: 'user', content: 'hi' }], ...extra },
  });

describe('cost', () => {
  it('prices a deployment by its own per-token costs and sends x-litellm-response-cost', async () => {
    const { key } = (await app.inject({ method: 'POST', url: '/key/generate', headers: admin, payload: {} })).json();
    const response = await chat(key, 'priced');
    expect(response.json().usage).toMatchObject({ prompt_tokens: PROMPT_TOKENS, completion_tokens: COMPLETION_TOKENS });
    expect(Number(response.headers['x-litellm-response-cost'])).toBeCloseTo(PRICED_COST, 12);
  });

  it('prices hosted models from the list, counting cached and cache-write tokens at their own rates', () => {
    const price = findModelPrice('claude-sonnet-4-5-20250929');
    expect(price).toBeDefined();
    const { cost } = costOfUsage(
      { prompt_tokens: 1_000 + 200 + 300, completion_tokens: 100, total_tokens: 1_600, cache_read_input_tokens: 200, cache_creation_input_tokens: 300 },
      price,
    );
    expect(cost).toBeCloseTo((1_000 * 3 + 200 * 0.3 + 300 * 3.75 + 100 * 15) / 1e6, 12);
    expect(findModelPrice('gpt-4o-mini-2024-07-18')).toEqual(findModelPrice('gpt-4o-mini'));
    expect(findModelPrice('my-own-model')).toBeUndefined();
  });
});

describe('the ledger', () => {
  it('writes spend logs and adds their cost to the key, its user and team, the end user, and the day', async () => {
    await database.query(`INSERT INTO teams (team_id) VALUES ('t-spend') ON CONFLICT DO NOTHING`);
    const { key, token } = (
      await app.inject({ method: 'POST', url: '/key/generate', headers: admin, payload: { user_id: 'u-spend', team_id: 't-spend' } })
    ).json();
    for (let i = 0; i < 3; i++) expect((await chat(key, 'priced', { user: 'customer-9', metadata: { tags: ['batch-job'] } })).statusCode).toBe(200);
    const streamed = await chat(key, 'priced', { stream: true, user: 'customer-9' });
    expect(streamed.body).toContain('[DONE]');
    await ledger.flush();

    const logs = await database.query<{ spend: number; n: number }>('SELECT sum(spend) AS spend, count(*)::int AS n FROM spend_logs WHERE token_hash = $1', [token]);
    expect(logs.rows[0]?.n).toBe(4);
    expect(logs.rows[0]?.spend).toBeCloseTo(4 * PRICED_COST, 12);
    const owners = await database.query<{ spend: number }>(
      `SELECT spend FROM keys WHERE token_hash = $1 UNION ALL SELECT spend FROM users WHERE user_id = 'u-spend'
       UNION ALL SELECT spend FROM teams WHERE team_id = 't-spend' UNION ALL SELECT spend FROM end_users WHERE user_id = 'customer-9'`,
      [token],
    );
    expect(owners.rows.map((row) => row.spend)).toEqual(Array(4).fill(expect.closeTo(4 * PRICED_COST, 12)));
    const daily = await database.query<{ entity_type: string; requests: number; spend: number }>(
      `SELECT entity_type, requests, spend FROM daily_spend WHERE entity_id IN ($1, 'u-spend', 't-spend', 'customer-9', 'batch-job') ORDER BY entity_type`,
      [token],
    );
    expect(daily.rows.map((row) => [row.entity_type, row.requests])).toEqual([
      ['end_user', 4],
      ['key', 4],
      ['tag', 3],
      ['team', 4],
      ['user', 4],
    ]);
  });

  it('never counts a replayed batch twice', async () => {
    const record: SpendRecord = {
      request_id: 'replayed-1', call_type: 'chat', token_hash: null, key_alias: null, user_id: null, team_id: null,
      end_user: 'replay-customer', model_group: 'priced', deployment_id: null, model: 'llama', provider: 'hosted_vllm', api_base: null,
      tags: [], prompt_tokens: 1, completion_tokens: 1, cached_tokens: 0, total_tokens: 2, spend: 0.5, status: 'success',
      start_ms: Date.now(), end_ms: Date.now(),
    };
    ledger.record(record);
    await ledger.flush();
    ledger.record(record);
    await ledger.flush();
    const { rows } = await database.query<{ spend: number }>(`SELECT spend FROM end_users WHERE user_id = 'replay-customer'`);
    expect(rows[0]?.spend).toBe(0.5);
  });

  it('keeps records while the database is away and writes them when it is back', async () => {
    const { key, token } = (await app.inject({ method: 'POST', url: '/key/generate', headers: admin, payload: {} })).json();
    databaseAvailable = false;
    for (let i = 0; i < 5; i++) await chat(key, 'priced');
    await ledger.flush();
    expect(ledger.pending).toBe(5);
    databaseAvailable = true;
    await ledger.flush();
    expect(ledger.pending).toBe(0);
    const { rows } = await database.query<{ spend: number }>('SELECT spend FROM keys WHERE token_hash = $1', [token]);
    expect(rows[0]?.spend).toBeCloseTo(5 * PRICED_COST, 12);
  });

  it('spools unwritten records on shutdown and replays them on the next start', async () => {
    const spoolFile = join(scratch, 'spool.json');
    const away = new SpendLedger({ database: async () => undefined, spoolFile });
    away.record({
      request_id: 'spooled-1', call_type: 'chat', token_hash: null, key_alias: null, user_id: null, team_id: null,
      end_user: 'spool-customer', model_group: 'priced', deployment_id: null, model: null, provider: null, api_base: null,
      tags: [], prompt_tokens: 0, completion_tokens: 0, cached_tokens: 0, total_tokens: 0, spend: 0.25, status: 'success',
      start_ms: Date.now(), end_ms: Date.now(),
    });
    await away.stop();
    const next = new SpendLedger({ database: async () => database, spoolFile });
    expect(next.pending).toBe(1);
    await next.flush();
    const { rows } = await database.query<{ spend: number }>(`SELECT spend FROM end_users WHERE user_id = 'spool-customer'`);
    expect(rows[0]?.spend).toBe(0.25);
  });
  it('stores the call times it was given, and replays spool files of earlier versions (ISO timestamps)', async () => {
    const startMs = Date.UTC(2026, 10, 2, 8, 30, 15, 250);
    const timed = new SpendLedger({ database: async () => database });
    timed.record({
      request_id: 'timed-1', call_type: 'chat', token_hash: null, key_alias: null, user_id: null, team_id: null,
      end_user: null, model_group: 'priced', deployment_id: null, model: null, provider: null, api_base: null,
      tags: [], prompt_tokens: 0, completion_tokens: 0, cached_tokens: 0, total_tokens: 0, spend: 0, status: 'success',
      start_ms: startMs, end_ms: startMs + 1500,
    });
    await timed.flush();
    const spoolFile = join(scratch, 'legacy-spool.json');
    writeFileSync(
      spoolFile,
      JSON.stringify([
        {
          request_id: 'legacy-1', call_type: 'chat', token_hash: null, key_alias: null, user_id: null, team_id: null,
          end_user: null, model_group: 'priced', deployment_id: null, model: null, provider: null, api_base: null,
          tags: [], prompt_tokens: 0, completion_tokens: 0, cached_tokens: 0, total_tokens: 0, spend: 0, status: 'success',
          start_time: '2026-11-02T08:30:15.250Z', end_time: '2026-11-02T08:30:16.750Z',
        },
      ]),
    );
    const replay = new SpendLedger({ database: async () => database, spoolFile });
    await replay.flush();
    const { rows } = await database.query<{ request_id: string; start_time: Date | string; end_time: Date | string }>(
      `SELECT request_id, start_time, end_time FROM spend_logs WHERE request_id IN ('timed-1', 'legacy-1') ORDER BY request_id`,
    );
    expect(rows.map((row) => [row.request_id, new Date(row.start_time).getTime(), new Date(row.end_time).getTime()])).toEqual([
      ['legacy-1', startMs, startMs + 1500],
      ['timed-1', startMs, startMs + 1500],
    ]);
  });
});

describe('spend reports', () => {
  it('reports per team and model, per tag, and the logs of one key', async () => {
    await database.query(`INSERT INTO teams (team_id) VALUES ('t-report') ON CONFLICT DO NOTHING`);
    const { key } = (await app.inject({ method: 'POST', url: '/key/generate', headers: admin, payload: { team_id: 't-report' } })).json();
    await chat(key, 'priced', { metadata: { tags: ['report-tag'] } });
    await chat(key, 'priced', { metadata: { tags: ['report-tag'] } });
    await ledger.flush();
    const today = new Date().toISOString().slice(0, 10);

    const report = (await app.inject({ url: `/global/spend/report?group_by=team&start_date=${today}&end_date=${today}`, headers: admin })).json();
    const team = report[0].teams.find((entry: { team: string }) => entry.team === 't-report');
    expect(report[0].group_by_day).toBe(today);
    expect(team).toMatchObject({ requests: 2, total_tokens: 2 * (PROMPT_TOKENS + COMPLETION_TOKENS) });
    expect(team.total_spend).toBeCloseTo(2 * PRICED_COST, 12);
    expect(team.metadata).toEqual([{ model: 'priced', spend: expect.closeTo(2 * PRICED_COST, 12), total_tokens: 18, requests: 2 }]);

    const tags = (await app.inject({ url: '/spend/tags', headers: admin })).json();
    expect(tags).toContainEqual({ individual_request_tag: 'report-tag', log_count: 2, total_spend: expect.closeTo(2 * PRICED_COST, 12) });

    const logs = (await app.inject({ url: `/spend/logs?api_key=${key}`, headers: admin })).json();
    expect(logs).toHaveLength(2);
    expect(logs.every((log: { team_id: string; model_group: string }) => log.team_id === 't-report' && log.model_group === 'priced')).toBe(true);

    const beforeToday = (await app.inject({ url: '/global/spend/report?group_by=model&end_date=2000-01-01', headers: admin })).json();
    expect(beforeToday).toEqual([]);
  });
});

describe('soft budget alerts', () => {
  it('fires once per period when a key’s spend reaches its soft_budget, and delivers to the webhook', async () => {
    const { createServer } = await import('node:http');
    const received: unknown[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (piece) => (body += piece));
      request.on('end', () => {
        received.push(JSON.parse(body));
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const { createWebhookSender } = await import('../../../gateway/tokenomics');
    const alertingLedger = new SpendLedger({
      database: async () => database,
      flushIntervalMs: 60_000,
      onSoftBudgetCrossed: createWebhookSender(`http://127.0.0.1:${port}/hook`, (error) => {
        throw error;
      }),
    });
    const alerting = buildGateway(CONFIG, { database, ledger: alertingLedger }).app;
    try {
      const { key, token } = (await alerting.inject({ method: 'POST', url: '/key/generate', headers: admin, payload: { soft_budget: 0.02, key_alias: 'soft' } })).json();
      const call = () =>
        alerting.inject({ method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${key}` }, payload: { model: 'priced', messages: [{ role: 'user', content: 'hi' }] } });
      await call();
      await alertingLedger.flush();
      expect(received).toEqual([]);
      await call();
      await alertingLedger.flush();
      await call();
      await alertingLedger.flush();
      await expect.poll(() => received.length, { timeout: 3_000 }).toBe(1);
      expect(received[0]).toMatchObject({ event: 'soft_budget_crossed', event_group: 'key', token, key_alias: 'soft', soft_budget: 0.02 });
      expect((received[0] as { spend: number }).spend).toBeCloseTo(2 * PRICED_COST, 12);
      expect(JSON.stringify(received)).not.toContain(key);
    } finally {
      await alerting.close();
      server.close();
    }
  });
});
