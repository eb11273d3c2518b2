/** Teams, users, customers and budgets through the management API, on an embedded Postgres. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { migrate, openDatabase } from '../../../gateway/storage';
import type { Database } from '../../../gateway/storage';
import { buildGateway } from '../../support/gateway-harness';

const MASTER = 'sk-master-org-test';
const CONFIG = `
model_list:
  - model_name: small
    litellm_params: { model: openai/mock, mock_response: "ok" }
general_settings: { master_key: ${MASTER} }
`;

let database: Database;
let app: FastifyInstance;

beforeAll(async () => {
  database = await openDatabase({ dataDir: 'memory://' });
  await migrate(database);
  app = buildGateway(CONFIG, { database }).app;
  await app.ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await database?.close();
});

const admin = { authorization: `Bearer ${MASTER}` };
const post = (url: string, payload: unknown, headers: Record<string, string> = admin) =>
  app.inject({ method: 'POST', url, headers, payload: payload as Record<string, unknown> });
const get = (url: string, headers: Record<string, string> = admin) => app.inject({ url, headers });

describe('teams', () => {
  it('creates a team with members, adds and removes members, updates and deletes it', async () => {
    const team = (await post('/team/new', { team_id: 'ml', team_alias: 'ML platform', max_budget: 100, budget_duration: '1mo', models: ['small'], members_with_roles: [{ user_id: 'ann', role: 'admin' }] })).json();
    expect(team).toMatchObject({ team_id: 'ml', team_alias: 'ML platform', max_budget: 100, models: ['small'] });
    expect(team.budget_reset_at).toBeTruthy();
    await post('/team/member_add', { team_id: 'ml', member: [{ user_id: 'bob' }, { user_id: 'cy', role: 'admin' }] });
    await post('/key/generate', { team_id: 'ml', key_alias: 'ml-bot' });
    const info = (await get('/team/info?team_id=ml')).json();
    expect(info.team_memberships.map((m: { user_id: string; role: string }) => [m.user_id, m.role])).toEqual([
      ['ann', 'admin'],
      ['bob', 'user'],
      ['cy', 'admin'],
    ]);
    expect(info.keys.map((key: { key_alias: string }) => key.key_alias)).toEqual(['ml-bot']);
    expect((await post('/team/member_delete', { team_id: 'ml', user_id: 'bob' })).json().removed).toBe(true);
    expect((await post('/team/update', { team_id: 'ml', rpm_limit: 60 })).json().rpm_limit).toBe(60);
    expect((await post('/team/new', { team_id: 'ml' })).statusCode).toBe(409);
    expect((await post('/team/delete', { team_ids: ['ml'] })).json().deleted_teams).toEqual(['ml']);
    expect((await get('/team/info?team_id=ml')).statusCode).toBe(404);
  });
});

describe('users', () => {
  it('creates a user with a key (LiteLLM auto_create_key), lists and reads them', async () => {
    await post('/team/new', { team_id: 'data' });
    const user = (await post('/user/new', { user_id: 'dana', user_email: 'dana@example.com', max_budget: 5, teams: ['data'], models: ['small'] })).json();
    expect(user).toMatchObject({ user_id: 'dana', user_email: 'dana@example.com', max_budget: 5 });
    expect(user.key).toMatch(/^sk-/);
    const chat = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { authorization: `Bearer ${user.key}` },
      payload: { model: 'small', messages: [{ role: 'user', content: 'hi' }] },
    });
    expect(chat.statusCode).toBe(200);
    const info = (await get('/user/info?user_id=dana')).json();
    expect(info.teams).toEqual([{ team_id: 'data', role: 'user' }]);
    expect(info.keys).toHaveLength(1);
    const noKey = (await post('/user/new', { user_id: 'eve', auto_create_key: false })).json();
    expect(noKey.key).toBeUndefined();
    const list = (await get('/user/list?size=1&page=2')).json();
    expect(list).toMatchObject({ page: 2, page_size: 1 });
    expect(list.total).toBeGreaterThanOrEqual(2);
    expect((await post('/user/delete', { user_ids: ['eve'] })).json().deleted_users).toEqual(['eve']);
  });
});

describe('customers and budgets', () => {
  it('gives a customer a budget, blocks and unblocks them', async () => {
    const budget = (await post('/budget/new', { budget_id: 'starter', max_budget: 2, rpm_limit: 10 })).json();
    expect(budget).toMatchObject({ budget_id: 'starter', max_budget: 2, rpm_limit: 10 });
    const customer = (await post('/customer/new', { user_id: 'acme', budget_id: 'starter', alias: 'ACME' })).json();
    expect(customer).toMatchObject({ user_id: 'acme', budget_id: 'starter', blocked: false });
    const own = (await post('/customer/new', { user_id: 'globex', max_budget: 7 })).json();
    expect(own.budget_id).toBe('customer-globex');
    expect((await post('/budget/info', { budgets: ['customer-globex'] })).json()[0].max_budget).toBe(7);
    expect((await post('/customer/block', { user_ids: ['acme'] })).json().customers[0].blocked).toBe(true);
    expect((await get('/customer/info?end_user_id=acme')).json().blocked).toBe(true);
    await post('/customer/unblock', { user_ids: ['acme'] });
    expect((await get('/customer/info?end_user_id=acme')).json().blocked).toBe(false);
    expect((await post('/customer/new', { user_id: 'x', budget_id: 'missing' })).json().error.param).toBe('budget_id');
    expect((await post('/budget/delete', { id: 'starter' })).json().deleted_budgets).toEqual(['starter']);
    expect((await get('/customer/info?end_user_id=acme')).json().budget_id).toBeNull();
  });
});

describe('roles', () => {
  it('refuses the management routes to virtual keys', async () => {
    const { key } = (await post('/key/generate', {})).json();
    const response = await post('/team/new', { team_id: 'nope' }, { authorization: `Bearer ${key}` });
    expect(response.statusCode).toBe(403);
    expect((await get('/budget/list', { authorization: `Bearer ${key}` })).statusCode).toBe(403);
  });
});

describe('team admins', () => {
  it('manage their own team’s members and keys, only through the fields allowed to them', async () => {
    await post('/team/new', { team_id: 'red', max_budget: 50, members_with_roles: [{ user_id: 'rita', role: 'admin' }, { user_id: 'ron', role: 'user' }] });
    await post('/team/new', { team_id: 'blue' });
    const { key: ritaKey } = (await post('/key/generate', { user_id: 'rita' })).json();
    const { key: ronKey } = (await post('/key/generate', { user_id: 'ron' })).json();
    const rita = { authorization: `Bearer ${ritaKey}` };

    // Their team: read, rename, add members, create and block keys.
    expect((await get('/team/info?team_id=red', rita)).statusCode).toBe(200);
    expect((await post('/team/update', { team_id: 'red', team_alias: 'Red team' }, rita)).json().team_alias).toBe('Red team');
    expect((await post('/team/member_add', { team_id: 'red', member: { user_id: 'rex' } }, rita)).statusCode).toBe(200);
    const created = await post('/key/generate', { team_id: 'red', key_alias: 'red-bot', max_budget: 5 }, rita);
    expect(created.statusCode).toBe(200);
    expect(created.json().created_by).toBe('rita');
    expect((await post('/key/block', { key: created.json().key }, rita)).json().blocked).toBe(true);

    // Fields that are the proxy admin's, other teams, and keys outside their teams: refused by name.
    const raise = await post('/team/update', { team_id: 'red', max_budget: 5000 }, rita);
    expect(raise.statusCode).toBe(403);
    expect(raise.json().error.param).toBe('max_budget');
    expect((await post('/key/generate', { team_id: 'red', budget_id: 'x' }, rita)).json().error.param).toBe('budget_id');
    expect((await get('/team/info?team_id=blue', rita)).statusCode).toBe(403);
    expect((await post('/key/generate', { team_id: 'blue' }, rita)).statusCode).toBe(403);
    expect((await post('/key/generate', {}, rita)).statusCode).toBe(403);
    const { key: outsider } = (await post('/key/generate', { team_id: 'blue' })).json();
    expect((await post('/key/block', { key: outsider }, rita)).statusCode).toBe(403);
    expect((await post('/budget/new', { budget_id: 'rita-budget' }, rita)).statusCode).toBe(403);

    // Plain members are not team admins.
    expect((await get('/team/info?team_id=red', { authorization: `Bearer ${ronKey}` })).statusCode).toBe(403);
  });
});
