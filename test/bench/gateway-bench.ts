/**
 * Gateway benchmark (`npm run bench [-- --profile] [-- --quick]`). Never a test: it reports.
 *
 * Three targets on loopback, measured in the same run: the mock upstream called directly (baseline),
 * a minimal pass-through proxy (Node http + undici Pool), and the gateway's production bundle. Each is
 * driven non-streaming at 1 connection (latency) and at saturation (throughput, in rounds whose target
 * order rotates; each target's fastest run counts), with sequential streaming requests (time to
 * first token) and with many streams at once (CPU per stream). The gateway's overhead is reported as
 * latency added over the direct call, and as a ratio to what the pass-through adds (house rule 17). Its
 * highest RSS after a saturation run and its startup time are reported too, then checked against the
 * targets.
 *
 * With `taskset` and 2+ cores, the bench process (load generator) and the upstream share core 0 and the
 * proxy under test runs alone on core 1; for the one-request-at-a-time phases the upstream moves to core 1
 * (so the direct baseline crosses cores as often as a proxied call), and 1-connection latency is also
 * measured with it back on core 0. Results go to test/bench/results/latest.json (not committed).
 * `--profile` runs the gateway under `node --cpu-prof` and prints where its CPU time goes (the figures of
 * that run are inflated by the profiler). `--stages` times the stages before each stream's first token
 * inside the pass-through and the gateway (`stage-trace.ts`) and prints them side by side. `--quick`
 * shortens every phase, for trying the bench out.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { buildGatewayBundle } from '../../gateway/build';
import { GATEWAY_NODE_FLAGS } from '../../gateway/node-flags';
import {
  buildBenchHelpers,
  clockTicksPerSecond,
  freePort,
  killAllChildren,
  pinProcess,
  pinThisProcess,
  planCpus,
  readCpuSeconds,
  readMemoryMiB,
  spawnNode,
  stopChild,
  waitForHealthy,
} from './bench-processes';
import type { BenchChild, CpuPlan } from './bench-processes';
import { formatProfileSummary, summarizeCpuProfile } from './cpu-profile';
import type { CpuProfile, ProfileSummary } from './cpu-profile';
import { summarizeStages } from './stage-trace';
import type { StageRow, StageSummary } from './stage-trace';
import { describeLoadGenerator, fastestRun, loadGeneratorFor, parseLoadGenerator, roundOrder, runLoad, runStreaming, summarizeLatencies } from './load';
import type { LatencySummary, LoadResult, SaturationFigures } from './load';
import { BENCH_COMPLETION_TEXT } from './mock-upstream';

const benchDir = dirname(fileURLToPath(import.meta.url));
const resultsDir = join(benchDir, 'results');

const MASTER_KEY = 'sk-bench-master-key';
const MODEL = 'bench-model';
const CHAT_PATH = '/v1/chat/completions';
const HEADERS = { 'content-type': 'application/json', authorization: `Bearer ${MASTER_KEY}` };
const MESSAGES = [
  { role: 'system', content: 'You are a helpful assistant. Answer briefly.' },
  { role: 'user', content: 'Say hello to the benchmark in one short sentence.' },
];
const COMPLETION_BODY = JSON.stringify({ model: MODEL, messages: MESSAGES, max_tokens: 64, temperature: 0.2 });
const STREAM_BODY = JSON.stringify({
  model: MODEL,
  messages: MESSAGES,
  max_tokens: 64,
  temperature: 0.2,
  stream: true,
  stream_options: { include_usage: true },
});
/** What the OpenAI SDKs send by default: no `stream_options`, so the gateway leaves usage out of the chunks. */
const STREAM_BODY_NO_USAGE = JSON.stringify({ model: MODEL, messages: MESSAGES, max_tokens: 64, temperature: 0.2, stream: true });

/** The targets from the brief. */
const TARGETS = {
  saturationRequestsPerSecond: 6000,
  addedLatencyP50Us: 300,
  /** Gateway TTFT added may exceed the pass-through's by this much (timer and scheduling noise). */
  ttftToleranceUs: 100,
  rssMiB: 150,
};

interface BenchSettings {
  readonly warmupSeconds: number;
  /** Streams each target serves before anything is recorded, spread over `warmupStreamConnections` clients at once. */
  readonly warmupStreams: number;
  readonly warmupStreamConnections: number;
  readonly rounds: number;
  readonly latencySecondsPerRound: number;
  /** 1-connection seconds per round and target with the upstream back on the load core (every proxied hop crosses cores). */
  readonly crossCoreLatencySecondsPerRound: number;
  readonly saturationConnections: number;
  readonly saturationSeconds: number;
  /** Saturation runs per target, interleaved across targets; each target's fastest run counts. */
  readonly saturationRounds: number;
  readonly streamsPerTarget: number;
  /**
   * Stream blocks per round: each round's streams go to the targets in this many blocks, the targets
   * taking turns, so the machine's drift (its median TTFT moves by 100 µs and more within seconds) lands
   * on every target alike.
   */
  readonly streamBlocksPerRound: number;
  /** Streaming under load: this many clients at once, each sending its streams one after another. */
  readonly streamSaturationClients: number;
  readonly streamSaturationStreamsPerClient: number;
  readonly streamGapMs: number;
  readonly startupRuns: number;
  /** Hard limit for the whole run. */
  readonly budgetMs: number;
}

const FULL: BenchSettings = {
  warmupSeconds: 2,
  warmupStreams: 1200,
  warmupStreamConnections: 24,
  rounds: 4,
  latencySecondsPerRound: 1.5,
  crossCoreLatencySecondsPerRound: 1,
  saturationConnections: 64,
  saturationSeconds: 4,
  saturationRounds: 3,
  streamsPerTarget: 300,
  streamBlocksPerRound: 3,
  streamSaturationClients: 32,
  streamSaturationStreamsPerClient: 40,
  streamGapMs: 2,
  startupRuns: 3,
  budgetMs: 175_000,
};

const QUICK: BenchSettings = {
  ...FULL,
  warmupSeconds: 1,
  warmupStreams: 240,
  rounds: 2,
  latencySecondsPerRound: 1,
  crossCoreLatencySecondsPerRound: 0.5,
  saturationSeconds: 2,
  saturationRounds: 1,
  streamsPerTarget: 60,
  streamSaturationStreamsPerClient: 10,
  startupRuns: 1,
  budgetMs: 90_000,
};

type TargetName = 'direct' | 'passthrough' | 'gateway';

interface Target {
  readonly name: TargetName;
  readonly label: string;
  readonly origin: string;
  /** The process doing the proxying (the upstream itself for `direct`). */
  readonly process: BenchChild;
}

interface TargetMeasurements {
  latencyMs: number[];
  crossCoreLatencyMs: number[];
  firstTokenMs: number[];
  /** The median TTFT of each stream block, in the order the blocks ran. */
  firstTokenBlockMediansMs: number[];
  streamTotalMs: number[];
  streamFailures: number;
  firstStreamFailure?: string;
  latencyErrors: number;
  saturations: SaturationRun[];
  streamSaturation?: StreamSaturation;
}

/** Many streams at once (the upstream beside the load generator, as at saturation). */
interface StreamSaturation {
  readonly clients: number;
  readonly streams: number;
  readonly failures: number;
  readonly streamsPerSecond: number;
  /** CPU time of the serving process per completed stream (its 20-odd chunks included). */
  readonly cpuMicrosPerStream: number | null;
  /** Each client's first stream left out (they all start at once). */
  readonly firstToken: LatencySummary;
  /** The serving process's RSS right after. */
  readonly rssMiB: number | null;
}

interface SaturationRun {
  readonly load: LoadResult;
  readonly cpuMicrosPerRequest?: number;
  readonly coreUtilization?: number;
}

interface TargetReport {
  readonly label: string;
  /** The fastest saturation run, except failures, which are counted over all runs. */
  readonly saturation: SaturationFigures;
  /** Every saturation run, in the order they ran. */
  readonly saturationRuns: readonly { readonly requestsPerSecond: number; readonly cpuMicrosPerRequest: number | null }[];
  readonly oneConnection: { readonly latency: LatencySummary; readonly errors: number };
  /** 1 connection with the upstream on the load generator's core: a proxied call crosses cores four times, a direct one never. */
  readonly oneConnectionCrossCores: LatencySummary;
  readonly streaming: {
    readonly firstToken: LatencySummary;
    /** The median TTFT of each stream block, in the order the blocks ran (the targets took turns block by block). */
    readonly firstTokenBlockMediansMs: readonly number[];
    readonly total: LatencySummary;
    readonly failures: number;
    readonly firstFailure: string | null;
  };
  readonly streamingSaturation: StreamSaturation | null;
}

interface Check {
  readonly name: string;
  readonly pass: boolean;
  readonly measured: string;
}

const log = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

function median(values: readonly number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
}

/** `left[i] − right[i]` in µs for each block both targets completed; nothing when their blocks do not pair up. */
function pairedDifferencesUs(leftMs: readonly number[], rightMs: readonly number[]): number[] {
  if (leftMs.length !== rightMs.length) return [];
  return leftMs.map((value, index) => (value - (rightMs[index] as number)) * 1000);
}

/**
 * One request of each kind, so a broken target fails loudly instead of benchmarking errors. A broken
 * non-streaming answer stops the bench; a broken stream is returned, and the streaming figures of that
 * target stay empty.
 */
async function verifyTarget(target: Target): Promise<string | undefined> {
  const completion = await request(`${target.origin}${CHAT_PATH}`, { method: 'POST', headers: HEADERS, body: COMPLETION_BODY });
  const completionText = await completion.body.text();
  if (completion.statusCode !== 200) throw new Error(`${target.label}: non-streaming request answered ${completion.statusCode}: ${completionText.slice(0, 500)}`);
  const content = (JSON.parse(completionText) as { choices?: { message?: { content?: unknown } }[] }).choices?.[0]?.message?.content;
  if (content !== BENCH_COMPLETION_TEXT) throw new Error(`${target.label}: unexpected completion ${completionText.slice(0, 500)}`);
  const stream = await request(`${target.origin}${CHAT_PATH}`, { method: 'POST', headers: HEADERS, body: STREAM_BODY });
  const streamText = await stream.body.text();
  if (stream.statusCode !== 200 || !streamText.endsWith('data: [DONE]\n\n')) {
    return `streaming request answered ${stream.statusCode}: ${streamText.trim().slice(0, 300)}`;
  }
  return undefined;
}

function gatewayConfigYaml(upstreamPort: number): string {
  return [
    'model_list:',
    `  - model_name: ${MODEL}`,
    '    litellm_params:',
    `      model: openai/${MODEL}`,
    `      api_base: http://127.0.0.1:${upstreamPort}/v1`,
    '      api_key: sk-bench-upstream',
    '',
  ].join('\n');
}

/** Whether this gateway build has `serve --no-database` (master key only, nothing opened). */
function supportsNoDatabase(bundle: string): boolean {
  try {
    return execFileSync(process.execPath, [bundle, '--help'], { encoding: 'utf8', timeout: 15_000 }).includes('--no-database');
  } catch {
    return false;
  }
}

/**
 * Starts the gateway in the work folder, so nothing it might write lands in the repository; an
 * embedded database, should the build open one anyway, stays in memory.
 */
function spawnGateway(
  bundle: string,
  nodeFlags: readonly string[],
  serveArgs: readonly string[],
  plan: CpuPlan,
  cwd: string,
  env: Record<string, string> = {},
): BenchChild {
  return spawnNode({
    name: 'gateway',
    // The image's V8 flags first (gateway/node-flags.ts), then the bench's own (profiler, stage trace).
    args: [...GATEWAY_NODE_FLAGS, ...nodeFlags, bundle, ...serveArgs],
    core: plan.targetCore,
    plan,
    cwd,
    env: { LITELLM_MASTER_KEY: MASTER_KEY, SWITCHYARD_DATA_DIR: 'memory://', ...env },
  });
}

const fixed = (value: number | null | undefined, digits: number): string =>
  value === null || value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits);
const micros = (ms: number): number => ms * 1000;
const pad = (text: string, width: number): string => text.padStart(width);
const padEnd = (text: string, width: number): string => text.padEnd(width);

function report(target: Target, measured: TargetMeasurements, settings: BenchSettings): TargetReport {
  const fastest = fastestRun(measured.saturations);
  const saturation = fastest?.load;
  const failures = (field: 'non2xx' | 'errors' | 'timeouts'): number => measured.saturations.reduce((sum, run) => sum + run.load[field], 0);
  return {
    label: target.label,
    saturation: {
      connections: settings.saturationConnections,
      requestsPerSecond: saturation?.requestsPerSecond ?? Number.NaN,
      latency: saturation?.latency ?? summarizeLatencies([]),
      non2xx: failures('non2xx'),
      errors: failures('errors'),
      timeouts: failures('timeouts'),
      cpuMicrosPerRequest: fastest?.cpuMicrosPerRequest ?? null,
      coreUtilization: fastest?.coreUtilization ?? null,
    },
    saturationRuns: measured.saturations.map((run) => ({ requestsPerSecond: run.load.requestsPerSecond, cpuMicrosPerRequest: run.cpuMicrosPerRequest ?? null })),
    oneConnection: { latency: summarizeLatencies(measured.latencyMs), errors: measured.latencyErrors },
    oneConnectionCrossCores: summarizeLatencies(measured.crossCoreLatencyMs),
    streaming: {
      firstToken: summarizeLatencies(measured.firstTokenMs),
      firstTokenBlockMediansMs: measured.firstTokenBlockMediansMs,
      total: summarizeLatencies(measured.streamTotalMs),
      failures: measured.streamFailures,
      firstFailure: measured.firstStreamFailure ?? null,
    },
    streamingSaturation: measured.streamSaturation ?? null,
  };
}

/** The stages of the streams, pass-through beside gateway (after the bench stopped both, which writes the files). */
function printStages(files: { readonly passthrough: string; readonly gateway: string }, warmupStreams: number): void {
  const read = (file: string): StageSummary | undefined => {
    try {
      return summarizeStages(JSON.parse(readFileSync(file, 'utf8')) as StageRow[], warmupStreams);
    } catch {
      return undefined;
    }
  };
  const passthrough = read(files.passthrough);
  const gateway = read(files.gateway);
  log();
  if (passthrough === undefined || gateway === undefined) {
    log('--stages: a proxy wrote no stage file (did it exit cleanly on SIGTERM?)');
    return;
  }
  log(`time before the first token inside each proxy, median µs per stage (${passthrough.requests}/${gateway.requests} streams):`);
  log(`  ${padEnd('stage', 34)}${pad('pass-through', 13)}${pad('gateway', 9)}`);
  const keys = [...new Set([...Object.keys(gateway.stagesUs), ...Object.keys(passthrough.stagesUs)])];
  for (const key of keys) log(`  ${padEnd(key, 34)}${pad(fixed(passthrough.stagesUs[key], 0), 13)}${pad(fixed(gateway.stagesUs[key], 0), 9)}`);
  log(`  ${padEnd('received→firstWrite', 34)}${pad(fixed(passthrough.totalUs, 0), 13)}${pad(fixed(gateway.totalUs, 0), 9)}`);
  log('  (the gateway\'s bodyRead→handler→upstreamCreated is the pass-through\'s bodyRead→upstreamCreated)');
}

function printProfile(summary: ProfileSummary): void {
  log();
  for (const line of formatProfileSummary(summary)) log(line);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      profile: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      stages: { type: 'boolean', default: false },
      'load-generator': { type: 'string' },
    },
  });
  const stages = values.stages === true;
  const generator = parseLoadGenerator(values['load-generator']);
  const profile = values.profile === true;
  const settings = values.quick === true ? QUICK : FULL;
  const runStartedAt = performance.now();
  const deadline = runStartedAt + settings.budgetMs;
  const remainingMs = (): number => deadline - performance.now();

  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: exceeded its ${settings.budgetMs / 1000} s budget, stopping\n`);
    process.exit(1);
  }, settings.budgetMs + 10_000);
  watchdog.unref();

  const plan = planCpus();
  pinThisProcess(plan);
  const ticksPerSecond = clockTicksPerSecond();
  const workDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  process.once('exit', () => {
    killAllChildren();
    rmSync(workDir, { recursive: true, force: true });
  });

  log(`switchyard gateway bench — node ${process.version}, ${plan.cores} cores (${cpus()[0]?.model ?? 'unknown cpu'})`);
  log(plan.note);
  const loadBefore = loadavg();
  if ((loadBefore[0] ?? 0) > 0.5) {
    log(`note: load average ${loadBefore.map((value) => value.toFixed(2)).join(' ')} before the run — other processes are busy, expect noisy figures`);
  }
  if (profile) log('PROFILING: the gateway runs under --cpu-prof; its figures are inflated by the profiler');
  const saturationGenerator = describeLoadGenerator(generator);
  log(`load generator: ${saturationGenerator} for saturation, autocannon for 1-connection latency`);

  const buildStartedAt = performance.now();
  const [gatewayBundle, helpers] = await Promise.all([buildGatewayBundle(join(workDir, 'gateway')), buildBenchHelpers(join(workDir, 'helpers'))]);
  log(`built the gateway bundle and the bench helpers in ${fixed(performance.now() - buildStartedAt, 0)} ms`);

  const upstream = spawnNode({ name: 'mock upstream', args: [helpers.mockUpstream, '--stream-gap-ms', String(settings.streamGapMs)], core: plan.loadCore, plan });
  const upstreamPort = await upstream.readyPort(15_000);
  // With --stages, both proxies timestamp each stream's stages (test/bench/stage-trace.ts) into these files.
  const stageFiles = { passthrough: join(workDir, 'stages-passthrough.json'), gateway: join(workDir, 'stages-gateway.json') };
  const stageFlags = stages ? ['--import', pathToFileURL(helpers.stageTrace).href] : [];
  if (stages) log('--stages: the pass-through and the gateway timestamp the stages of each stream (a little extra work per request)');
  const passthrough = spawnNode({
    name: 'pass-through proxy',
    args: [...stageFlags, helpers.passthroughProxy, '--upstream', `http://127.0.0.1:${upstreamPort}`],
    core: plan.targetCore,
    plan,
    env: stages ? { SWITCHYARD_BENCH_STAGES: stageFiles.passthrough } : {},
  });
  const passthroughPort = await passthrough.readyPort(15_000);

  const configPath = join(workDir, 'config.yaml');
  writeFileSync(configPath, gatewayConfigYaml(upstreamPort));
  const profileDir = join(workDir, 'profile');
  const noDatabase = supportsNoDatabase(gatewayBundle);
  const startupMs: number[] = [];
  let gateway: BenchChild | undefined;
  let gatewayPort = 0;
  for (let run = 0; run < settings.startupRuns; run += 1) {
    const last = run === settings.startupRuns - 1;
    gatewayPort = await freePort();
    const nodeFlags = [...stageFlags, ...(last && profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])];
    const serveArgs = [
      'serve',
      '--config',
      configPath,
      '--port',
      String(gatewayPort),
      '--host',
      '127.0.0.1',
      '--log-level',
      'warn',
      ...(noDatabase ? ['--no-database'] : []),
    ];
    const child = spawnGateway(gatewayBundle, nodeFlags, serveArgs, plan, workDir, stages ? { SWITCHYARD_BENCH_STAGES: stageFiles.gateway } : {});
    const healthyAt = await waitForHealthy(child, `http://127.0.0.1:${gatewayPort}/health/liveliness`, 30_000, 2);
    startupMs.push(healthyAt - child.spawnedAt);
    if (last) gateway = child;
    else await stopChild(child);
  }
  if (gateway === undefined) throw new Error('the gateway did not start');
  const idleMemory = readMemoryMiB(gateway.pid);

  const targets: Target[] = [
    { name: 'direct', label: 'direct upstream', origin: `http://127.0.0.1:${upstreamPort}`, process: upstream },
    { name: 'passthrough', label: 'pass-through', origin: `http://127.0.0.1:${passthroughPort}`, process: passthrough },
    { name: 'gateway', label: 'gateway', origin: `http://127.0.0.1:${gatewayPort}`, process: gateway },
  ];
  const brokenStreams = new Map<TargetName, string>();
  for (const target of targets) {
    const problem = await verifyTarget(target);
    if (problem !== undefined) {
      brokenStreams.set(target.name, problem);
      log(`! ${target.label}: ${problem}`);
      log(`  its streaming figures will be empty`);
    }
  }
  log(noDatabase ? 'gateway runs with --no-database (master key only)' : 'gateway build has no --no-database flag: it runs as it starts by default');
  log(`targets answer; gateway started in ${startupMs.map((ms) => fixed(ms, 0)).join(', ')} ms`);

  const measured = new Map<TargetName, TargetMeasurements>(
    targets.map((target) => [target.name, { latencyMs: [], crossCoreLatencyMs: [], firstTokenMs: [], firstTokenBlockMediansMs: [], streamTotalMs: [], streamFailures: 0, latencyErrors: 0, saturations: [] }]),
  );
  const measurementsOf = (target: Target): TargetMeasurements => {
    const entry = measured.get(target.name);
    if (entry === undefined) throw new Error(`no measurements for ${target.name}`);
    return entry;
  };
  const load = (target: Target, connections: number, durationSeconds: number): Promise<LoadResult> =>
    runLoad({
      url: `${target.origin}${CHAT_PATH}`,
      headers: HEADERS,
      body: COMPLETION_BODY,
      connections,
      durationSeconds,
      generator: loadGeneratorFor(connections, generator),
    });
  const stream = (target: Target, count: number, body = STREAM_BODY) =>
    runStreaming({
      origin: target.origin,
      path: CHAT_PATH,
      headers: HEADERS,
      body,
      count,
      budgetMs: Math.max(1000, Math.min(30_000, remainingMs() - 20_000)),
    });

  // Warm-up: JIT, connection pools and caches of every target, before anything is recorded. Streams get
  // their own warm-up, many at once: the gateway's stream-only code (SSE parsing, the chunk writer) runs
  // once per stream or per chunk, and after the 30 streams this bench used to send, V8 had optimized none
  // of it (`--trace-opt`), while the pass-through streams through the same code as its non-streaming answers.
  log('warming up…');
  for (const target of targets) {
    await load(target, settings.saturationConnections, settings.warmupSeconds);
    if (!brokenStreams.has(target.name)) {
      const perClient = Math.ceil(settings.warmupStreams / settings.warmupStreamConnections);
      await Promise.all(Array.from({ length: settings.warmupStreamConnections }, () => stream(target, perClient)));
    }
  }

  // Latency at 1 connection and streaming, in interleaved rounds so drift hits all targets alike. One
  // request at a time leaves every core idle between hops, and waking an idle core costs this VM tens of
  // µs. So for these phases the upstream moves onto the proxy's core: a direct call and a proxied one
  // then cross cores the same number of times (client → first server and back), and what the proxy adds
  // is its own work, not wake-ups of its core that the direct baseline never pays. The layout where every
  // proxied hop crosses cores (the saturation layout) is measured too, and reported beside it.
  const streamBlocks = settings.rounds * settings.streamBlocksPerRound;
  const streamsPerBlock = Math.ceil(settings.streamsPerTarget / streamBlocks);
  const measureOneConnection = async (target: Target, seconds: number, samples: number[]): Promise<void> => {
    const result = await load(target, 1, seconds);
    for (const sample of result.latenciesMs) samples.push(sample);
    measurementsOf(target).latencyErrors += result.errors + result.non2xx + result.timeouts;
  };
  for (let round = 0; round < settings.rounds; round += 1) {
    log(`round ${round + 1}/${settings.rounds}: 1-connection latency and streaming…`);
    pinProcess(plan, upstream.pid, plan.targetCore);
    for (const target of roundOrder(targets, round)) {
      await measureOneConnection(target, settings.latencySecondsPerRound, measurementsOf(target).latencyMs);
    }
    // Streams in blocks, the targets taking turns (which one starts rotates). Not one stream each in
    // turn: every stream would then start on caches another target has just used (tried: both proxies'
    // TTFT rose by half and the gap between them with it).
    for (let block = 0; block < settings.streamBlocksPerRound; block += 1) {
      for (const target of roundOrder(targets, round * settings.streamBlocksPerRound + block)) {
        const entry = measurementsOf(target);
        const broken = brokenStreams.get(target.name);
        if (broken !== undefined) {
          entry.firstStreamFailure ??= broken;
          continue;
        }
        const streaming = await stream(target, streamsPerBlock);
        for (const sample of streaming.firstTokenMs) entry.firstTokenMs.push(sample);
        for (const sample of streaming.totalMs) entry.streamTotalMs.push(sample);
        if (streaming.firstTokenMs.length > 0) entry.firstTokenBlockMediansMs.push(median(streaming.firstTokenMs));
        entry.streamFailures += streaming.failures;
        if (streaming.firstFailure !== undefined) entry.firstStreamFailure ??= streaming.firstFailure;
      }
    }
    pinProcess(plan, upstream.pid, plan.loadCore);
    for (const target of roundOrder(targets, round)) await measureOneConnection(target, settings.crossCoreLatencySecondsPerRound, measurementsOf(target).crossCoreLatencyMs);
  }

  // Saturation: throughput, CPU per request, and the gateway's memory right after. In interleaved rounds,
  // each target's fastest run counting: on a shared VM a slow phase of a few seconds would otherwise
  // land on one target only and skew the ratios.
  let saturatedMemory: ReturnType<typeof readMemoryMiB>;
  let passthroughMemory: ReturnType<typeof readMemoryMiB>;
  let peakSampledRssMiB = 0;
  const higherRss = (kept: ReturnType<typeof readMemoryMiB>, read: ReturnType<typeof readMemoryMiB>): ReturnType<typeof readMemoryMiB> =>
    read !== undefined && (kept === undefined || read.rssMiB > kept.rssMiB) ? read : kept;
  for (let round = 0; round < settings.saturationRounds; round += 1) {
    const order = roundOrder(targets, round);
    for (const target of order) {
      log(`saturating ${target.label} with ${settings.saturationConnections} connections (round ${round + 1}/${settings.saturationRounds})…`);
      const sampler =
        target.name === 'gateway'
          ? setInterval(() => {
              const memory = readMemoryMiB(target.process.pid);
              if (memory !== undefined) peakSampledRssMiB = Math.max(peakSampledRssMiB, memory.rssMiB);
            }, 250)
          : undefined;
      const cpuBefore = readCpuSeconds(target.process.pid, ticksPerSecond);
      const startedAt = performance.now();
      const result = await load(target, settings.saturationConnections, settings.saturationSeconds);
      const elapsedSeconds = (performance.now() - startedAt) / 1000;
      const cpuAfter = readCpuSeconds(target.process.pid, ticksPerSecond);
      // The highest RSS after any run is the one checked against the target.
      if (target.name === 'gateway') saturatedMemory = higherRss(saturatedMemory, readMemoryMiB(target.process.pid));
      if (target.name === 'passthrough') passthroughMemory = higherRss(passthroughMemory, readMemoryMiB(target.process.pid));
      clearInterval(sampler);
      const answered = result.ok + result.non2xx;
      const cpu =
        cpuBefore !== undefined && cpuAfter !== undefined && answered > 0
          ? { cpuMicrosPerRequest: ((cpuAfter - cpuBefore) * 1e6) / answered, coreUtilization: (cpuAfter - cpuBefore) / elapsedSeconds }
          : {};
      measurementsOf(target).saturations.push({ load: result, ...cpu });
    }
  }

  // Streaming under load: many clients at once, each sending its streams one after another. What a
  // stream costs the serving process in CPU, all its chunks included (the phases above time one stream
  // at a time, or non-streaming answers). The requests are the SDKs' default, without usage: the
  // gateway then takes the upstream's `"usage": null` out of every chunk (the pass-through forwards it).
  for (const target of roundOrder(targets, settings.saturationRounds)) {
    if (brokenStreams.has(target.name)) continue;
    log(`streaming ${target.label} with ${settings.streamSaturationClients} clients at once…`);
    const cpuBefore = readCpuSeconds(target.process.pid, ticksPerSecond);
    const startedAt = performance.now();
    const runs = await Promise.all(
      Array.from({ length: settings.streamSaturationClients }, () => stream(target, settings.streamSaturationStreamsPerClient, STREAM_BODY_NO_USAGE)),
    );
    const elapsedSeconds = (performance.now() - startedAt) / 1000;
    const cpuAfter = readCpuSeconds(target.process.pid, ticksPerSecond);
    const streams = runs.reduce((sum, run) => sum + run.firstTokenMs.length, 0);
    // TTFT in the steady state: each client's first stream is left out. Those arrive all at once on new
    // connections, and the last of them waits for the others (most of the slow first tokens of this
    // phase were a client's first stream).
    const steadyFirstTokens = runs.flatMap((run) => run.firstTokenMs.slice(1));
    measurementsOf(target).streamSaturation = {
      clients: settings.streamSaturationClients,
      streams,
      failures: runs.reduce((sum, run) => sum + run.failures, 0),
      streamsPerSecond: streams / elapsedSeconds,
      cpuMicrosPerStream: cpuBefore !== undefined && cpuAfter !== undefined && streams > 0 ? ((cpuAfter - cpuBefore) * 1e6) / streams : null,
      firstToken: summarizeLatencies(steadyFirstTokens),
      rssMiB: readMemoryMiB(target.process.pid)?.rssMiB ?? null,
    };
  }

  const reports = Object.fromEntries(targets.map((target) => [target.name, report(target, measurementsOf(target), settings)])) as Record<
    TargetName,
    TargetReport
  >;
  const { direct, passthrough: passthroughReport, gateway: gatewayReport } = reports;
  const added = (target: TargetReport) => ({
    latencyP50Us: micros(target.oneConnection.latency.p50Ms - direct.oneConnection.latency.p50Ms),
    latencyP99Us: micros(target.oneConnection.latency.p99Ms - direct.oneConnection.latency.p99Ms),
    crossCoreLatencyP50Us: micros(target.oneConnectionCrossCores.p50Ms - direct.oneConnectionCrossCores.p50Ms),
    firstTokenP50Us: micros(target.streaming.firstToken.p50Ms - direct.streaming.firstToken.p50Ms),
    firstTokenP99Us: micros(target.streaming.firstToken.p99Ms - direct.streaming.firstToken.p99Ms),
  });
  const passthroughAdded = added(passthroughReport);
  // Block by block, gateway minus pass-through: each pair ran back to back, so the drift between blocks cancels.
  const blockGapsUs = pairedDifferencesUs(gatewayReport.streaming.firstTokenBlockMediansMs, passthroughReport.streaming.firstTokenBlockMediansMs);
  const gatewayAdded = added(gatewayReport);
  const ratio = (numerator: number, denominator: number): number | null => (denominator > 0 && Number.isFinite(numerator) ? numerator / denominator : null);
  const ratios = {
    latencyP50: ratio(gatewayAdded.latencyP50Us, passthroughAdded.latencyP50Us),
    latencyP99: ratio(gatewayAdded.latencyP99Us, passthroughAdded.latencyP99Us),
    crossCoreLatencyP50: ratio(gatewayAdded.crossCoreLatencyP50Us, passthroughAdded.crossCoreLatencyP50Us),
    firstTokenP50: ratio(gatewayAdded.firstTokenP50Us, passthroughAdded.firstTokenP50Us),
    firstTokenP99: ratio(gatewayAdded.firstTokenP99Us, passthroughAdded.firstTokenP99Us),
    cpuPerRequest: ratio(gatewayReport.saturation.cpuMicrosPerRequest ?? Number.NaN, passthroughReport.saturation.cpuMicrosPerRequest ?? Number.NaN),
    cpuPerStream: ratio(gatewayReport.streamingSaturation?.cpuMicrosPerStream ?? Number.NaN, passthroughReport.streamingSaturation?.cpuMicrosPerStream ?? Number.NaN),
    saturationThroughput: ratio(gatewayReport.saturation.requestsPerSecond, passthroughReport.saturation.requestsPerSecond),
  };

  // ── the table ──
  log();
  log(
    `${padEnd('target', 16)}${pad('sat req/s', 11)}${pad('sat p50', 9)}${pad('sat p99', 9)}${pad('1c p50', 9)}${pad('1c p99', 9)}` +
      `${pad('TTFT p50', 10)}${pad('TTFT p99', 10)}${pad('end p50', 9)}${pad('CPU/req', 9)}`,
  );
  log(`${padEnd('', 16)}${pad('', 11)}${pad('ms', 9)}${pad('ms', 9)}${pad('µs', 9)}${pad('µs', 9)}${pad('µs', 10)}${pad('µs', 10)}${pad('ms', 9)}${pad('µs', 9)}`);
  for (const target of [direct, passthroughReport, gatewayReport]) {
    log(
      `${padEnd(target.label, 16)}${pad(fixed(target.saturation.requestsPerSecond, 0), 11)}` +
        `${pad(fixed(target.saturation.latency.p50Ms, 2), 9)}${pad(fixed(target.saturation.latency.p99Ms, 2), 9)}` +
        `${pad(fixed(micros(target.oneConnection.latency.p50Ms), 0), 9)}${pad(fixed(micros(target.oneConnection.latency.p99Ms), 0), 9)}` +
        `${pad(fixed(micros(target.streaming.firstToken.p50Ms), 0), 10)}${pad(fixed(micros(target.streaming.firstToken.p99Ms), 0), 10)}` +
        `${pad(fixed(target.streaming.total.p50Ms, 1), 9)}${pad(fixed(target.saturation.cpuMicrosPerRequest, 0), 9)}`,
    );
  }
  log(
    `  samples: 1c ${direct.oneConnection.latency.count}/${passthroughReport.oneConnection.latency.count}/${gatewayReport.oneConnection.latency.count}, ` +
      `streams ${direct.streaming.firstToken.count}/${passthroughReport.streaming.firstToken.count}/${gatewayReport.streaming.firstToken.count} ` +
      `(direct/pass-through/gateway); CPU/req = CPU time of the serving process per request at saturation`,
  );
  if (settings.saturationRounds > 1) {
    log(`  saturation runs, req/s at µs CPU per request (the fastest, marked *, is in the table and the ratios):`);
    for (const target of [direct, passthroughReport, gatewayReport]) {
      const fastest = target.saturation.requestsPerSecond;
      const runs = target.saturationRuns.map((run) => `${run.requestsPerSecond === fastest ? '*' : ''}${fixed(run.requestsPerSecond, 0)} at ${fixed(run.cpuMicrosPerRequest, 0)}`);
      log(`    ${padEnd(target.label, 16)}${runs.join(', ')}`);
    }
  }
  for (const target of [direct, passthroughReport, gatewayReport]) {
    const problems = target.saturation.errors + target.saturation.non2xx + target.saturation.timeouts + target.oneConnection.errors + target.streaming.failures;
    if (problems > 0) {
      log(
        `  ! ${target.label}: ${target.saturation.non2xx} non-2xx, ${target.saturation.errors} errors, ${target.saturation.timeouts} timeouts at saturation; ` +
          `${target.oneConnection.errors} failed at 1c; ${target.streaming.failures} failed streams${target.streaming.firstFailure ? ` (${target.streaming.firstFailure})` : ''}`,
      );
    }
  }
  log();
  log(`${padEnd('added over direct (µs)', 26)}${pad('1c p50', 9)}${pad('1c p99', 9)}${pad('TTFT p50', 10)}${pad('TTFT p99', 10)}`);
  for (const [label, values] of [
    ['pass-through', passthroughAdded],
    ['gateway', gatewayAdded],
  ] as const) {
    log(
      `${padEnd(label, 26)}${pad(fixed(values.latencyP50Us, 0), 9)}${pad(fixed(values.latencyP99Us, 0), 9)}` +
        `${pad(fixed(values.firstTokenP50Us, 0), 10)}${pad(fixed(values.firstTokenP99Us, 0), 10)}`,
    );
  }
  log(
    `${padEnd('gateway ÷ pass-through', 26)}${pad(fixed(ratios.latencyP50, 2), 9)}${pad(fixed(ratios.latencyP99, 2), 9)}` +
      `${pad(fixed(ratios.firstTokenP50, 2), 10)}${pad(fixed(ratios.firstTokenP99, 2), 10)}`,
  );
  if (blockGapsUs.length > 0) {
    log(
      `TTFT gateway − pass-through, block by block (${blockGapsUs.length} blocks of ${streamsPerBlock} streams, ` +
        `the targets taking turns): median ${fixed(median(blockGapsUs), 0)} µs, ${fixed(Math.min(...blockGapsUs), 0)} to ${fixed(Math.max(...blockGapsUs), 0)}`,
    );
  }
  log(
    `1 connection with every proxied hop crossing cores (upstream beside the load generator, as at saturation): p50 ` +
      `direct ${fixed(micros(direct.oneConnectionCrossCores.p50Ms), 0)} µs; added pass-through ${fixed(passthroughAdded.crossCoreLatencyP50Us, 0)} µs, ` +
      `gateway ${fixed(gatewayAdded.crossCoreLatencyP50Us, 0)} µs (÷ ${fixed(ratios.crossCoreLatencyP50, 2)}; ` +
      `${direct.oneConnectionCrossCores.count}/${passthroughReport.oneConnectionCrossCores.count}/${gatewayReport.oneConnectionCrossCores.count} samples)`,
  );
  log(
    `throughput gateway ÷ pass-through ${fixed(ratios.saturationThroughput, 2)}, CPU per request gateway ÷ pass-through ${fixed(ratios.cpuPerRequest, 2)}` +
      (gatewayReport.saturation.cpuMicrosPerRequest
        ? ` (one core's worth of gateway ≈ ${fixed(1e6 / gatewayReport.saturation.cpuMicrosPerRequest, 0)} req/s)`
        : ''),
  );
  log(
    `busy cores in the serving process at saturation: ${[direct, passthroughReport, gatewayReport]
      .map((target) => `${target.label} ${fixed(target.saturation.coreUtilization, 2)}`)
      .join(', ')} (1.00 = its core was the limit)`,
  );
  log(
    `streams under load (${settings.streamSaturationClients} clients at once, ${settings.streamSaturationStreamsPerClient} streams each, no stream_options; ` +
      `TTFT without each client's first stream; CPU per stream of the serving process, all its chunks included):`,
  );
  for (const target of [direct, passthroughReport, gatewayReport]) {
    const measured = target.streamingSaturation;
    if (measured === null) continue;
    log(
      `  ${padEnd(target.label, 16)}${pad(fixed(measured.streamsPerSecond, 0), 6)} streams/s, TTFT p50 ${fixed(micros(measured.firstToken.p50Ms), 0)} µs ` +
        `p99 ${fixed(micros(measured.firstToken.p99Ms), 0)} µs, CPU ${fixed(measured.cpuMicrosPerStream, 0)} µs per stream, ` +
        `RSS after ${fixed(measured.rssMiB, 1)} MiB` +
        (measured.failures > 0 ? ` (! ${measured.failures} failed)` : ''),
    );
  }
  log(`  CPU per stream gateway ÷ pass-through ${fixed(ratios.cpuPerStream, 2)}`);
  log(
    `gateway memory: RSS ${fixed(saturatedMemory?.rssMiB, 1)} MiB after saturation (max sampled during ${fixed(peakSampledRssMiB, 1)}, ` +
      `VmHWM ${fixed(saturatedMemory?.peakRssMiB, 1)}, idle after start ${fixed(idleMemory?.rssMiB, 1)}; ` +
      `pass-through ${fixed(passthroughMemory?.rssMiB, 1)} MiB after saturation)`,
  );
  log(`gateway startup (spawn → first 200 on /health/liveliness): median ${fixed(median(startupMs), 0)} ms over ${startupMs.length} run(s)`);

  const checks: Check[] = [
    {
      name: `non-streaming saturation >= ${TARGETS.saturationRequestsPerSecond} req/s`,
      pass: gatewayReport.saturation.requestsPerSecond >= TARGETS.saturationRequestsPerSecond,
      measured: `${fixed(gatewayReport.saturation.requestsPerSecond, 0)} req/s`,
    },
    {
      name: `added latency at 1 connection p50 <= ${TARGETS.addedLatencyP50Us / 1000} ms`,
      pass: gatewayAdded.latencyP50Us <= TARGETS.addedLatencyP50Us,
      measured: `${fixed(gatewayAdded.latencyP50Us, 0)} µs`,
    },
    {
      name: `streaming TTFT added p50 <= pass-through's + ${TARGETS.ttftToleranceUs / 1000} ms tolerance`,
      pass: gatewayAdded.firstTokenP50Us <= passthroughAdded.firstTokenP50Us + TARGETS.ttftToleranceUs,
      measured:
        gatewayReport.streaming.firstToken.count === 0
          ? `no successful gateway stream: ${gatewayReport.streaming.firstFailure ?? 'unknown'}`.slice(0, 160)
          : `${fixed(gatewayAdded.firstTokenP50Us, 0)} µs vs ${fixed(passthroughAdded.firstTokenP50Us, 0)} µs`,
    },
    {
      name: `RSS after saturation < ${TARGETS.rssMiB} MiB`,
      pass: saturatedMemory !== undefined && saturatedMemory.rssMiB < TARGETS.rssMiB,
      measured: `${fixed(saturatedMemory?.rssMiB, 1)} MiB`,
    },
  ];
  log();
  log(`targets (gateway)${profile ? ' — under the profiler, so not meaningful' : ''}:`);
  for (const check of checks) log(`  ${check.pass ? 'PASS' : 'FAIL'}  ${padEnd(check.name, 58)} ${check.measured}`);

  let profileSummary: ProfileSummary | undefined;
  if (profile) {
    await stopChild(gateway, 15_000);
    const file = readdirSync(profileDir).find((name) => name.endsWith('.cpuprofile'));
    if (file === undefined) {
      log('no CPU profile was written (did the gateway exit cleanly on SIGTERM?)');
    } else {
      mkdirSync(resultsDir, { recursive: true });
      copyFileSync(join(profileDir, file), join(resultsDir, 'gateway.cpuprofile'));
      const cpuProfile = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as CpuProfile;
      profileSummary = summarizeCpuProfile(cpuProfile, { bundleUrl: pathToFileURL(gatewayBundle).href, sourceMapPath: `${gatewayBundle}.map`, busiestWindowMs: settings.saturationSeconds * 800 });
      printProfile(profileSummary);
      log(`  (full profile: ${join('test/bench/results', 'gateway.cpuprofile')}, opens in Chrome DevTools)`);
    }
  }

  const results = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    cores: plan.cores,
    cpuModel: cpus()[0]?.model ?? null,
    cpuPlan: plan,
    profiled: profile,
    settings,
    targetsUnderTest: TARGETS,
    results: reports,
    added: { passthrough: passthroughAdded, gateway: gatewayAdded },
    ttftBlockGapsUs: blockGapsUs,
    ratios,
    gateway: {
      startupMs,
      startupMedianMs: median(startupMs),
      memoryAfterSaturation: saturatedMemory ?? null,
      maxSampledRssDuringSaturationMiB: peakSampledRssMiB,
      memoryIdle: idleMemory ?? null,
      noDatabase,
    },
    passthroughMemoryAfterSaturation: passthroughMemory ?? null,
    loadAverage: { before: loadBefore, after: loadavg() },
    checks,
    ...(profileSummary !== undefined ? { profile: profileSummary } : {}),
    loadGenerator: { saturation: saturationGenerator, oneConnection: 'autocannon' },
    runSeconds: (performance.now() - runStartedAt) / 1000,
  };
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  log();
  log(`results written to test/bench/results/latest.json (run took ${fixed(results.runSeconds, 0)} s)`);

  await Promise.all([gateway, passthrough, upstream].map((child) => stopChild(child, 3000)));
  // Left out: the check stream of each target and the warm-up streams.
  if (stages) printStages(stageFiles, Math.ceil(settings.warmupStreams / settings.warmupStreamConnections) * settings.warmupStreamConnections + 1);
}

process.once('SIGINT', () => {
  process.stderr.write('bench: interrupted\n');
  process.exit(130);
});
process.once('SIGTERM', () => process.exit(143));

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
