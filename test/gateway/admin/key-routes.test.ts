/**
 * The key management API and virtual-key enforcement, against a real (embedded) Postgres: PGlite with the
 * gateway's migrations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { hashVirtualKey } from '../../../gateway/auth';
import { migrate, openDatabase } from '../../../gateway/storage';
import type { Database } from '../../../gateway/storage';
import { buildGateway } from '../../support/gateway-harness';

const MASTER = 'sk-master-keys-test';
const CONFIG = `
model_list:
  - model_name: small
    litellm_params: { model: openai/mock, mock_response: "small answer" }
  - model_name: large
    litellm_params: { model: openai/mock, mock_response: "large answer" }
general_settings: { master_key: ${MASTER} }
`;

let database: Database;
let app: FastifyInstance;
let clock = Date.parse('2026-01-01T00:00:00Z');

beforeAll(async () => {
  database = await openDatabase({ dataDir: 'memory://' });
  await migrate(database);
  app = buildGateway(CONFIG, { database, now: () => clock }).app;
  await app.ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await database?.close();
});

const admin = { authorization: `Bearer ${MASTER}` };
const post = (url: string, payload: unknown, headers: Record<string, string> = admin) =>
  app.inject({ method: 'POST', url, headers, payload: payload as Record<string, unknown> });
const chat = (key: string, model: string) =>
  app.inject({
    method: 'POST',
    url: '/v1/chat/completions',
    headers: { authorization: `Bearer ${key}` },
    payload: { model, messages: [{ role: 'user', content: 'hi' }] },
  });

async function generate(body: Record<string, unknown> = {}): Promise<{ key: string; token: string; [field: string]: unknown }> {
  const response = await post('/key/generate', body);
  expect(response.statusCode).toBe(200);
  return response.json();
}

describe('key generation', () => {
  it('returns the key once and stores only its hash', async () => {
    const created = await generate({ key_alias: 'team-a-bot', models: ['small'], max_budget: 10, metadata: { owner: 'a' } });
    expect(created.key).toMatch(/^sk-[A-Za-z0-9_-]{32}$/);
    expect(created.token).toBe(hashVirtualKey(created.key));
    expect(created).toMatchObject({ key_alias: 'team-a-bot', models: ['small'], max_budget: 10, metadata: { owner: 'a' }, spend: 0 });
    const { rows } = await database.query<{ hits: number }>(
      `SELECT count(*)::int AS hits FROM keys WHERE token_hash = $1 OR key_name = $1 OR key_name LIKE '%' || $2 || '%'`,
      [created.key, created.key.slice(3, 20)],
    );
    expect(rows[0]?.hits).toBe(0);
    const info = await app.inject({ url: `/key/info?key=${created.key}`, headers: admin });
    expect(info.json().info).not.toHaveProperty('key');
  });

  it('creates the user a key names, and rejects an unknown team naming team_id', async () => {
    const created = await generate({ user_id: 'alice' });
    expect(created.user_id).toBe('alice');
    const { rows } = await database.query('SELECT user_id FROM users WHERE user_id = $1', ['alice']);
    expect(rows).toHaveLength(1);
    const response = await post('/key/generate', { team_id: 'no-such-team' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.param).toBe('team_id');
  });

  it('fails with 409 on a duplicate alias and 400 on a bad duration', async () => {
    await generate({ key_alias: 'dup' });
    expect((await post('/key/generate', { key_alias: 'dup' })).statusCode).toBe(409);
    const bad = await post('/key/generate', { duration: '3 days' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.param).toBe('duration');
  });
});

describe('virtual keys on the request path', () => {
  it('calls the models the key allows and gets 401 naming nothing secret for others', async () => {
    const { key } = await generate({ models: ['small'] });
    expect((await chat(key, 'small')).json().choices[0].message.content).toBe('small answer');
    const denied = await chat(key, 'large');
    expect(denied.statusCode).toBe(401);
    expect(denied.json().error.code).toBe('model_not_allowed');
  });

  it('applies aliases', async () => {
    const { key } = await generate({ aliases: { 'my-model': 'large' } });
    expect((await chat(key, 'my-model')).json().choices[0].message.content).toBe('large answer');
  });

  it('rejects unknown, expired, blocked and deleted keys with 401', async () => {
    expect((await chat('sk-not-a-real-key-000000000000', 'small')).statusCode).toBe(401);

    const expiring = await generate({ duration: '1h' });
    expect((await chat(expiring.key, 'small')).statusCode).toBe(200);
    clock += 2 * 3_600_000;
    const expired = await chat(expiring.key, 'small');
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error.code).toBe('key_expired');

    const blockable = await generate();
    expect((await chat(blockable.key, 'small')).statusCode).toBe(200);
    expect((await post('/key/block', { key: blockable.key })).json().blocked).toBe(true);
    expect((await chat(blockable.key, 'small')).json().error.code).toBe('key_blocked');
    await post('/key/unblock', { key: blockable.token });
    expect((await chat(blockable.key, 'small')).statusCode).toBe(200);

    const deletable = await generate({ key_alias: 'to-delete' });
    expect((await chat(deletable.key, 'small')).statusCode).toBe(200);
    expect((await post('/key/delete', { key_aliases: ['to-delete'] })).json().deleted_keys).toEqual([deletable.token]);
    expect((await chat(deletable.key, 'small')).statusCode).toBe(401);
  });

  it('takes an update into account on the next request', async () => {
    const { key } = await generate({ models: ['small'] });
    expect((await chat(key, 'large')).statusCode).toBe(401);
    const updated = await post('/key/update', { key, models: ['small', 'large'] });
    expect(updated.json().models).toEqual(['small', 'large']);
    expect((await chat(key, 'large')).statusCode).toBe(200);
  });

  it('regenerates a key: the old one stops working, settings stay', async () => {
    const old = await generate({ models: ['large'], max_budget: 3 });
    const fresh = (await post('/key/regenerate', { key: old.key })).json();
    expect(fresh.key).not.toBe(old.key);
    expect(fresh).toMatchObject({ models: ['large'], max_budget: 3 });
    expect((await chat(old.key, 'large')).statusCode).toBe(401);
    expect((await chat(fresh.key, 'large')).statusCode).toBe(200);
  });
});

describe('roles and listing', () => {
  it('lets a virtual key read its own info but not manage keys', async () => {
    const { key, token } = await generate({ key_alias: 'self' });
    const own = await app.inject({ url: '/key/info', headers: { authorization: `Bearer ${key}` } });
    expect(own.json()).toMatchObject({ key: token, info: { key_alias: 'self' } });
    expect((await post('/key/generate', {}, { authorization: `Bearer ${key}` })).statusCode).toBe(403);
    expect((await app.inject({ url: '/key/list', headers: { authorization: `Bearer ${key}` } })).statusCode).toBe(403);
  });

  it('lists keys with paging and filters', async () => {
    await generate({ user_id: 'lister' });
    await generate({ user_id: 'lister' });
    await generate({ user_id: 'lister' });
    const page = (await app.inject({ url: '/key/list?user_id=lister&size=2&page=2', headers: admin })).json();
    expect(page).toMatchObject({ total_count: 3, current_page: 2, total_pages: 2 });
    expect(page.keys).toHaveLength(1);
    expect(page.keys[0]).toMatch(/^[0-9a-f]{64}$/);
    const full = (await app.inject({ url: '/key/list?user_id=lister&return_full_object=true', headers: admin })).json();
    expect(full.keys.every((key: { user_id: string }) => key.user_id === 'lister')).toBe(true);
  });
});

describe('migrations', () => {
  it('are idempotent', async () => {
    const again = await migrate(database);
    expect(again.applied).toEqual([]);
    expect(again.current).toBe(1);
  });
});

describe('PGlite in a worker thread (how the gateway opens its embedded database)', () => {
  it('opens without blocking the event loop and keeps Postgres error codes', async () => {
    let maxLagMs = 0;
    let last = performance.now();
    const probe = setInterval(() => {
      const now = performance.now();
      maxLagMs = Math.max(maxLagMs, now - last - 10);
      last = now;
    }, 10);
    const worker = await openDatabase({ dataDir: 'memory://', worker: true });
    clearInterval(probe);
    try {
      // Opening takes seconds of CPU (3–7 s in-thread here); in the worker the main thread never stalls for
      // long. The bound leaves room for a CI machine whose cores are busy with other test files.
      expect(maxLagMs).toBeLessThan(1_500);
      await migrate(worker);
      const error = await worker
        .query(`INSERT INTO keys (token_hash, key_name, team_id) VALUES ('h', 'n', 'missing-team')`)
        .catch((caught: unknown) => caught as { code?: string; constraint?: string });
      expect(error).toMatchObject({ code: '23503', constraint: 'keys_team_id_fkey' });
      const inTransaction = await worker.transaction(async (client) => {
        await client.query(`INSERT INTO users (user_id) VALUES ('tx-user')`);
        return (await client.query<{ n: number }>('SELECT count(*)::int AS n FROM users')).rows[0]?.n;
      });
      expect(inTransaction).toBe(1);
      await expect(
        worker.transaction(async (client) => {
          await client.query(`INSERT INTO users (user_id) VALUES ('rolled-back')`);
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      const { rows } = await worker.query<{ user_id: string }>('SELECT user_id FROM users ORDER BY user_id');
      expect(rows.map((row) => row.user_id)).toEqual(['tx-user']);
    } finally {
      await worker.close();
    }
  }, 60_000);
});
