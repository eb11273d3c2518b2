/**
 * One small SQL interface over the two databases the gateway runs on: Postgres (`DATABASE_URL`, through a
 * `pg` pool) in production, and PGlite (Postgres compiled to WASM, data kept in a local folder) as the
 * embedded default. The same SQL runs on both.
 */
import { mkdirSync } from 'node:fs';
import { openPgliteInWorker } from './pglite-worker';

export interface QueryResult<Row> {
  readonly rows: Row[];
  readonly rowCount: number;
}

export interface SqlClient {
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
  /** Runs a script of several statements, without parameters (migrations). */
  execute(script: string): Promise<void>;
}

export interface Database extends SqlClient {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `work` in one transaction on one connection; rolls back when it throws. */
  transaction<T>(work: (client: SqlClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /**
   * A Postgres connection string. When absent the embedded PGlite database is used.
   * @default - PGlite in `dataDir`
   */
  readonly url?: string;
  /**
   * PGlite's data folder; `memory://` keeps the data in memory only.
   * @default '.switchyard/pglite'
   */
  readonly dataDir?: string;
  /**
   * Connections in the Postgres pool.
   * @default 10
   */
  readonly poolSize?: number;
  /**
   * Run PGlite in a worker thread, so that opening it never blocks the event loop (the server).
   * @default false
   */
  readonly worker?: boolean;
}

export async function openDatabase({
  url,
  dataDir = '.switchyard/pglite',
  poolSize = 10,
  worker = false,
}: OpenDatabaseOptions = {}): Promise<Database> {
  if (url) return openPostgres(url, poolSize);
  return openPglite(dataDir, worker);
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const { default: pg } = await import('pg');
  // Keep numeric (money) and bigint (token counts) exact: parse them as JS numbers only where safe.
  pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));
  pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value: string) => Number(value));
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle client that loses its server (restart, failover) must not crash the process.
  pool.on('error', () => undefined);
  const toResult = <Row>(result: { rows: unknown[]; rowCount: number | null }): QueryResult<Row> => ({
    rows: result.rows as Row[],
    rowCount: result.rowCount ?? 0,
  });
  return {
    kind: 'postgres',
    async query<Row>(text: string, params: readonly unknown[] = []) {
      return toResult<Row>(await pool.query(text, params as unknown[]));
    },
    async execute(script: string) {
      await pool.query(script);
    },
    async transaction<T>(work: (client: SqlClient) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work({
          async query<Row>(text: string, params: readonly unknown[] = []) {
            return toResult<Row>(await client.query(text, params as unknown[]));
          },
          async execute(script: string) {
            await client.query(script);
          },
        });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

async function openPglite(dataDir: string, inWorker: boolean): Promise<Database> {
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  if (inWorker) return openPgliteInWorker(dataDir, import.meta.resolve('@electric-sql/pglite'));
  const { PGlite, types } = await import('@electric-sql/pglite');
  const parsers = {
    [types.INT8]: (value: string) => Number(value),
    [types.NUMERIC]: (value: string) => Number(value),
  };
  const db = await PGlite.create(dataDir.startsWith('memory://') ? { parsers } : { dataDir, parsers });
  const toResult = <Row>(result: { rows: unknown[]; affectedRows?: number }): QueryResult<Row> => ({
    rows: result.rows as Row[],
    rowCount: result.affectedRows ?? result.rows.length,
  });
  return {
    kind: 'pglite',
    async query<Row>(text: string, params: readonly unknown[] = []) {
      return toResult<Row>(await db.query(text, params as unknown[]));
    },
    async execute(script: string) {
      await db.exec(script);
    },
    transaction<T>(work: (client: SqlClient) => Promise<T>): Promise<T> {
      return db.transaction((tx) =>
        work({
          async query<Row>(text: string, params: readonly unknown[] = []) {
            return toResult<Row>(await tx.query(text, params as unknown[]));
          },
          async execute(script: string) {
            await tx.exec(script);
          },
        }),
      );
    },
    close: () => db.close(),
  };
}
