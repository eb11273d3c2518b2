/** Budget resets and spend-log retention on an embedded Postgres. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../../gateway/storage';
import type { Database } from '../../../gateway/storage';
import { nextResetAfter, pruneSpendLogs, resetDueBudgets } from '../../../gateway/tokenomics';

let database: Database;

beforeAll(async () => {
  database = await openDatabase({ dataDir: 'memory://' });
  await migrate(database);
}, 60_000);
afterAll(() => database?.close());

describe('budget resets', () => {
  it('steps a reset over the periods that passed, calendar months included', () => {
    const now = new Date('2026-03-10T12:00:00Z');
    expect(nextResetAfter(new Date('2026-03-10T11:00:00Z'), '30m', now)?.toISOString()).toBe('2026-03-10T12:30:00.000Z');
    expect(nextResetAfter(new Date('2026-01-31T00:00:00Z'), '1mo', now)?.toISOString()).toBe('2026-03-31T00:00:00.000Z');
    expect(nextResetAfter(new Date('2026-03-01T00:00:00Z'), 'soon', now)).toBeUndefined();
  });

  it('zeroes spend whose period ended, once, and schedules the next reset', async () => {
    const now = new Date('2026-05-01T00:00:30Z');
    await database.query(`INSERT INTO teams (team_id, spend, spend_tokens, budget_duration, budget_reset_at) VALUES
      ('due', 12.5, 900, '1d', '2026-05-01T00:00:00Z'), ('later', 3, 10, '1d', '2026-05-02T00:00:00Z')`);
    await database.query(`INSERT INTO keys (token_hash, key_name, spend, budget_duration, budget_reset_at) VALUES
      ('k-due', 'sk-...due', 4, '30d', '2026-04-01T00:00:00Z')`);
    const [first, second] = await Promise.all([resetDueBudgets(database, now), resetDueBudgets(database, now)]);
    expect(first + second).toBe(2);
    const { rows } = await database.query<{ team_id: string; spend: number; spend_tokens: number; budget_reset_at: Date }>(
      'SELECT team_id, spend, spend_tokens, budget_reset_at FROM teams ORDER BY team_id',
    );
    expect(rows.map((row) => [row.team_id, row.spend, row.spend_tokens, new Date(row.budget_reset_at).toISOString()])).toEqual([
      ['due', 0, 0, '2026-05-02T00:00:00.000Z'],
      ['later', 3, 10, '2026-05-02T00:00:00.000Z'],
    ]);
    const key = await database.query<{ spend: number; budget_reset_at: Date }>(`SELECT spend, budget_reset_at FROM keys WHERE token_hash = 'k-due'`);
    expect(key.rows[0]?.spend).toBe(0);
    expect(new Date(key.rows[0]!.budget_reset_at).toISOString()).toBe('2026-05-31T00:00:00.000Z');
  });
});

describe('spend-log retention', () => {
  it('deletes rows older than the period and keeps the daily aggregates', async () => {
    const row = (id: string, at: string) =>
      database.query(
        `INSERT INTO spend_logs (request_id, call_type, model_group, start_time, end_time) VALUES ($1, 'chat', 'm', $2, $2)`,
        [id, at],
      );
    await row('old', '2026-01-01T00:00:00Z');
    await row('recent', '2026-02-20T00:00:00Z');
    await database.query(`INSERT INTO daily_spend (day, entity_type, entity_id, model_group, requests) VALUES ('2026-01-01', 'model', 'm', 'm', 1)`);
    expect(await pruneSpendLogs(database, '30d', new Date('2026-03-01T00:00:00Z'))).toBe(1);
    const { rows } = await database.query<{ request_id: string }>('SELECT request_id FROM spend_logs ORDER BY request_id');
    expect(rows.map((r) => r.request_id)).toEqual(['recent']);
    expect((await database.query('SELECT * FROM daily_spend')).rows).toHaveLength(1);
    await expect(pruneSpendLogs(database, 'forever')).rejects.toThrow(/duration/);
  });
});
