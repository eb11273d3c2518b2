/**
 * Plain create/read/update/delete over one table whose columns are described once (name → SQL type),
 * for the management API's teams, users, end users (customers) and budgets. Values are bound as
 * parameters with explicit casts; column names only ever come from the descriptor.
 */
import type { SqlClient } from './database';

export type SqlType = 'text' | 'text[]' | 'jsonb' | 'numeric' | 'bigint' | 'integer' | 'boolean' | 'timestamptz';

export interface EntityDescriptor {
  readonly table: string;
  readonly idColumn: string;
  /** Columns a caller may set. */
  readonly columns: Readonly<Record<string, SqlType>>;
}

export type EntityRow = Record<string, unknown>;

function encode(type: SqlType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (type === 'jsonb') return JSON.stringify(value);
  if (value instanceof Date) return value.toISOString();
  return value;
}

export class EntityRepository {
  constructor(
    private readonly db: SqlClient,
    private readonly entity: EntityDescriptor,
  ) {}

  private writable(fields: EntityRow): string[] {
    return Object.keys(fields).filter((column) => column in this.entity.columns && fields[column] !== undefined);
  }

  async insert(id: string, fields: EntityRow): Promise<EntityRow> {
    const columns = this.writable(fields);
    const names = [this.entity.idColumn, ...columns];
    const placeholders = names.map((name, index) => (index === 0 ? '$1' : `$${index + 1}::${this.entity.columns[name]}`));
    const values = [id, ...columns.map((column) => encode(this.entity.columns[column] as SqlType, fields[column]))];
    const { rows } = await this.db.query<EntityRow>(
      `INSERT INTO ${this.entity.table} (${names.join(', ')}) VALUES (${placeholders.join(', ')}) RETURNING *`,
      values,
    );
    return rows[0] as EntityRow;
  }

  async find(id: string): Promise<EntityRow | undefined> {
    const { rows } = await this.db.query<EntityRow>(`SELECT * FROM ${this.entity.table} WHERE ${this.entity.idColumn} = $1`, [id]);
    return rows[0];
  }

  async findMany(ids: readonly string[]): Promise<EntityRow[]> {
    const { rows } = await this.db.query<EntityRow>(
      `SELECT * FROM ${this.entity.table} WHERE ${this.entity.idColumn} = ANY($1::text[]) ORDER BY ${this.entity.idColumn}`,
      [ids],
    );
    return rows;
  }

  async update(id: string, fields: EntityRow): Promise<EntityRow | undefined> {
    const columns = this.writable(fields);
    if (columns.length === 0) return this.find(id);
    const sets = columns.map((column, index) => `${column} = $${index + 2}::${this.entity.columns[column]}`);
    const { rows } = await this.db.query<EntityRow>(
      `UPDATE ${this.entity.table} SET ${sets.join(', ')}, updated_at = now() WHERE ${this.entity.idColumn} = $1 RETURNING *`,
      [id, ...columns.map((column) => encode(this.entity.columns[column] as SqlType, fields[column]))],
    );
    return rows[0];
  }

  async delete(ids: readonly string[]): Promise<string[]> {
    const { rows } = await this.db.query<Record<string, string>>(
      `DELETE FROM ${this.entity.table} WHERE ${this.entity.idColumn} = ANY($1::text[]) RETURNING ${this.entity.idColumn}`,
      [ids],
    );
    return rows.map((row) => row[this.entity.idColumn] as string);
  }

  async list(page: number, size: number, filter: EntityRow = {}): Promise<{ rows: EntityRow[]; total: number }> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    for (const [column, value] of Object.entries(filter)) {
      if (value === undefined || !(column in this.entity.columns || column === this.entity.idColumn)) continue;
      conditions.push(`${column} = $${params.push(value)}`);
    }
    const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
    const { rows: count } = await this.db.query<{ total: number }>(`SELECT count(*)::int AS total FROM ${this.entity.table}${where}`, params);
    const limit = params.push(size);
    const offset = params.push((page - 1) * size);
    const { rows } = await this.db.query<EntityRow>(
      `SELECT * FROM ${this.entity.table}${where} ORDER BY created_at, ${this.entity.idColumn} LIMIT $${limit} OFFSET $${offset}`,
      params,
    );
    return { rows, total: Number(count[0]?.total ?? 0) };
  }
}

const LIMIT_COLUMNS = {
  max_budget: 'numeric',
  soft_budget: 'numeric',
  max_budget_tokens: 'bigint',
  budget_duration: 'text',
  budget_reset_at: 'timestamptz',
  rpm_limit: 'integer',
  tpm_limit: 'bigint',
  max_parallel_requests: 'integer',
} as const satisfies Record<string, SqlType>;

export const TEAMS: EntityDescriptor = {
  table: 'teams',
  idColumn: 'team_id',
  columns: {
    team_alias: 'text',
    models: 'text[]',
    ...LIMIT_COLUMNS,
    model_rpm_limit: 'jsonb',
    model_tpm_limit: 'jsonb',
    budget_id: 'text',
    metadata: 'jsonb',
    tags: 'text[]',
    blocked: 'boolean',
  },
};

export const USERS: EntityDescriptor = {
  table: 'users',
  idColumn: 'user_id',
  columns: {
    user_email: 'text',
    user_alias: 'text',
    user_role: 'text',
    models: 'text[]',
    ...LIMIT_COLUMNS,
    model_rpm_limit: 'jsonb',
    model_tpm_limit: 'jsonb',
    budget_id: 'text',
    metadata: 'jsonb',
  },
};

export const END_USERS: EntityDescriptor = {
  table: 'end_users',
  idColumn: 'user_id',
  columns: {
    alias: 'text',
    blocked: 'boolean',
    budget_id: 'text',
    budget_reset_at: 'timestamptz',
    allowed_model_region: 'text',
    default_model: 'text',
    metadata: 'jsonb',
  },
};

export const BUDGETS: EntityDescriptor = {
  table: 'budgets',
  idColumn: 'budget_id',
  columns: { ...LIMIT_COLUMNS, model_max_budget: 'jsonb', created_by: 'text' },
};
