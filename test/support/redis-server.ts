/**
 * A Valkey/Redis for integration tests: `VALKEY_URL` or `REDIS_URL` when set, otherwise a throwaway
 * `valkey-server`/`redis-server` (from PATH) on 127.0.0.1 and a free port, without persistence, stopped by
 * `stop()`. Tests sharing an external server should use their own key prefix.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'iovalkey';
import { freePort } from './free-port';

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` (or the URL from the environment). */
  readonly url: string;
  /** The port, when this helper started the server. */
  readonly port?: number;
  /** `true` when this helper started the server (so tests may, e.g., restart or flush it). */
  readonly owned: boolean;
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  /**
   * Where to look for `VALKEY_URL` / `REDIS_URL`.
   * @default process.env
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Server binaries to try, in order.
   * @default ['valkey-server', 'redis-server']
   */
  readonly binaries?: readonly string[];
  /**
   * How long to wait for the server to accept connections.
   * @default 10_000
   */
  readonly startTimeoutMs?: number;
  /**
   * A password the started server requires (`requirepass`); the environment's server is then not used.
   * @default - none
   */
  readonly password?: string;
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const env = options.env ?? process.env;
  const external = options.password === undefined ? env.VALKEY_URL?.trim() || env.REDIS_URL?.trim() : undefined;
  if (external) return { url: external, owned: false, stop: () => Promise.resolve() };

  const binaries = options.binaries ?? ['valkey-server', 'redis-server'];
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  const failures: string[] = [];
  for (const binary of binaries) {
    // A free port can be taken between finding it and the server binding it: try a few.
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'notice', '--dir', tmpdir()];
      if (options.password !== undefined) args.push('--requirepass', options.password);
      const started = await launch(binary, args, 'Ready to accept connections', port, timeoutMs);
      if (started.ok) return started.server;
      failures.push(`${binary}: ${started.reason}`);
      if (started.missing) break;
    }
  }
  throw new Error(`could not start a Valkey/Redis server (set VALKEY_URL to use a running one): ${failures.join('; ')}`);
}

type Launch = { ok: true; server: RedisServer } | { ok: false; missing: boolean; reason: string };

export interface RedisSentinel {
  readonly port: number;
  stop(): Promise<void>;
}

export interface RedisSentinelOptions {
  /** The master's port on 127.0.0.1. */
  readonly masterPort: number;
  /** The master set's name. */
  readonly name: string;
  /** The master's password (`sentinel auth-pass`). */
  readonly masterPassword?: string;
  /** The password clients need to talk to this sentinel (`requirepass`). */
  readonly sentinelPassword?: string;
  /** @default 10_000 */
  readonly startTimeoutMs?: number;
}

/** A Sentinel (`redis-server --sentinel`) on 127.0.0.1 monitoring one master, with quorum 1. */
export async function startRedisSentinel(options: RedisSentinelOptions): Promise<RedisSentinel> {
  const failures: string[] = [];
  for (const binary of ['valkey-server', 'redis-server']) {
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      // Sentinel rewrites its config file, so each one gets its own.
      const folder = mkdtempSync(join(tmpdir(), 'sentinel-'));
      const configFile = join(folder, 'sentinel.conf');
      const lines = [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${folder}`,
        `sentinel monitor ${options.name} 127.0.0.1 ${options.masterPort} 1`,
        `sentinel down-after-milliseconds ${options.name} 5000`,
      ];
      if (options.masterPassword !== undefined) lines.push(`sentinel auth-pass ${options.name} ${options.masterPassword}`);
      if (options.sentinelPassword !== undefined) lines.push(`requirepass ${options.sentinelPassword}`);
      writeFileSync(configFile, `${lines.join('\n')}\n`);
      const started = await launch(binary, [configFile, '--sentinel'], '+monitor master', port, options.startTimeoutMs ?? 10_000);
      if (started.ok) {
        return {
          port,
          stop: async () => {
            await started.server.stop();
            rmSync(folder, { recursive: true, force: true });
          },
        };
      }
      rmSync(folder, { recursive: true, force: true });
      failures.push(`${binary}: ${started.reason}`);
      if (started.missing) break;
    }
  }
  throw new Error(`could not start a Sentinel: ${failures.join('; ')}`);
}

function launch(binary: string, args: readonly string[], readyMarker: string, port: number, timeoutMs: number): Promise<Launch> {
  return new Promise((resolve) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let settled = false;
    const finish = (result: Launch): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const ready = (): void => {
      const killOnExit = (): void => {
        child.kill('SIGKILL');
      };
      process.once('exit', killOnExit);
      finish({
        ok: true,
        server: {
          url: `redis://127.0.0.1:${port}`,
          port,
          owned: true,
          stop: async () => {
            process.removeListener('exit', killOnExit);
            await stopChild(child);
          },
        },
      });
    };
    // The child's own log line, not a probe of the port: another server may already listen there.
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-4000);
      if (output.includes(readyMarker)) ready();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('error', (error: NodeJS.ErrnoException) => {
      finish({ ok: false, missing: error.code === 'ENOENT', reason: error.message });
    });
    child.once('exit', (code, signal) => {
      finish({ ok: false, missing: false, reason: `exited (${code ?? signal}) before accepting connections: ${output.trim()}` });
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish({ ok: false, missing: false, reason: `did not accept connections within ${timeoutMs} ms` });
    }, timeoutMs);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Script calls a server has run so far (EVALSHA, and EVAL when a script was not loaded yet), from `INFO commandstats`. */
export async function scriptCallCount(client: Pick<Redis, 'info'>): Promise<number> {
  const stats = await client.info('commandstats');
  let calls = 0;
  for (const match of stats.matchAll(/cmdstat_(?:evalsha|eval):calls=(\d+)/g)) calls += Number(match[1]);
  return calls;
}
