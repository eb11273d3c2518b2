/**
 * Versioned migrations, applied in order inside one transaction each, under a Postgres advisory lock so
 * several replicas (or a migration Job racing a pod) can run them at once safely: the first applies,
 * the others wait and then find nothing left to do. Migrations only ever add; an upgrade never drops data.
 */
import type { Database } from './database';
import { MIGRATIONS } from './migrations';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** A fixed 64-bit key for `pg_advisory_lock`, derived from the word "switchyard". */
const ADVISORY_LOCK_KEY = 0x5357_4954_4348;

export interface MigrationReport {
  readonly applied: readonly Migration[];
  readonly current: number;
}

export async function migrate(database: Database, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationReport> {
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  return database.transaction(async (client) => {
    // Transaction-scoped: released at COMMIT/ROLLBACK, also if this process dies.
    await client.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS switchyard_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ version: number }>('SELECT version FROM switchyard_migrations');
    const done = new Set(rows.map((row) => Number(row.version)));
    const applied: Migration[] = [];
    for (const migration of ordered) {
      if (done.has(migration.version)) continue;
      await client.execute(migration.sql);
      await client.query('INSERT INTO switchyard_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      applied.push(migration);
    }
    return { applied, current: ordered.at(-1)?.version ?? 0 };
  });
}
