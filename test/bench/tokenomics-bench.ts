/**
 * Tokenomics benchmark (`npm run bench:tokenomics [-- --quick] [-- --profile] [-- --connections N] [-- --node-flags '…']`).
 * Never a test: it reports. `--profile` runs both gateways under `node --cpu-prof` and prints where the full
 * path's CPU time goes and what it adds per request over the bare path. `--connections N` saturates at N
 * connections only; `--node-flags` passes extra Node/V8 flags to both gateways.
 *
 * The full request path — virtual key, rate limits, budget and batched spend logging, with a real
 * Postgres and a real Valkey/Redis — against the bare path (`--no-database`, master key) and the mock
 * upstream called directly, all measured in the same run with the same non-streaming load: 1 connection
 * (latency, interleaved rounds) and 64 and 256 connections (throughput and gateway CPU per request, in
 * rounds whose target order rotates, taken from each target's fastest run: the full path waits for Valkey
 * on every request, so it needs more requests in flight to keep its core busy, and a slow phase of a
 * shared machine lands on one run rather than on one target). Pinned like
 * `gateway-bench.ts`: load generator and upstream on core 0, both gateways on core 1 (only one is loaded
 * at a time); during the 1-connection rounds the upstream moves to core 1. Postgres and Valkey (when this
 * bench starts them) are pinned to core 2 when there is one, else to core 0 with the load, so that the
 * gateway's core serves the gateway only.
 *
 * Afterwards it sends an exact number of sequential requests with the virtual key and checks that
 * spend_logs grew by exactly that many rows, and that Postgres committed far fewer transactions than
 * requests meanwhile (`pg_stat_database.xact_commit`): no database round trip per request once the key
 * is cached, only the batched spend writes. The transactions of an idle window of the same length are
 * printed next to it (autovacuum, periodic work), for comparison. Results go to test/bench/results/tokenomics-latest.json.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'iovalkey';
import pg from 'pg';
import { Client as HttpClient, request } from 'undici';
import { buildGatewayBundle } from '../../gateway/build';
import { GATEWAY_NODE_FLAGS } from '../../gateway/node-flags';
import { formatPerRequestDiff, formatProfileSummary, summarizeCpuProfile } from './cpu-profile';
import type { CpuProfile, ProfileSummary } from './cpu-profile';
import { startPostgresServer } from '../support/postgres-server';
import type { PostgresServer } from '../support/postgres-server';
import { scriptCallCount, startRedisServer } from '../support/redis-server';
import type { RedisServer } from '../support/redis-server';
import {
  buildBenchHelpers,
  clockTicksPerSecond,
  freePort,
  killAllChildren,
  pinDescendants,
  pinProcess,
  pinThisProcess,
  planCpus,
  readCoreTicks,
  readDescendantsCpuSeconds,
  readCpuTimes,
  readMemoryMiB,
  spawnNode,
  stopChild,
  waitForHealthy,
} from './bench-processes';
import type { BenchChild, CpuPlan } from './bench-processes';
import { describeLoadGenerator, fastestRun, loadGeneratorFor, parseLoadGenerator, roundOrder, runLoad, summarizeLatencies } from './load';
import type { LatencySummary, LoadResult, SaturationFigures } from './load';
import { BENCH_COMPLETION_TEXT } from './mock-upstream';

const benchDir = dirname(fileURLToPath(import.meta.url));
const resultsDir = join(benchDir, 'results');

const MASTER_KEY = 'sk-bench-master-key';
const MODEL = 'bench-model';
const CHAT_PATH = '/v1/chat/completions';
const MESSAGES = [
  { role: 'system', content: 'You are a helpful assistant. Answer briefly.' },
  { role: 'user', content: 'Say hello to the benchmark in one short sentence.' },
];
const COMPLETION_BODY = JSON.stringify({ model: MODEL, messages: MESSAGES, max_tokens: 64, temperature: 0.2 });

/** The bars of issue 3. */
const TARGETS = {
  saturationRequestsPerSecond: 4000,
  cpuMicrosPerRequest: 250,
  addedLatencyP50Us: 500,
};

interface Settings {
  readonly warmupSeconds: number;
  readonly rounds: number;
  readonly latencySecondsPerRound: number;
  /**
   * Connection counts of the saturation runs. The full path waits for Valkey on every request, so it
   * needs more requests in flight than the bare path to keep its core busy; each target runs at each.
   */
  readonly saturationConnections: readonly number[];
  /**
   * Rounds of saturation runs, the targets' order rotating each round, so that a slow phase of the
   * machine does not land on one target only; each target's fastest run counts.
   */
  readonly saturationRounds: number;
  readonly saturationSeconds: number;
  /** Sequential requests of the spend-log and database-round-trip check. */
  readonly exactRequests: number;
  readonly budgetMs: number;
}

const FULL: Settings = {
  warmupSeconds: 2,
  rounds: 3,
  latencySecondsPerRound: 1.5,
  saturationConnections: [64, 256],
  saturationRounds: 2,
  saturationSeconds: 4,
  exactRequests: 5000,
  budgetMs: 150_000,
};

const QUICK: Settings = { ...FULL, warmupSeconds: 1, rounds: 2, saturationRounds: 1, latencySecondsPerRound: 1, saturationSeconds: 2, exactRequests: 1000, budgetMs: 100_000 };

type TargetName = 'direct' | 'bare' | 'full';

interface Target {
  readonly name: TargetName;
  readonly label: string;
  readonly origin: string;
  readonly headers: Record<string, string>;
  /** The serving process (the upstream itself for `direct`). */
  readonly process: BenchChild;
}

interface SaturationRun {
  readonly connections: number;
  readonly load: LoadResult;
  readonly cpuMicrosPerRequest?: number;
  /** The part of it spent in the kernel (system calls: sockets, epoll). */
  readonly systemMicrosPerRequest?: number;
  /** How busy the other core (load generator, upstream, and here Valkey and Postgres) was meanwhile. */
  readonly loadCoreBusy?: number;
  readonly coreUtilization?: number;
  /** Full path only: Valkey script calls per request (admits and settles of one event-loop turn share one). */
  readonly valkeyCallsPerRequest?: number;
  /** Full path only: CPU of the Valkey and Postgres servers per request (on the load core when there are 2). */
  readonly servicesMicrosPerRequest?: number;
  /** The same per program (`redis-server`, `postgres`, …). */
  readonly servicesByName?: Readonly<Record<string, number>>;
  /** The serving process's resident memory right after the run. */
  readonly rssMiB?: number;
}

interface Measured {
  latencyMs: number[];
  latencyErrors: number;
  saturations: SaturationRun[];
}

interface SaturationReport extends SaturationFigures {
  readonly systemMicrosPerRequest: number | null;
  readonly loadCoreBusy: number | null;
  readonly valkeyCallsPerRequest: number | null;
  readonly servicesMicrosPerRequest: number | null;
  readonly servicesByName: Readonly<Record<string, number>> | null;
  readonly rssMiB: number | null;
}

interface TargetReport {
  readonly label: string;
  readonly oneConnection: { readonly latency: LatencySummary; readonly errors: number };
  /** Every saturation run, in the order they ran. */
  readonly saturationRuns: readonly SaturationReport[];
  /** The run with the highest throughput: the target's saturation throughput and its CPU per request. */
  readonly saturation: SaturationReport;
}

interface Check {
  readonly name: string;
  readonly pass: boolean;
  readonly measured: string;
}

const log = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};
const fixed = (value: number | null | undefined, digits: number): string =>
  value === null || value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits);
const pad = (text: string, width: number): string => text.padStart(width);
const sleep = (ms: number): Promise<void> => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
const bearer = (key: string): Record<string, string> => ({ 'content-type': 'application/json', authorization: `Bearer ${key}` });

function configYaml(upstreamPort: number): string {
  return [
    'model_list:',
    `  - model_name: ${MODEL}`,
    '    litellm_params:',
    `      model: openai/${MODEL}`,
    `      api_base: http://127.0.0.1:${upstreamPort}/v1`,
    '      api_key: sk-bench-upstream',
    '      input_cost_per_token: 0.000001',
    '      output_cost_per_token: 0.000002',
    'general_settings:',
    '  proxy_batch_write_at: 1',
    '',
  ].join('\n');
}

async function startGateway(
  name: string,
  bundle: string,
  configPath: string,
  extraArgs: readonly string[],
  env: Record<string, string>,
  plan: CpuPlan,
  cwd: string,
  nodeFlags: readonly string[] = [],
): Promise<{ child: BenchChild; origin: string }> {
  const port = await freePort();
  const child = spawnNode({
    name,
    // The image's V8 flags first (gateway/node-flags.ts); `--node-flags` come after, so they can override them.
    args: [...GATEWAY_NODE_FLAGS, ...nodeFlags, bundle, 'serve', '--config', configPath, '--port', String(port), '--host', '127.0.0.1', '--log-level', 'warn', ...extraArgs],
    core: plan.targetCore,
    plan,
    cwd,
    env: { LITELLM_MASTER_KEY: MASTER_KEY, ...env },
  });
  const origin = `http://127.0.0.1:${port}`;
  await waitForHealthy(child, `${origin}/health/liveliness`, 60_000, 20);
  return { child, origin };
}

/** One completion, so a broken target fails loudly instead of benchmarking errors. */
async function verifyTarget(target: Target): Promise<void> {
  const response = await request(`${target.origin}${CHAT_PATH}`, { method: 'POST', headers: target.headers, body: COMPLETION_BODY });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`${target.label}: answered ${response.statusCode}: ${text.slice(0, 500)}`);
  const content = (JSON.parse(text) as { choices?: { message?: { content?: unknown } }[] }).choices?.[0]?.message?.content;
  if (content !== BENCH_COMPLETION_TEXT) throw new Error(`${target.label}: unexpected completion ${text.slice(0, 500)}`);
}

async function generateKey(origin: string): Promise<string> {
  const response = await request(`${origin}/key/generate`, {
    method: 'POST',
    headers: bearer(MASTER_KEY),
    body: JSON.stringify({
      models: [MODEL],
      key_alias: 'tokenomics-bench',
      rpm_limit: 10_000_000,
      tpm_limit: 10_000_000,
      max_budget: 1e9,
    }),
  });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`/key/generate answered ${response.statusCode}: ${text.slice(0, 500)}`);
  const key = (JSON.parse(text) as { key?: unknown }).key;
  if (typeof key !== 'string' || !key.startsWith('sk-')) throw new Error(`/key/generate returned no key: ${text.slice(0, 500)}`);
  return key;
}

/** `count` sequential completions on one keep-alive connection; returns how many answered 200. */
async function sendSequential(target: Target, count: number): Promise<number> {
  const client = new HttpClient(target.origin, { pipelining: 1, keepAliveTimeout: 60_000 });
  let ok = 0;
  try {
    for (let index = 0; index < count; index += 1) {
      const { statusCode, body } = await client.request({ path: CHAT_PATH, method: 'POST', headers: target.headers, body: COMPLETION_BODY });
      await body.text();
      if (statusCode === 200) ok += 1;
    }
  } finally {
    await client.close();
  }
  return ok;
}

async function databaseCounters(database: pg.Client): Promise<{ xactCommit: number; spendRows: number }> {
  // Separate statements: each is its own transaction, so the statistics snapshot is fresh.
  const stats = await database.query<{ xact_commit: string }>('SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()');
  const rows = await database.query<{ count: string }>("SELECT count(*) AS count FROM spend_logs WHERE status = 'success'");
  return { xactCommit: Number(stats.rows[0]?.xact_commit ?? Number.NaN), spendRows: Number(rows.rows[0]?.count ?? Number.NaN) };
}

function saturationReport(run: SaturationRun | undefined): SaturationReport {
  return {
    connections: run?.connections ?? 0,
    requestsPerSecond: run?.load.requestsPerSecond ?? Number.NaN,
    latency: run?.load.latency ?? summarizeLatencies([]),
    non2xx: run?.load.non2xx ?? 0,
    errors: run?.load.errors ?? 0,
    timeouts: run?.load.timeouts ?? 0,
    cpuMicrosPerRequest: run?.cpuMicrosPerRequest ?? null,
    systemMicrosPerRequest: run?.systemMicrosPerRequest ?? null,
    loadCoreBusy: run?.loadCoreBusy ?? null,
    coreUtilization: run?.coreUtilization ?? null,
    valkeyCallsPerRequest: run?.valkeyCallsPerRequest ?? null,
    servicesMicrosPerRequest: run?.servicesMicrosPerRequest ?? null,
    servicesByName: run?.servicesByName ?? null,
    rssMiB: run?.rssMiB ?? null,
  };
}

function report(target: Target, measured: Measured): TargetReport {
  // The fastest run's report is the same object as its entry in the list (the table marks it by identity).
  const runs = measured.saturations.map(saturationReport);
  const fastest = fastestRun(measured.saturations);
  return {
    label: target.label,
    oneConnection: { latency: summarizeLatencies(measured.latencyMs), errors: measured.latencyErrors },
    saturationRuns: runs,
    saturation: fastest === undefined ? saturationReport(undefined) : (runs[measured.saturations.indexOf(fastest)] as SaturationReport),
  };
}

/** Everything that must be stopped, however the bench ends. */
const services: { postgres?: PostgresServer; redis?: RedisServer; database?: pg.Client } = {};
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    killAllChildren();
    await services.database?.end().catch(() => undefined);
    await Promise.all([services.redis?.stop().catch(() => undefined), services.postgres?.stop().catch(() => undefined)]);
  })();
  return cleaning;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      connections: { type: 'string' },
      'load-generator': { type: 'string' },
      'node-flags': { type: 'string' },
    },
  });
  // Extra Node/V8 flags for both gateways (say, `--max-semi-space-size=32`), to try a tuning out.
  const nodeFlags = values['node-flags']?.split(/\s+/).filter((flag) => flag.length > 0) ?? [];
  const generator = parseLoadGenerator(values['load-generator']);
  const connections = values.connections === undefined ? undefined : Number(values.connections);
  if (connections !== undefined && !(Number.isInteger(connections) && connections > 0)) throw new Error(`--connections must be a positive integer, got ${values.connections}`);
  const base = values.quick === true ? QUICK : FULL;
  const settings: Settings = connections === undefined ? base : { ...base, saturationConnections: [connections] };
  const profile = values.profile === true;
  const runStartedAt = performance.now();

  const watchdog = setTimeout(() => {
    process.stderr.write(`tokenomics bench: exceeded its ${settings.budgetMs / 1000} s budget, stopping\n`);
    void cleanup().finally(() => process.exit(1));
  }, settings.budgetMs);
  watchdog.unref();

  const plan = planCpus();
  pinThisProcess(plan);
  const ticksPerSecond = clockTicksPerSecond();
  const workDir = mkdtempSync(join(tmpdir(), 'switchyard-tokenomics-bench-'));
  process.once('exit', () => {
    killAllChildren();
    rmSync(workDir, { recursive: true, force: true });
  });

  log(`switchyard tokenomics bench — node ${process.version}, ${plan.cores} cores (${cpus()[0]?.model ?? 'unknown cpu'})`);
  log(plan.note);
  const loadBefore = loadavg();
  if ((loadBefore[0] ?? 0) > 0.5) {
    log(`note: load average ${loadBefore.map((value) => value.toFixed(2)).join(' ')} before the run — other processes are busy, expect noisy figures`);
  }

  const startedAt = performance.now();
  const [gatewayBundle, helpers, postgres, redis] = await Promise.all([
    buildGatewayBundle(join(workDir, 'gateway')),
    buildBenchHelpers(join(workDir, 'helpers')),
    startPostgresServer().then((server) => (services.postgres = server)),
    startRedisServer().then((server) => (services.redis = server)),
  ]);
  log(`built the bundles and started Postgres and Valkey/Redis${redis.owned ? ' (throwaway server)' : ' (from the environment)'} in ${fixed(performance.now() - startedAt, 0)} ms`);

  const serviceCore = plan.cores >= 3 ? 2 : plan.loadCore;
  // Sharing the load generator's core, the services get the higher priority: in production Valkey and
  // Postgres run on machines of their own, and a late reply would leave the gateway idle and waking for
  // fewer requests at a time, which inflates its CPU per request.
  const servicesPinned = pinDescendants(plan, serviceCore, new Set(), serviceCore === plan.loadCore ? -10 : undefined);
  if (servicesPinned > 0) {
    log(`pinned ${servicesPinned} Postgres/Valkey process(es) to core ${serviceCore}${serviceCore === plan.loadCore ? ', niceness -10 (ahead of the load generator)' : ''}`);
  }

  const upstream = spawnNode({ name: 'mock upstream', args: [helpers.mockUpstream], core: plan.loadCore, plan });
  const upstreamPort = await upstream.readyPort(15_000);
  const configPath = join(workDir, 'config.yaml');
  writeFileSync(configPath, configYaml(upstreamPort));

  const profileDir = join(workDir, 'profile');
  const profileFlags = (name: 'bare' | 'full'): string[] => [...nodeFlags, ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, name)}`] : [])];
  if (nodeFlags.length > 0) log(`gateways run with ${nodeFlags.join(' ')}`);
  if (profile) log('PROFILING: both gateways run under --cpu-prof; their figures are inflated by the profiler');
  const saturationGenerator = describeLoadGenerator(generator);
  log(`load generator: ${saturationGenerator} for saturation, autocannon for 1-connection latency`);
  const bare = await startGateway('bare gateway', gatewayBundle, configPath, ['--no-database'], { SWITCHYARD_DATA_DIR: 'memory://' }, plan, workDir, profileFlags('bare'));
  const full = await startGateway('full gateway', gatewayBundle, configPath, [], { DATABASE_URL: postgres.url, VALKEY_URL: redis.url }, plan, workDir, profileFlags('full'));
  const virtualKey = await generateKey(full.origin);
  log('both gateways answer; virtual key generated (rpm/tpm 10,000,000, max_budget 1e9)');

  const database = new pg.Client({ connectionString: postgres.url });
  services.database = database;
  await database.connect();

  const targets: Target[] = [
    { name: 'direct', label: 'direct upstream', origin: `http://127.0.0.1:${upstreamPort}`, headers: bearer(MASTER_KEY), process: upstream },
    { name: 'bare', label: 'bare gateway', origin: bare.origin, headers: bearer(MASTER_KEY), process: bare.child },
    { name: 'full', label: 'full gateway', origin: full.origin, headers: bearer(virtualKey), process: full.child },
  ];
  for (const target of targets) await verifyTarget(target);
  /** 2xx answers of the full gateway counted by the load generator (informational; see the exact check). */
  let fullOk = 1;

  const measured = new Map<TargetName, Measured>(targets.map((target) => [target.name, { latencyMs: [], latencyErrors: 0, saturations: [] }]));
  const measurementsOf = (target: Target): Measured => {
    const entry = measured.get(target.name);
    if (entry === undefined) throw new Error(`no measurements for ${target.name}`);
    return entry;
  };
  const load = async (target: Target, connections: number, durationSeconds: number): Promise<LoadResult> => {
    const result = await runLoad({
      url: `${target.origin}${CHAT_PATH}`,
      headers: target.headers,
      body: COMPLETION_BODY,
      connections,
      durationSeconds,
      generator: loadGeneratorFor(connections, generator),
    });
    if (target.name === 'full') fullOk += result.ok;
    return result;
  };

  log('warming up…');
  for (const target of targets) await load(target, Math.max(...settings.saturationConnections), settings.warmupSeconds);

  // As in the gateway bench: one request at a time, the upstream sits on the gateways' core, so a direct
  // call crosses cores as often as a proxied one and waking an idle core is not counted as gateway time.
  // Valkey and Postgres stay where they are (a full-path request's round trips to them cross cores, as
  // they cross the network in production).
  pinProcess(plan, upstream.pid, plan.targetCore);
  for (let round = 0; round < settings.rounds; round += 1) {
    log(`round ${round + 1}/${settings.rounds}: 1-connection latency…`);
    const order = roundOrder(targets, round);
    for (const target of order) {
      const entry = measurementsOf(target);
      const result = await load(target, 1, settings.latencySecondsPerRound);
      for (const sample of result.latenciesMs) entry.latencyMs.push(sample);
      entry.latencyErrors += result.errors + result.non2xx + result.timeouts;
    }
  }
  pinProcess(plan, upstream.pid, plan.loadCore);

  /** The bench's own node children: what is left among its descendants is Postgres and Valkey. */
  const benchChildren = new Set([upstream.pid, bare.child.pid, full.child.pid]);
  const valkey = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await valkey.connect();
  for (let round = 0; round < settings.saturationRounds; round += 1) {
    const order = roundOrder(targets, round);
    for (const target of order) {
      for (const connections of settings.saturationConnections) {
        log(`saturating ${target.label} with ${connections} connections (round ${round + 1}/${settings.saturationRounds})…`);
        const scriptCallsBefore = target.name === 'full' ? await scriptCallCount(valkey) : 0;
        const servicesBefore = target.name === 'full' ? readDescendantsCpuSeconds(benchChildren, ticksPerSecond) : undefined;
        const cpuBefore = readCpuTimes(target.process.pid, ticksPerSecond);
        const loadCoreBefore = plan.pinned ? readCoreTicks(plan.loadCore) : undefined;
        const loadStartedAt = performance.now();
        const result = await load(target, connections, settings.saturationSeconds);
        const elapsedSeconds = (performance.now() - loadStartedAt) / 1000;
        const cpuAfter = readCpuTimes(target.process.pid, ticksPerSecond);
        const loadCoreAfter = plan.pinned ? readCoreTicks(plan.loadCore) : undefined;
        const memory = readMemoryMiB(target.process.pid);
        const answered = result.ok + result.non2xx;
        const run: { -readonly [Field in keyof SaturationRun]: SaturationRun[Field] } = { connections, load: result, ...(memory ? { rssMiB: memory.rssMiB } : {}) };
        if (loadCoreBefore !== undefined && loadCoreAfter !== undefined && loadCoreAfter.total > loadCoreBefore.total) {
          run.loadCoreBusy = (loadCoreAfter.busy - loadCoreBefore.busy) / (loadCoreAfter.total - loadCoreBefore.total);
        }
        if (cpuBefore !== undefined && cpuAfter !== undefined && answered > 0) {
          const user = cpuAfter.user - cpuBefore.user;
          const system = cpuAfter.system - cpuBefore.system;
          run.cpuMicrosPerRequest = ((user + system) * 1e6) / answered;
          run.systemMicrosPerRequest = (system * 1e6) / answered;
          run.coreUtilization = (user + system) / elapsedSeconds;
        }
        const servicesAfter = target.name === 'full' ? readDescendantsCpuSeconds(benchChildren, ticksPerSecond) : undefined;
        if (servicesBefore !== undefined && servicesAfter !== undefined && answered > 0) {
          const perRequest = new Map<string, number>();
          for (const [name, seconds] of servicesAfter) perRequest.set(name, ((seconds - (servicesBefore.get(name) ?? 0)) * 1e6) / answered);
          run.servicesMicrosPerRequest = [...perRequest.values()].reduce((sum, value) => sum + value, 0);
          run.servicesByName = Object.fromEntries(perRequest);
        }
        if (target.name === 'full' && answered > 0) run.valkeyCallsPerRequest = ((await scriptCallCount(valkey)) - scriptCallsBefore) / answered;
        measurementsOf(target).saturations.push(run);
      }
    }
  }
  await valkey.quit();

  // Exact check: N sequential requests with the cached virtual key → N spend-log rows, and far fewer
  // Postgres transactions than requests. Waits first for the previous batches to be written.
  log(`exact check: ${settings.exactRequests} sequential requests with the virtual key…`);
  await sleep(2500);
  const before = await databaseCounters(database);
  const exactStartedAt = performance.now();
  const exactOk = await sendSequential(targets[2] as Target, settings.exactRequests);
  const exactMs = performance.now() - exactStartedAt;
  fullOk += exactOk;
  await sleep(2500);
  const after = await databaseCounters(database);
  // The same window with no requests: what Postgres commits anyway (flush timer, autovacuum, …).
  await sleep(exactMs + 2500);
  const idle = await databaseCounters(database);
  const exact = {
    requests: settings.exactRequests,
    ok: exactOk,
    spendRowsAdded: after.spendRows - before.spendRows,
    // Minus the one statement of ours that read spend_logs between the two statistics reads.
    transactions: after.xactCommit - before.xactCommit - 1,
    windowMs: exactMs + 2500,
    idleTransactions: idle.xactCommit - after.xactCommit - 1,
  };

  // Total spend rows after a graceful stop (SIGTERM flushes the buffer).
  await stopChild(full.child, 10_000);
  const totalSpendRows = (await databaseCounters(database)).spendRows;
  if (profile) {
    await stopChild(bare.child, 10_000);
    const summaries = new Map<'bare' | 'full', ProfileSummary>();
    for (const name of ['bare', 'full'] as const) {
      const file = readdirSync(join(profileDir, name)).find((entry) => entry.endsWith('.cpuprofile'));
      if (file === undefined) {
        log(`no CPU profile was written for the ${name} gateway (did it exit cleanly on SIGTERM?)`);
        continue;
      }
      mkdirSync(resultsDir, { recursive: true });
      copyFileSync(join(profileDir, name, file), join(resultsDir, `tokenomics-${name}.cpuprofile`));
      const cpuProfile = JSON.parse(readFileSync(join(profileDir, name, file), 'utf8')) as CpuProfile;
      summaries.set(
        name,
        summarizeCpuProfile(cpuProfile, {
          bundleUrl: pathToFileURL(gatewayBundle).href,
          sourceMapPath: `${gatewayBundle}.map`,
          busiestWindowMs: settings.saturationSeconds * 800,
          top: 100_000,
        }),
      );
    }
    const fullSummary = summaries.get('full');
    const bareSummary = summaries.get('bare');
    if (fullSummary !== undefined) {
      log();
      for (const line of formatProfileSummary(fullSummary)) log(line);
    }
    // The busiest window of each profile is a stretch of its fastest saturation run: requests = rate × window.
    const bareRate = fastestRun(measured.get('bare')?.saturations ?? [])?.load.requestsPerSecond;
    const fullRate = fastestRun(measured.get('full')?.saturations ?? [])?.load.requestsPerSecond;
    if (fullSummary !== undefined && bareSummary !== undefined && bareRate !== undefined && fullRate !== undefined) {
      log();
      const requestsIn = (summary: ProfileSummary, rate: number): number => (rate * summary.totalMs) / 1000;
      for (const line of formatPerRequestDiff(
        { label: 'bare', summary: bareSummary, requests: requestsIn(bareSummary, bareRate) },
        { label: 'full', summary: fullSummary, requests: requestsIn(fullSummary, fullRate) },
        30,
      ))
        log(line);
      log(`  (profiles: test/bench/results/tokenomics-{bare,full}.cpuprofile, open in Chrome DevTools)`);
    }
    log();
  }

  const reports = Object.fromEntries(targets.map((target) => [target.name, report(target, measurementsOf(target))])) as Record<TargetName, TargetReport>;
  const { direct, bare: bareReport, full: fullReport } = reports;
  const addedP50Us = (target: TargetReport, over: TargetReport): number => (target.oneConnection.latency.p50Ms - over.oneConnection.latency.p50Ms) * 1000;
  const addedP99Us = (target: TargetReport, over: TargetReport): number => (target.oneConnection.latency.p99Ms - over.oneConnection.latency.p99Ms) * 1000;
  const added = {
    bareOverDirectP50Us: addedP50Us(bareReport, direct),
    fullOverDirectP50Us: addedP50Us(fullReport, direct),
    fullOverBareP50Us: addedP50Us(fullReport, bareReport),
    bareOverDirectP99Us: addedP99Us(bareReport, direct),
    fullOverDirectP99Us: addedP99Us(fullReport, direct),
  };
  const ratios = {
    requestsPerSecond: fullReport.saturation.requestsPerSecond / bareReport.saturation.requestsPerSecond,
    cpuMicrosPerRequest: (fullReport.saturation.cpuMicrosPerRequest ?? Number.NaN) / (bareReport.saturation.cpuMicrosPerRequest ?? Number.NaN),
    oneConnectionP50: fullReport.oneConnection.latency.p50Ms / bareReport.oneConnection.latency.p50Ms,
    addedLatencyP50: added.fullOverDirectP50Us / added.bareOverDirectP50Us,
  };

  log();
  log('non-streaming, 1 connection (latency):');
  log(`  ${'target'.padEnd(16)} ${pad('p50 ms', 8)} ${pad('p90 ms', 8)} ${pad('p99 ms', 8)} ${pad('samples', 8)} ${pad('errors', 7)}`);
  for (const target of [direct, bareReport, fullReport]) {
    const latency = target.oneConnection.latency;
    log(
      `  ${target.label.padEnd(16)} ${pad(fixed(latency.p50Ms, 3), 8)} ${pad(fixed(latency.p90Ms, 3), 8)} ${pad(fixed(latency.p99Ms, 3), 8)} ${pad(String(latency.count), 8)} ${pad(String(target.oneConnection.errors), 7)}`,
    );
  }
  log('non-streaming, saturation (each target at each connection count; * marks its fastest run, which the ratios and bars use):');
  log(
    `  ${'target'.padEnd(16)} ${pad('conns', 6)} ${pad('req/s', 8)} ${pad('p50 ms', 8)} ${pad('p99 ms', 8)} ${pad('CPU µs/req', 11)} ${pad('of it sys', 10)} ` +
      `${pad('cores', 6)} ${pad('load core', 10)} ${pad('Valkey/req', 11)} ${pad('svc µs/req', 11)} ${pad('RSS MiB', 8)} ${pad('non2xx', 7)} ${pad('errors', 7)}`,
  );
  for (const target of [direct, bareReport, fullReport]) {
    for (const run of target.saturationRuns) {
      const best = run === target.saturation && target.saturationRuns.length > 1 ? '*' : ' ';
      log(
        `  ${target.label.padEnd(16)} ${pad(`${best}${run.connections}`, 6)} ${pad(fixed(run.requestsPerSecond, 0), 8)} ${pad(fixed(run.latency.p50Ms, 3), 8)} ${pad(fixed(run.latency.p99Ms, 3), 8)} ` +
          `${pad(fixed(run.cpuMicrosPerRequest, 0), 11)} ${pad(fixed(run.systemMicrosPerRequest, 0), 10)} ${pad(fixed(run.coreUtilization, 2), 6)} ` +
          `${pad(run.loadCoreBusy === null ? '-' : `${fixed(run.loadCoreBusy * 100, 0)}%`, 10)} ${pad(run.valkeyCallsPerRequest === null ? '-' : fixed(run.valkeyCallsPerRequest, 3), 11)} ${pad(run.servicesMicrosPerRequest === null ? '-' : fixed(run.servicesMicrosPerRequest, 0), 11)} ${pad(fixed(run.rssMiB, 1), 8)} ` +
          `${pad(String(run.non2xx), 7)} ${pad(String(run.errors + run.timeouts), 7)}`,
      );
    }
  }
  log(
    `added latency p50 (1 connection): bare over direct ${fixed(added.bareOverDirectP50Us, 0)} µs, full over direct ${fixed(added.fullOverDirectP50Us, 0)} µs, ` +
      `full over bare ${fixed(added.fullOverBareP50Us, 0)} µs (p99: bare ${fixed(added.bareOverDirectP99Us, 0)} µs, full ${fixed(added.fullOverDirectP99Us, 0)} µs over direct)`,
  );
  log(
    `full / bare: throughput ×${fixed(ratios.requestsPerSecond, 2)}, CPU per request ×${fixed(ratios.cpuMicrosPerRequest, 2)}, ` +
      `1-connection p50 ×${fixed(ratios.oneConnectionP50, 2)}, added latency p50 ×${fixed(ratios.addedLatencyP50, 2)}`,
  );
  const perCore = 1e6 / (fullReport.saturation.cpuMicrosPerRequest ?? Number.NaN);
  log(`full gateway requests per core-second (1e6 / CPU µs per request): ${fixed(perCore, 0)}`);
  const serviceCpu = fullReport.saturation.servicesByName;
  if (serviceCpu !== null) {
    const parts = Object.entries(serviceCpu)
      .filter(([, micros]) => micros >= 0.5)
      .sort((left, right) => right[1] - left[1])
      .map(([name, micros]) => `${name} ${fixed(micros, 0)} µs`);
    log(`services' CPU per full-path request (they share the load generator's core on a 2-core machine): ${parts.join(', ')}`);
  }
  log(
    `exact check: ${exact.ok}/${exact.requests} answered 200; spend_logs rows added ${exact.spendRowsAdded}; ` +
      `Postgres transactions committed meanwhile ${exact.transactions} (${fixed(exact.transactions / exact.requests, 4)} per request) ` +
      `over ${fixed(exact.windowMs / 1000, 1)} s; in an idle window of the same length ${exact.idleTransactions}`,
  );
  log(`spend_logs rows in total after a graceful stop: ${totalSpendRows}; 2xx counted by the load generator: ${fullOk} (a load generator may drop answers in flight at the end of a run)`);

  const checks: Check[] = [
    {
      name: `full path saturation >= ${TARGETS.saturationRequestsPerSecond} req/s (one core)`,
      pass: fullReport.saturation.requestsPerSecond >= TARGETS.saturationRequestsPerSecond,
      measured: `${fixed(fullReport.saturation.requestsPerSecond, 0)} req/s`,
    },
    {
      name: `full path gateway CPU <= ${TARGETS.cpuMicrosPerRequest} µs/request`,
      pass: (fullReport.saturation.cpuMicrosPerRequest ?? Number.POSITIVE_INFINITY) <= TARGETS.cpuMicrosPerRequest,
      measured: `${fixed(fullReport.saturation.cpuMicrosPerRequest, 0)} µs`,
    },
    {
      name: `full path added latency over direct p50 < ${TARGETS.addedLatencyP50Us / 1000} ms`,
      pass: added.fullOverDirectP50Us < TARGETS.addedLatencyP50Us,
      measured: `${fixed(added.fullOverDirectP50Us, 0)} µs`,
    },
    {
      name: `full path added latency over bare p50 < ${TARGETS.addedLatencyP50Us / 1000} ms`,
      pass: added.fullOverBareP50Us < TARGETS.addedLatencyP50Us,
      measured: `${fixed(added.fullOverBareP50Us, 0)} µs`,
    },
    {
      name: 'one spend_logs row per successful request',
      pass: exact.ok === exact.requests && exact.spendRowsAdded === exact.ok,
      measured: `${exact.spendRowsAdded} rows for ${exact.ok} requests`,
    },
    {
      name: 'no database round trip per request (xact < requests/10)',
      pass: exact.transactions < exact.requests / 10,
      measured: `${exact.transactions} transactions for ${exact.requests} requests`,
    },
  ];
  log();
  log('bars (issue 3):');
  for (const check of checks) log(`  ${check.pass ? 'PASS' : 'FAIL'}  ${check.name.padEnd(62)} ${check.measured}`);

  const results = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    cores: plan.cores,
    cpuModel: cpus()[0]?.model ?? null,
    cpuPlan: plan,
    settings,
    targetsUnderTest: TARGETS,
    results: reports,
    added,
    ratios,
    exact,
    loadAverage: { before: loadBefore, after: loadavg() },
    totalSpendRows,
    fullOkCountedByLoad: fullOk,
    checks,
    loadGenerator: { saturation: saturationGenerator, oneConnection: 'autocannon' },
    runSeconds: (performance.now() - runStartedAt) / 1000,
  };
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'tokenomics-latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  log();
  log(`results written to test/bench/results/tokenomics-latest.json (run took ${fixed(results.runSeconds, 0)} s)`);

  await Promise.all([bare.child, upstream].map((child) => stopChild(child, 3000)));
}

process.once('SIGINT', () => {
  process.stderr.write('tokenomics bench: interrupted\n');
  void cleanup().finally(() => process.exit(130));
});
process.once('SIGTERM', () => {
  void cleanup().finally(() => process.exit(143));
});

main().then(
  async () => {
    await cleanup();
    process.exit(0);
  },
  async (error: unknown) => {
    process.stderr.write(`tokenomics bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    await cleanup();
    process.exit(1);
  },
);
