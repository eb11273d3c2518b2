/**
 * Spend reports. Per-request detail comes from `spend_logs` (bounded by a limit); everything grouped by
 * day reads the `daily_spend` aggregates, never the raw log.
 */
import { z } from 'zod';
import type { Database } from '../storage';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date like 2026-01-31');

export const spendLogsQuerySchema = z.object({
  api_key: z.string().optional(),
  user_id: z.string().optional(),
  team_id: z.string().optional(),
  end_user: z.string().optional(),
  request_id: z.string().optional(),
  start_date: isoDate.optional(),
  end_date: isoDate.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(100),
});

export const spendRangeQuerySchema = z.object({ start_date: isoDate.optional(), end_date: isoDate.optional() });

export const GROUP_BY = { team: 'team', customer: 'end_user', api_key: 'key', model: 'model', user: 'user', tag: 'tag' } as const;

export const globalSpendReportQuerySchema = spendRangeQuerySchema.extend({
  group_by: z.enum(Object.keys(GROUP_BY) as [keyof typeof GROUP_BY, ...(keyof typeof GROUP_BY)[]]).default('team'),
});

export type SpendLogsQuery = z.infer<typeof spendLogsQuerySchema>;
export type GlobalSpendReportQuery = z.infer<typeof globalSpendReportQuerySchema>;

interface DailyRow {
  day: Date | string;
  entity_id: string;
  model_group: string;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  spend: number;
}

function dayText(day: Date | string): string {
  return typeof day === 'string' ? day.slice(0, 10) : day.toISOString().slice(0, 10);
}

export class SpendReports {
  constructor(private readonly db: Database) {}

  async logs(query: SpendLogsQuery): Promise<Record<string, unknown>[]> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    const filter = (column: string, value: unknown): void => {
      if (value !== undefined) conditions.push(`${column} = $${params.push(value)}`);
    };
    filter('token_hash', query.api_key === undefined ? undefined : /^[0-9a-f]{64}$/.test(query.api_key) ? query.api_key : undefined);
    filter('user_id', query.user_id);
    filter('team_id', query.team_id);
    filter('end_user', query.end_user);
    filter('request_id', query.request_id);
    if (query.start_date) conditions.push(`start_time >= $${params.push(query.start_date)}::date`);
    if (query.end_date) conditions.push(`start_time < $${params.push(query.end_date)}::date + 1`);
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const limit = params.push(query.limit);
    const { rows } = await this.db.query(`SELECT * FROM spend_logs ${where} ORDER BY start_time DESC LIMIT $${limit}`, params);
    return rows;
  }

  async tags(query: z.infer<typeof spendRangeQuerySchema>): Promise<{ individual_request_tag: string; log_count: number; total_spend: number }[]> {
    const { where, params } = range(query);
    const { rows } = await this.db.query<{ tag: string; requests: number; spend: number }>(
      `SELECT entity_id AS tag, sum(requests)::bigint AS requests, sum(spend) AS spend FROM daily_spend
       WHERE entity_type = 'tag' ${where} GROUP BY entity_id ORDER BY sum(spend) DESC`,
      params,
    );
    return rows.map((row) => ({ individual_request_tag: row.tag, log_count: Number(row.requests), total_spend: Number(row.spend) }));
  }

  /** Spend per day and group (team, customer, key, model, user or tag), each broken down by model. */
  async report(query: GlobalSpendReportQuery): Promise<Record<string, unknown>[]> {
    const { where, params } = range(query);
    const entityType = GROUP_BY[query.group_by];
    const { rows } = await this.db.query<DailyRow>(
      `SELECT day, entity_id, model_group, requests, prompt_tokens, completion_tokens, spend FROM daily_spend
       WHERE entity_type = $${params.length + 1} ${where} ORDER BY day, entity_id, model_group`,
      [...params, entityType],
    );
    const days = new Map<string, Map<string, { total_spend: number; total_tokens: number; requests: number; metadata: unknown[] }>>();
    for (const row of rows) {
      const day = dayText(row.day);
      let groups = days.get(day);
      if (!groups) days.set(day, (groups = new Map()));
      let group = groups.get(row.entity_id);
      if (!group) groups.set(row.entity_id, (group = { total_spend: 0, total_tokens: 0, requests: 0, metadata: [] }));
      const tokens = Number(row.prompt_tokens) + Number(row.completion_tokens);
      group.total_spend += Number(row.spend);
      group.total_tokens += tokens;
      group.requests += Number(row.requests);
      group.metadata.push({ model: row.model_group, spend: Number(row.spend), total_tokens: tokens, requests: Number(row.requests) });
    }
    return [...days].map(([day, groups]) => ({
      group_by_day: day,
      [`${query.group_by}s`]: [...groups].map(([id, group]) => ({ [query.group_by]: id, ...group })),
    }));
  }
}

function range(query: { start_date?: string | undefined; end_date?: string | undefined }): { where: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (query.start_date) conditions.push(`day >= $${params.push(query.start_date)}::date`);
  if (query.end_date) conditions.push(`day <= $${params.push(query.end_date)}::date`);
  return { where: conditions.map((condition) => `AND ${condition}`).join(' '), params };
}
