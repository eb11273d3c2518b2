/**
 * Virtual keys in the database, by the SHA-256 of the key. Rows come back in LiteLLM's field names.
 */
import type { SqlClient } from './database';

export interface KeyRecord {
  token: string;
  key_name: string;
  key_alias: string | null;
  user_id: string | null;
  team_id: string | null;
  models: string[];
  aliases: Record<string, string>;
  max_budget: number | null;
  soft_budget: number | null;
  max_budget_tokens: number | null;
  spend: number;
  spend_tokens: number;
  budget_duration: string | null;
  budget_reset_at: Date | null;
  expires: Date | null;
  rpm_limit: number | null;
  tpm_limit: number | null;
  max_parallel_requests: number | null;
  model_rpm_limit: Record<string, number>;
  model_tpm_limit: Record<string, number>;
  model_max_budget: Record<string, unknown>;
  budget_id: string | null;
  metadata: Record<string, unknown>;
  tags: string[];
  blocked: boolean;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

/** The limits and spend of a key's team or user, as the request path needs them. */
export interface OwnerLimits {
  readonly id: string;
  readonly models: string[];
  readonly blocked: boolean;
  readonly max_budget: number | null;
  readonly max_budget_tokens: number | null;
  readonly spend: number;
  readonly spend_tokens: number;
  readonly budget_reset_at: string | null;
  readonly rpm_limit: number | null;
  readonly tpm_limit: number | null;
  readonly max_parallel_requests: number | null;
  readonly model_rpm_limit: Record<string, number>;
  readonly model_tpm_limit: Record<string, number>;
}

/** A key with its team's and user's limits: what authentication caches for the request path. */
export interface KeyWithOwners extends KeyRecord {
  readonly team: OwnerLimits | null;
  readonly user: OwnerLimits | null;
}

/** The columns a caller may set, with their SQL cast. */
export const KEY_WRITABLE_COLUMNS = {
  key_alias: 'text',
  user_id: 'text',
  team_id: 'text',
  models: 'text[]',
  aliases: 'jsonb',
  max_budget: 'numeric',
  soft_budget: 'numeric',
  max_budget_tokens: 'bigint',
  budget_duration: 'text',
  budget_reset_at: 'timestamptz',
  expires: 'timestamptz',
  rpm_limit: 'integer',
  tpm_limit: 'bigint',
  max_parallel_requests: 'integer',
  model_rpm_limit: 'jsonb',
  model_tpm_limit: 'jsonb',
  model_max_budget: 'jsonb',
  budget_id: 'text',
  metadata: 'jsonb',
  tags: 'text[]',
  blocked: 'boolean',
} as const;

export type KeyWritableColumn = keyof typeof KEY_WRITABLE_COLUMNS;
export type KeyFields = { [Column in KeyWritableColumn]?: unknown };

const SELECT = `SELECT token_hash AS token, key_name, key_alias, user_id, team_id, models, aliases, max_budget, soft_budget,
  max_budget_tokens, spend, spend_tokens, budget_duration, budget_reset_at, expires, rpm_limit, tpm_limit,
  max_parallel_requests, model_rpm_limit, model_tpm_limit, model_max_budget, budget_id, metadata, tags, blocked,
  created_by, created_at, updated_at FROM keys`;

function encode(column: KeyWritableColumn, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (KEY_WRITABLE_COLUMNS[column] === 'jsonb') return JSON.stringify(value);
  if (value instanceof Date) return value.toISOString();
  return value;
}

export class KeyRepository {
  constructor(private readonly db: SqlClient) {}

  async insert(tokenHash: string, keyName: string, fields: KeyFields, createdBy: string | null): Promise<KeyRecord> {
    const columns = (Object.keys(fields) as KeyWritableColumn[]).filter((column) => fields[column] !== undefined);
    const names = ['token_hash', 'key_name', 'created_by', ...columns];
    const values = [tokenHash, keyName, createdBy, ...columns.map((column) => encode(column, fields[column]))];
    const placeholders = names.map((name, index) =>
      index < 3 ? `$${index + 1}` : `$${index + 1}::${KEY_WRITABLE_COLUMNS[name as KeyWritableColumn]}`,
    );
    await this.db.query(`INSERT INTO keys (${names.join(', ')}) VALUES (${placeholders.join(', ')})`, values);
    const created = await this.findByHash(tokenHash);
    if (!created) throw new Error('inserted key not found');
    return created;
  }

  async findByHash(tokenHash: string): Promise<KeyRecord | undefined> {
    const { rows } = await this.db.query<KeyRecord>(`${SELECT} WHERE token_hash = $1`, [tokenHash]);
    return rows[0];
  }

  /** The key, its team and its user in one round trip (what authentication caches). */
  async findWithOwnersByHash(tokenHash: string): Promise<KeyWithOwners | undefined> {
    const { rows } = await this.db.query<KeyRecord & { team_json: OwnerLimits | null; user_json: OwnerLimits | null }>(
      `SELECT k.*,
         (SELECT json_build_object('id', t.team_id, 'blocked', t.blocked, 'models', t.models, 'max_budget', t.max_budget,
            'max_budget_tokens', t.max_budget_tokens, 'spend', t.spend, 'spend_tokens', t.spend_tokens,
            'budget_reset_at', t.budget_reset_at, 'rpm_limit', t.rpm_limit, 'tpm_limit', t.tpm_limit,
            'max_parallel_requests', t.max_parallel_requests, 'model_rpm_limit', t.model_rpm_limit,
            'model_tpm_limit', t.model_tpm_limit) FROM teams t WHERE t.team_id = k.team_id) AS team_json,
         (SELECT json_build_object('id', u.user_id, 'blocked', false, 'models', u.models, 'max_budget', u.max_budget,
            'max_budget_tokens', u.max_budget_tokens, 'spend', u.spend, 'spend_tokens', u.spend_tokens,
            'budget_reset_at', u.budget_reset_at, 'rpm_limit', u.rpm_limit, 'tpm_limit', u.tpm_limit,
            'max_parallel_requests', u.max_parallel_requests, 'model_rpm_limit', u.model_rpm_limit,
            'model_tpm_limit', u.model_tpm_limit) FROM users u WHERE u.user_id = k.user_id) AS user_json
       FROM (${SELECT} WHERE token_hash = $1) AS k`,
      [tokenHash],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    const { team_json, user_json, ...key } = row;
    return { ...key, team: team_json, user: user_json };
  }

  async findByAlias(alias: string): Promise<KeyRecord | undefined> {
    const { rows } = await this.db.query<KeyRecord>(`${SELECT} WHERE key_alias = $1`, [alias]);
    return rows[0];
  }

  async update(tokenHash: string, fields: KeyFields): Promise<KeyRecord | undefined> {
    const columns = (Object.keys(fields) as KeyWritableColumn[]).filter((column) => fields[column] !== undefined);
    if (columns.length > 0) {
      const sets = columns.map((column, index) => `${column} = $${index + 2}::${KEY_WRITABLE_COLUMNS[column]}`);
      await this.db.query(`UPDATE keys SET ${sets.join(', ')}, updated_at = now() WHERE token_hash = $1`, [
        tokenHash,
        ...columns.map((column) => encode(column, fields[column])),
      ]);
    }
    return this.findByHash(tokenHash);
  }

  /** Moves a key to a new hash (regenerate), keeping its settings and spend. */
  async rehash(oldHash: string, newHash: string, keyName: string): Promise<KeyRecord | undefined> {
    const { rowCount } = await this.db.query(
      'UPDATE keys SET token_hash = $2, key_name = $3, updated_at = now() WHERE token_hash = $1',
      [oldHash, newHash, keyName],
    );
    return rowCount > 0 ? this.findByHash(newHash) : undefined;
  }

  async delete(tokenHashes: readonly string[]): Promise<string[]> {
    if (tokenHashes.length === 0) return [];
    const { rows } = await this.db.query<{ token_hash: string }>(
      'DELETE FROM keys WHERE token_hash = ANY($1::text[]) RETURNING token_hash',
      [tokenHashes],
    );
    return rows.map((row) => row.token_hash);
  }

  async list(filter: { userId?: string; teamId?: string; keyAlias?: string; page: number; size: number }): Promise<{ keys: KeyRecord[]; total: number }> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (filter.userId !== undefined) conditions.push(`user_id = $${params.push(filter.userId)}`);
    if (filter.teamId !== undefined) conditions.push(`team_id = $${params.push(filter.teamId)}`);
    if (filter.keyAlias !== undefined) conditions.push(`key_alias = $${params.push(filter.keyAlias)}`);
    const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
    const { rows: countRows } = await this.db.query<{ total: number }>(`SELECT count(*)::int AS total FROM keys${where}`, params);
    const limit = params.push(filter.size);
    const offset = params.push((filter.page - 1) * filter.size);
    const { rows } = await this.db.query<KeyRecord>(`${SELECT}${where} ORDER BY created_at, token_hash LIMIT $${limit} OFFSET $${offset}`, params);
    return { keys: rows, total: Number(countRows[0]?.total ?? 0) };
  }
}
