/**
 * PGlite in a worker thread. Compiling PGlite's WASM and (on first use) running initdb take from a few
 * hundred milliseconds to seconds of CPU; in a worker they never block the gateway's event loop, so the
 * gateway serves while its embedded database opens. PGlite is one session: the main side serialises
 * statements and holds a lock for the length of a transaction.
 */
import { Worker } from 'node:worker_threads';
import type { Database, QueryResult, SqlClient } from './database';

/** The worker's code, plain JavaScript evaluated in the worker; it imports PGlite from `workerData.moduleUrl`. */
const WORKER_SOURCE = /* js */ `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const { PGlite, types } = await import(workerData.moduleUrl);
  const parsers = { [types.INT8]: (v) => Number(v), [types.NUMERIC]: (v) => Number(v) };
  let db;
  try {
    db = await PGlite.create(workerData.dataDir.startsWith('memory://') ? { parsers } : { dataDir: workerData.dataDir, parsers });
    parentPort.postMessage({ ready: true });
  } catch (error) {
    parentPort.postMessage({ ready: false, error: { message: String(error && error.message || error) } });
    return;
  }
  parentPort.on('message', async (message) => {
    try {
      if (message.op === 'close') {
        await db.close();
        parentPort.postMessage({ id: message.id, ok: true });
        parentPort.close();
        return;
      }
      if (message.op === 'exec') {
        await db.exec(message.sql);
        parentPort.postMessage({ id: message.id, ok: true });
        return;
      }
      const result = await db.query(message.sql, message.params);
      parentPort.postMessage({ id: message.id, ok: true, rows: result.rows, rowCount: result.affectedRows ?? result.rows.length });
    } catch (error) {
      parentPort.postMessage({ id: message.id, ok: false, error: {
        message: String(error && error.message || error), code: error && error.code, constraint: error && error.constraint,
        detail: error && error.detail } });
    }
  });
})();
`;

interface Reply {
  readonly id?: number;
  readonly ready?: boolean;
  readonly ok?: boolean;
  readonly rows?: unknown[];
  readonly rowCount?: number;
  readonly error?: { message: string; code?: string; constraint?: string; detail?: string };
}

/** A Postgres-shaped error (with `code` and `constraint`) from the worker's report. */
class PgliteWorkerError extends Error {
  readonly code: string | undefined;
  readonly constraint: string | undefined;
  readonly detail: string | undefined;

  constructor(report: NonNullable<Reply['error']>) {
    super(report.message);
    this.code = report.code;
    this.constraint = report.constraint;
    this.detail = report.detail;
  }
}

export async function openPgliteInWorker(dataDir: string, moduleUrl: string): Promise<Database> {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { dataDir, moduleUrl } });
  const pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let failure: Error | undefined;

  await new Promise<void>((resolve, reject) => {
    const onMessage = (reply: Reply): void => {
      if (reply.ready === undefined) return;
      worker.off('message', onMessage);
      if (reply.ready) resolve();
      else reject(new Error(`PGlite did not open: ${reply.error?.message ?? 'unknown error'}`));
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
  });
  worker.on('message', (reply: Reply) => {
    if (reply.id === undefined) return;
    const waiter = pending.get(reply.id);
    pending.delete(reply.id);
    if (waiter === undefined) return;
    if (reply.ok) waiter.resolve(reply);
    else waiter.reject(new PgliteWorkerError(reply.error ?? { message: 'unknown error' }));
  });
  const fail = (error: Error): void => {
    failure = error;
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  worker.on('error', fail);
  worker.on('exit', () => fail(new Error('the PGlite worker stopped')));

  const send = (message: { op: 'query' | 'exec' | 'close'; sql?: string; params?: readonly unknown[] }): Promise<Reply> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, ...message });
    });
  };

  // One session: a transaction holds the lock; statements outside it wait for it.
  let lock: Promise<void> = Promise.resolve();
  const withLock = async <T>(work: () => Promise<T>): Promise<T> => {
    const previous = lock;
    let release!: () => void;
    lock = new Promise((resolve) => (release = resolve));
    await previous;
    try {
      return await work();
    } finally {
      release();
    }
  };

  const direct: SqlClient = {
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const reply = await send({ op: 'query', sql, params });
      return { rows: (reply.rows ?? []) as Row[], rowCount: reply.rowCount ?? 0 };
    },
    async execute(script: string): Promise<void> {
      await send({ op: 'exec', sql: script });
    },
  };

  return {
    kind: 'pglite',
    query: <Row>(sql: string, params?: readonly unknown[]) => withLock(() => direct.query<Row>(sql, params)),
    execute: (script: string) => withLock(() => direct.execute(script)),
    transaction: <T>(work: (client: SqlClient) => Promise<T>) =>
      withLock(async () => {
        await direct.execute('BEGIN');
        try {
          const result = await work(direct);
          await direct.execute('COMMIT');
          return result;
        } catch (error) {
          await direct.execute('ROLLBACK').catch(() => undefined);
          throw error;
        }
      }),
    async close(): Promise<void> {
      await withLock(() => send({ op: 'close' }).catch(() => undefined));
      await worker.terminate();
    },
  };
}
