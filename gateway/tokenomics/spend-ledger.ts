/**
 * The spend ledger: every finished call becomes one spend-log row, and the spend of its key, user, team
 * and end user, plus the daily aggregates, grow by its cost. Rows are buffered and written in batches
 * (LiteLLM's `proxy_batch_write_at`), in one statement per batch, idempotently by `request_id` so a
 * batch replayed after a failure never counts twice. While the database is away the buffer is kept and
 * retried; on shutdown what cannot be written is spooled to a local file and replayed at the next start.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Database } from '../storage';

export interface SpendRecord {
  readonly request_id: string;
  readonly call_type: 'chat' | 'completion' | 'embedding';
  readonly token_hash: string | null;
  readonly key_alias: string | null;
  readonly user_id: string | null;
  readonly team_id: string | null;
  readonly end_user: string | null;
  readonly model_group: string;
  readonly deployment_id: string | null;
  readonly model: string | null;
  readonly provider: string | null;
  readonly api_base: string | null;
  readonly tags: readonly string[];
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly cached_tokens: number;
  readonly total_tokens: number;
  readonly spend: number;
  readonly status: 'success' | 'failure';
  /** When the call started and ended, in ms since the epoch (the database converts: no date formatting per call). */
  readonly start_ms: number;
  readonly end_ms: number;
}

export interface SpendLedgerOptions {
  /** The database, once open; `undefined` keeps records buffered. */
  readonly database: () => Promise<Database | undefined>;
  /**
   * How often buffered records are written (`general_settings.proxy_batch_write_at`).
   * @default 10_000
   */
  readonly flushIntervalMs?: number;
  /**
   * Records per statement.
   * @default 500
   */
  readonly batchSize?: number;
  /**
   * Where unwritten records are kept across a restart.
   * @default - not spooled
   */
  readonly spoolFile?: string;
  /** Told about write failures (records stay buffered). */
  readonly onError?: (error: unknown) => void;
  /**
   * Told once per budget period about each key whose spend reached its `soft_budget` (multi-replica
   * safe: the alert is claimed in the database).
   * @default - no alerts
   */
  readonly onSoftBudgetCrossed?: (alert: SoftBudgetAlert) => void;
}

/** A key that reached its `soft_budget`, in the fields LiteLLM's budget webhooks carry. */
export interface SoftBudgetAlert {
  readonly event: 'soft_budget_crossed';
  readonly event_group: 'key';
  readonly event_message: string;
  readonly token: string;
  readonly key_alias: string | null;
  readonly user_id: string | null;
  readonly team_id: string | null;
  readonly spend: number;
  readonly soft_budget: number;
  readonly max_budget: number | null;
}

const CLAIM_SOFT_BUDGET_ALERTS = /* sql */ `
UPDATE keys SET soft_budget_alerted_at = now()
WHERE token_hash = ANY($1::text[]) AND soft_budget IS NOT NULL AND spend >= soft_budget AND soft_budget_alerted_at IS NULL
RETURNING token_hash, key_alias, key_name, user_id, team_id, spend, soft_budget, max_budget`;

/** One statement: insert new rows, then add exactly those rows' spend to every owner and day. */
const WRITE_BATCH = /* sql */ `
WITH input AS (
  SELECT x.request_id, x.call_type, x.token_hash, x.key_alias, x.user_id, x.team_id, x.end_user, x.model_group,
         x.deployment_id, x.model, x.provider, x.api_base,
         ARRAY(SELECT jsonb_array_elements_text(COALESCE(x.tags::jsonb, '[]'::jsonb))) AS tags,
         x.prompt_tokens, x.completion_tokens, x.cached_tokens, x.total_tokens, x.spend, x.status,
         to_timestamp(x.start_ms / 1000.0) AS start_time, to_timestamp(x.end_ms / 1000.0) AS end_time
  -- One array per column: Postgres parses these several times faster than the same rows as JSON.
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
              $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::bigint[], $15::bigint[],
              $16::bigint[], $17::bigint[], $18::numeric[], $19::text[], $20::double precision[], $21::double precision[])
       AS x(request_id, call_type, token_hash, key_alias, user_id, team_id, end_user, model_group, deployment_id, model,
            provider, api_base, tags, prompt_tokens, completion_tokens, cached_tokens, total_tokens, spend, status,
            start_ms, end_ms)
),
inserted AS (
  INSERT INTO spend_logs (request_id, call_type, token_hash, key_alias, user_id, team_id, end_user, model_group,
    deployment_id, model, provider, api_base, tags, prompt_tokens, completion_tokens, cached_tokens, total_tokens,
    spend, status, start_time, end_time)
  SELECT * FROM input
  ON CONFLICT (request_id) DO NOTHING
  RETURNING *
),
key_totals AS (
  UPDATE keys k SET spend = k.spend + s.spend, spend_tokens = k.spend_tokens + s.tokens
  FROM (SELECT token_hash, sum(spend) AS spend, sum(total_tokens) AS tokens FROM inserted
        WHERE token_hash IS NOT NULL GROUP BY token_hash) s
  WHERE k.token_hash = s.token_hash RETURNING 1
),
user_totals AS (
  UPDATE users u SET spend = u.spend + s.spend, spend_tokens = u.spend_tokens + s.tokens
  FROM (SELECT user_id, sum(spend) AS spend, sum(total_tokens) AS tokens FROM inserted
        WHERE user_id IS NOT NULL GROUP BY user_id) s
  WHERE u.user_id = s.user_id RETURNING 1
),
team_totals AS (
  UPDATE teams t SET spend = t.spend + s.spend, spend_tokens = t.spend_tokens + s.tokens
  FROM (SELECT team_id, sum(spend) AS spend, sum(total_tokens) AS tokens FROM inserted
        WHERE team_id IS NOT NULL GROUP BY team_id) s
  WHERE t.team_id = s.team_id RETURNING 1
),
end_user_totals AS (
  INSERT INTO end_users (user_id, spend, spend_tokens)
  SELECT end_user, sum(spend), sum(total_tokens) FROM inserted WHERE end_user IS NOT NULL GROUP BY end_user
  ON CONFLICT (user_id) DO UPDATE SET spend = end_users.spend + excluded.spend,
    spend_tokens = end_users.spend_tokens + excluded.spend_tokens, updated_at = now()
  RETURNING 1
),
owners AS (
  SELECT (start_time AT TIME ZONE 'UTC')::date AS day, 'key' AS entity_type, token_hash AS entity_id, i.* FROM inserted i WHERE token_hash IS NOT NULL
  UNION ALL SELECT (start_time AT TIME ZONE 'UTC')::date, 'user', user_id, i.* FROM inserted i WHERE user_id IS NOT NULL
  UNION ALL SELECT (start_time AT TIME ZONE 'UTC')::date, 'team', team_id, i.* FROM inserted i WHERE team_id IS NOT NULL
  UNION ALL SELECT (start_time AT TIME ZONE 'UTC')::date, 'end_user', end_user, i.* FROM inserted i WHERE end_user IS NOT NULL
  UNION ALL SELECT (start_time AT TIME ZONE 'UTC')::date, 'model', model_group, i.* FROM inserted i
  UNION ALL SELECT (start_time AT TIME ZONE 'UTC')::date, 'tag', tag, i.* FROM inserted i, unnest(i.tags) AS tag
),
daily AS (
  INSERT INTO daily_spend AS d (day, entity_type, entity_id, model_group, requests, failed_requests, prompt_tokens,
    completion_tokens, cached_tokens, spend)
  SELECT day, entity_type, entity_id, model_group, count(*), count(*) FILTER (WHERE status <> 'success'),
    sum(prompt_tokens), sum(completion_tokens), sum(cached_tokens), sum(spend)
  FROM owners GROUP BY day, entity_type, entity_id, model_group
  ON CONFLICT (day, entity_type, entity_id, model_group) DO UPDATE SET
    requests = d.requests + excluded.requests, failed_requests = d.failed_requests + excluded.failed_requests,
    prompt_tokens = d.prompt_tokens + excluded.prompt_tokens, completion_tokens = d.completion_tokens + excluded.completion_tokens,
    cached_tokens = d.cached_tokens + excluded.cached_tokens, spend = d.spend + excluded.spend
  RETURNING 1
)
SELECT (SELECT count(*) FROM inserted)::int AS inserted,
       (SELECT count(*) FROM key_totals)::int AS keys,
       (SELECT count(*) FROM user_totals)::int AS users,
       (SELECT count(*) FROM team_totals)::int AS teams,
       (SELECT count(*) FROM end_user_totals)::int AS end_users,
       (SELECT count(*) FROM daily)::int AS daily`;

/** The columns of `WRITE_BATCH`'s input, in its parameters' order. */
const BATCH_COLUMNS = [
  'request_id', 'call_type', 'token_hash', 'key_alias', 'user_id', 'team_id', 'end_user', 'model_group', 'deployment_id',
  'model', 'provider', 'api_base', 'tags', 'prompt_tokens', 'completion_tokens', 'cached_tokens', 'total_tokens', 'spend',
  'status', 'start_ms', 'end_ms',
] as const satisfies readonly (keyof SpendRecord)[];

/** The batch as one array per column (tags as JSON text). */
function batchColumns(batch: readonly SpendRecord[]): unknown[][] {
  return BATCH_COLUMNS.map((column) =>
    column === 'tags' ? batch.map((record) => JSON.stringify(record.tags ?? [])) : batch.map((record) => record[column] ?? null),
  );
}

/** A record as a spool file of an earlier version may hold it: ISO timestamps instead of epoch ms. */
type SpooledRecord = Omit<SpendRecord, 'start_ms' | 'end_ms'> & {
  readonly start_ms?: number;
  readonly end_ms?: number;
  readonly start_time?: string;
  readonly end_time?: string;
};

/** A spooled record in today's shape (converted once, when the spool file is replayed). */
function fromSpool({ start_time, end_time, ...record }: SpooledRecord): SpendRecord {
  return {
    ...record,
    start_ms: record.start_ms ?? Date.parse(start_time ?? ''),
    end_ms: record.end_ms ?? Date.parse(end_time ?? ''),
  };
}

export class SpendLedger {
  private buffer: SpendRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private readonly flushIntervalMs: number;
  private readonly batchSize: number;

  constructor(private readonly options: SpendLedgerOptions) {
    this.flushIntervalMs = options.flushIntervalMs ?? 10_000;
    this.batchSize = options.batchSize ?? 500;
    if (options.spoolFile && existsSync(options.spoolFile)) {
      const spooled = JSON.parse(readFileSync(options.spoolFile, 'utf8')) as SpooledRecord[];
      this.buffer.push(...spooled.map(fromSpool));
      renameSync(options.spoolFile, `${options.spoolFile}.replayed`);
    }
  }

  /** Records waiting to be written. */
  get pending(): number {
    return this.buffer.length;
  }

  record(entry: SpendRecord): void {
    this.buffer.push(entry);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.flushIntervalMs);
    this.timer.unref();
  }

  /** Writes everything buffered; concurrent calls share one write. Never throws: failures stay buffered. */
  flush(): Promise<void> {
    this.flushing ??= this.writeAll().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Stops the timer, writes what it can, and spools the rest to disk. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
    if (this.buffer.length > 0 && this.options.spoolFile) {
      mkdirSync(dirname(this.options.spoolFile), { recursive: true });
      writeFileSync(this.options.spoolFile, JSON.stringify(this.buffer));
    }
  }

  private async claimSoftBudgetAlerts(database: Database, batch: readonly SpendRecord[]): Promise<void> {
    const keys = [...new Set(batch.map((record) => record.token_hash).filter((hash): hash is string => hash !== null))];
    if (keys.length === 0) return;
    try {
      const { rows } = await database.query<{
        token_hash: string; key_alias: string | null; key_name: string; user_id: string | null; team_id: string | null;
        spend: number; soft_budget: number; max_budget: number | null;
      }>(CLAIM_SOFT_BUDGET_ALERTS, [keys]);
      for (const row of rows) {
        this.options.onSoftBudgetCrossed?.({
          event: 'soft_budget_crossed',
          event_group: 'key',
          event_message: `key ${row.key_alias ?? row.key_name} reached its soft budget: spend $${row.spend.toFixed(4)} of $${row.soft_budget}`,
          token: row.token_hash,
          key_alias: row.key_alias,
          user_id: row.user_id,
          team_id: row.team_id,
          spend: Number(row.spend),
          soft_budget: Number(row.soft_budget),
          max_budget: row.max_budget === null ? null : Number(row.max_budget),
        });
      }
    } catch (error) {
      this.options.onError?.(error);
    }
  }

  private async writeAll(): Promise<void> {
    if (this.buffer.length === 0) return;
    const database = await this.options.database();
    if (database === undefined) return;
    while (this.buffer.length > 0) {
      const batch = this.buffer.slice(0, this.batchSize);
      try {
        await database.query(WRITE_BATCH, batchColumns(batch));
      } catch (error) {
        this.options.onError?.(error);
        return;
      }
      this.buffer.splice(0, batch.length);
      if (this.options.onSoftBudgetCrossed) await this.claimSoftBudgetAlerts(database, batch);
    }
  }
}
