/**
 * Periodic database chores, safe to run from every replica at once:
 * - budget resets: every key, user, team and end user whose `budget_reset_at` has passed gets its spend
 *   set to 0 and its next reset one `budget_duration` later (skipping periods that passed while the
 *   gateway was down). Each row is updated only if its reset time is still the one read, so two replicas
 *   never reset twice. The new `budget_reset_at` is also the budget period of the limit store, so the
 *   shared counters start fresh with it.
 * - spend-log retention: rows older than `maximum_spend_logs_retention_period` are deleted; the daily
 *   aggregates stay, so reports keep their history.
 */
import type { Database } from '../storage';
import { addDuration, parseDuration } from './duration';

const BUDGET_TABLES = [
  { table: 'keys', id: 'token_hash', duration: 'budget_duration' },
  { table: 'users', id: 'user_id', duration: 'budget_duration' },
  { table: 'teams', id: 'team_id', duration: 'budget_duration' },
] as const;

/**
 * The first reset time after `now`: `from` plus a whole number of durations, each counted from `from`
 * itself so that a month-end anchor stays at the month's end (Jan 31 → Feb 28 → Mar 31).
 */
export function nextResetAfter(from: Date, durationText: string, now: Date): Date | undefined {
  const duration = parseDuration(durationText);
  if (!duration) return undefined;
  let periods = 1;
  let next = addDuration(from, duration);
  while (next.getTime() <= now.getTime() && periods < 100_000) {
    periods++;
    next = addDuration(from, { amount: duration.amount * periods, unit: duration.unit });
  }
  return next;
}

export async function resetDueBudgets(database: Database, now: Date = new Date()): Promise<number> {
  let reset = 0;
  for (const { table, id, duration } of BUDGET_TABLES) {
    const { rows } = await database.query<{ id: string; budget_reset_at: Date; duration: string | null }>(
      `SELECT ${id} AS id, budget_reset_at, ${duration} AS duration FROM ${table} WHERE budget_reset_at <= $1`,
      [now.toISOString()],
    );
    // A key's soft-budget alert is re-armed with its new period.
    const rearm = table === 'keys' ? ', soft_budget_alerted_at = NULL' : '';
    for (const row of rows) {
      const next = row.duration ? nextResetAfter(new Date(row.budget_reset_at), row.duration, now) : undefined;
      const { rowCount } = await database.query(
        `UPDATE ${table} SET spend = 0, spend_tokens = 0, budget_reset_at = $3, updated_at = now()${rearm}
         WHERE ${id} = $1 AND budget_reset_at = $2`,
        [row.id, new Date(row.budget_reset_at).toISOString(), next ? next.toISOString() : null],
      );
      reset += rowCount;
    }
  }
  // End users take their period from their budget.
  const { rows: customers } = await database.query<{ id: string; budget_reset_at: Date; duration: string | null }>(
    `SELECT e.user_id AS id, e.budget_reset_at, b.budget_duration AS duration FROM end_users e
     LEFT JOIN budgets b ON b.budget_id = e.budget_id WHERE e.budget_reset_at <= $1`,
    [now.toISOString()],
  );
  for (const row of customers) {
    const next = row.duration ? nextResetAfter(new Date(row.budget_reset_at), row.duration, now) : undefined;
    const { rowCount } = await database.query(
      `UPDATE end_users SET spend = 0, spend_tokens = 0, budget_reset_at = $3, updated_at = now() WHERE user_id = $1 AND budget_reset_at = $2`,
      [row.id, new Date(row.budget_reset_at).toISOString(), next ? next.toISOString() : null],
    );
    reset += rowCount;
  }
  return reset;
}

/** Deletes spend-log rows older than the retention period; returns how many. */
export async function pruneSpendLogs(database: Database, retention: string, now: Date = new Date()): Promise<number> {
  const duration = parseDuration(retention);
  if (!duration) throw new Error(`maximum_spend_logs_retention_period must be a duration like 30d or 1mo, got '${retention}'`);
  // The cut-off is `now` minus the duration: step back by adding it to a date that far in the past.
  const cutoff = new Date(now.getTime() - (addDuration(now, duration).getTime() - now.getTime()));
  const { rowCount } = await database.query('DELETE FROM spend_logs WHERE start_time < $1', [cutoff.toISOString()]);
  return rowCount;
}
