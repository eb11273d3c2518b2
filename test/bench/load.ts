/**
 * Load for the benchmark: non-streaming runs at any number of connections, and a sequential streaming
 * client that measures the time to the first `data:` byte and to the end of the stream.
 *
 * Two load generators: autocannon (in this process, every latency kept at sub-millisecond resolution) and
 * wrk (a C program, when it is on the PATH: `apt-get install wrk`). On a 2-core machine the load generator
 * shares a core with the upstream (and Valkey and Postgres), so what it costs per request caps what the
 * targets can be driven to: wrk costs that core about a quarter of what autocannon does, so saturation
 * runs use it when it is there. Latency at 1 connection is always autocannon's (every sample kept).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import autocannon from 'autocannon';
import { Client } from 'undici';

/** Bound on the samples one run keeps (a few seconds of loopback load stays far below it). */
const MAX_SAMPLES = 2_000_000;

export interface LatencySummary {
  readonly count: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** Nearest-rank percentiles of latency samples in milliseconds. */
export function summarizeLatencies(samples: readonly number[]): LatencySummary {
  if (samples.length === 0) return { count: 0, meanMs: Number.NaN, p50Ms: Number.NaN, p90Ms: Number.NaN, p99Ms: Number.NaN, maxMs: Number.NaN };
  const sorted = Float64Array.from(samples).sort();
  const at = (quantile: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)] ?? Number.NaN;
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    count: sorted.length,
    meanMs: sum / sorted.length,
    p50Ms: at(0.5),
    p90Ms: at(0.9),
    p99Ms: at(0.99),
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

export interface LoadOptions {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly connections: number;
  readonly durationSeconds: number;
  /**
   * Which program generates the load: `auto` is wrk when it is on the PATH, else autocannon.
   * @default 'autocannon'
   */
  readonly generator?: 'autocannon' | 'wrk' | 'auto';
}

export interface LoadResult {
  /** The program that generated the load. */
  readonly generator: 'autocannon' | 'wrk';
  /** 2xx responses per second over the run. */
  readonly requestsPerSecond: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly durationSeconds: number;
  /**
   * Latency of every 2xx response, in milliseconds (hrtime resolution, unlike autocannon's histogram);
   * empty for wrk, which reports percentiles only.
   */
  readonly latenciesMs: number[];
  /** Latency percentiles of the run (wrk's of every response, or the summary of `latenciesMs`). */
  readonly latency: LatencySummary;
}

/** What the benches report of one saturation run of a target. */
export interface SaturationFigures {
  readonly connections: number;
  readonly requestsPerSecond: number;
  readonly latency: LatencySummary;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  /** CPU time of the target process per request (the upstream's own for `direct`). */
  readonly cpuMicrosPerRequest: number | null;
  /** Cores busy in the target process during the run. */
  readonly coreUtilization: number | null;
}

/** The saturation run with the highest throughput (the one a bench reports for its target). */
export function fastestRun<Run extends { readonly load: LoadResult }>(runs: readonly Run[]): Run | undefined {
  let fastest: Run | undefined;
  for (const run of runs) if (fastest === undefined || run.load.requestsPerSecond > fastest.load.requestsPerSecond) fastest = run;
  return fastest;
}

/**
 * The targets in the order of round `round`: each round starts one further along, so that drift of the
 * machine during a round does not always fall on the same target.
 */
export function roundOrder<Target>(targets: readonly Target[], round: number): Target[] {
  return targets.map((_target, index) => targets[(index + round) % targets.length] as Target);
}

export type LoadGenerator = NonNullable<LoadOptions['generator']>;

/** The `--load-generator` flag of the benches: `auto` (the default), `wrk` or `autocannon`. */
export function parseLoadGenerator(value: string | undefined): LoadGenerator {
  if (value === undefined) return 'auto';
  if (value === 'auto' || value === 'wrk' || value === 'autocannon') return value;
  throw new Error(`--load-generator must be auto, wrk or autocannon, got ${value}`);
}

/**
 * The generator of a run at `connections`: the benches' choice (`--load-generator`) for saturation, and
 * always autocannon at 1 connection, whose latency samples are all kept.
 */
export function loadGeneratorFor(connections: number, saturation: LoadGenerator): LoadGenerator {
  return connections === 1 ? 'autocannon' : saturation;
}

/** The wrk program a generator setting runs here, or `undefined` for autocannon; throws when wrk is asked for and missing. */
function wrkFor(generator: LoadGenerator): string | undefined {
  if (generator === 'autocannon') return undefined;
  const wrk = findWrk();
  if (generator === 'wrk' && wrk === undefined) throw new Error('wrk is not on the PATH (apt-get install wrk)');
  return wrk;
}

/** The program a generator setting runs here (`auto` resolved), for reports. */
export function describeLoadGenerator(generator: LoadGenerator): 'wrk' | 'autocannon' {
  return wrkFor(generator) === undefined ? 'autocannon' : 'wrk';
}

/** The wrk program on the PATH, if any. */
export function findWrk(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'wrk');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** One run of `POST url`, by the generator asked for. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const wrk = wrkFor(options.generator ?? 'autocannon');
  return wrk === undefined ? runAutocannon(options) : runWrk(wrk, options);
}

/** A Lua long string that holds `text` as it is, whatever brackets it contains. */
function luaLongString(text: string): string {
  let level = '';
  while (text.includes(`]${level}]`)) level += '=';
  return `[${level}[\n${text}]${level}]`;
}

/** The line wrk's `done` hook prints: counts and latency percentiles (µs) of the run. */
const WRK_MARK = 'SWITCHYARD-WRK ';

function wrkScript(headers: Record<string, string>, body: string): string {
  return [
    'wrk.method = "POST"',
    `wrk.body = ${luaLongString(body)}`,
    ...Object.entries(headers).map(([name, value]) => `wrk.headers[ ${luaLongString(name)} ] = ${luaLongString(value)}`),
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    `  io.write(string.format('${WRK_MARK}{"requests":%d,"durationUs":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..`,
    `    '"meanUs":%.3f,"p50Us":%d,"p90Us":%d,"p99Us":%d,"maxUs":%d}\\n', summary.requests, summary.duration, e.connect, e.read, e.write,`,
    '    e.status, e.timeout, latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))',
    'end',
    '',
  ].join('\n');
}

interface WrkSummary {
  readonly requests: number;
  readonly durationUs: number;
  readonly connect: number;
  readonly read: number;
  readonly write: number;
  readonly status: number;
  readonly timeout: number;
  readonly meanUs: number;
  readonly p50Us: number;
  readonly p90Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
}

/**
 * One wrk run (one thread: it inherits this process's CPU pinning). The script file holds the request's
 * headers, so it lives in a private temporary folder that is removed right after.
 */
async function runWrk(wrk: string, { url, headers, body, connections, durationSeconds }: LoadOptions): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-wrk-'));
  try {
    const script = join(dir, 'post.lua');
    writeFileSync(script, wrkScript(headers, body), { mode: 0o600 });
    const args = ['-t1', `-c${connections}`, `-d${durationSeconds}s`, '--timeout', '10s', '-s', script, url];
    const output = await new Promise<string>((resolveRun, reject) => {
      const child = spawn(wrk, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.setEncoding('utf8').on('data', (piece: string) => (text += piece));
      child.stderr.setEncoding('utf8').on('data', (piece: string) => (text += piece));
      child.once('error', reject);
      child.once('close', (code) => (code === 0 ? resolveRun(text) : reject(new Error(`wrk exited with ${code}: ${text.slice(0, 500)}`))));
    });
    const line = output.split('\n').find((candidate) => candidate.startsWith(WRK_MARK));
    if (line === undefined) throw new Error(`wrk printed no summary: ${output.slice(0, 500)}`);
    const summary = JSON.parse(line.slice(WRK_MARK.length)) as WrkSummary;
    const seconds = summary.durationUs / 1e6;
    // wrk counts a response with a status of 400 or more as a `status` error; the targets send no 3xx.
    const ok = summary.requests - summary.status;
    return {
      generator: 'wrk',
      requestsPerSecond: ok / seconds,
      ok,
      non2xx: summary.status,
      errors: summary.connect + summary.read + summary.write,
      timeouts: summary.timeout,
      durationSeconds: seconds,
      latenciesMs: [],
      latency: {
        count: summary.requests,
        meanMs: summary.meanUs / 1000,
        p50Ms: summary.p50Us / 1000,
        p90Ms: summary.p90Us / 1000,
        p99Ms: summary.p99Us / 1000,
        maxMs: summary.maxUs / 1000,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One autocannon run of `POST url`. */
async function runAutocannon({ url, headers, body, connections, durationSeconds }: LoadOptions): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  const instance = autocannon({ url, method: 'POST', headers, body, connections, duration: durationSeconds, timeout: 10 });
  instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
    if (statusCode >= 200 && statusCode < 300 && latenciesMs.length < MAX_SAMPLES) latenciesMs.push(responseTimeMs);
  });
  const result = await instance;
  return {
    generator: 'autocannon',
    requestsPerSecond: result['2xx'] / result.duration,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSeconds: result.duration,
    latenciesMs,
    latency: summarizeLatencies(latenciesMs),
  };
}

export interface StreamingOptions {
  /** Origin such as `http://127.0.0.1:4000`. */
  readonly origin: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** Requests to send, one after the other on one keep-alive connection. */
  readonly count: number;
  /** Stop early (with fewer samples) once this much time has passed. */
  readonly budgetMs: number;
}

export interface StreamingResult {
  /** Request start → first body byte chunk that holds `data:`. */
  readonly firstTokenMs: number[];
  /** Request start → end of the body. */
  readonly totalMs: number[];
  /** Streams that failed or did not end with `data: [DONE]`. */
  readonly failures: number;
  readonly firstFailure?: string;
}

function streamOnce(client: Client, options: StreamingOptions): Promise<{ firstTokenMs: number; totalMs: number }> {
  return new Promise((resolveStream, reject) => {
    const startedAt = performance.now();
    let firstTokenAt: number | undefined;
    let last = '';
    client
      .request({ path: options.path, method: 'POST', headers: options.headers, body: options.body, headersTimeout: 10_000, bodyTimeout: 10_000 })
      .then(({ statusCode, body }) => {
        if (statusCode !== 200) {
          body.text().then((text) => reject(new Error(`status ${statusCode}: ${text.slice(0, 300)}`)), reject);
          return;
        }
        // Raw bytes: undici's body ignores setEncoding(), and `data:` is ASCII anyway.
        body.on('data', (piece: Buffer) => {
          if (firstTokenAt === undefined && piece.includes('data:')) firstTokenAt = performance.now();
          last = (last + piece.toString('latin1')).slice(-64);
        });
        body.on('end', () => {
          const endedAt = performance.now();
          if (firstTokenAt === undefined || !last.endsWith('data: [DONE]\n\n')) {
            reject(new Error(`stream did not end with data: [DONE] (ended with ${JSON.stringify(last)})`));
            return;
          }
          resolveStream({ firstTokenMs: firstTokenAt - startedAt, totalMs: endedAt - startedAt });
        });
        body.on('error', reject);
      }, reject);
  });
}

/** Sends `count` streaming requests sequentially over one connection. */
export async function runStreaming(options: StreamingOptions): Promise<StreamingResult> {
  const client = new Client(options.origin, { pipelining: 1, keepAliveTimeout: 60_000 });
  const firstTokenMs: number[] = [];
  const totalMs: number[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  const deadline = performance.now() + options.budgetMs;
  try {
    for (let index = 0; index < options.count && performance.now() < deadline; index += 1) {
      try {
        const sample = await streamOnce(client, options);
        firstTokenMs.push(sample.firstTokenMs);
        totalMs.push(sample.totalMs);
      } catch (error) {
        failures += 1;
        firstFailure ??= error instanceof Error ? error.message : String(error);
        if (failures >= 20 && firstTokenMs.length === 0) break;
      }
    }
  } finally {
    await client.close();
  }
  return { firstTokenMs, totalMs, failures, ...(firstFailure !== undefined ? { firstFailure } : {}) };
}
