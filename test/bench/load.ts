/**
 * Load for the benchmark: autocannon runs (non-streaming, any number of connections) with per-request
 * latencies kept at sub-millisecond resolution, and a sequential streaming client that measures the time
 * to the first `data:` byte and to the end of the stream.
 */
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
}

export interface LoadResult {
  /** 2xx responses per second over the run. */
  readonly requestsPerSecond: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly durationSeconds: number;
  /** Latency of every 2xx response, in milliseconds (hrtime resolution, unlike autocannon's histogram). */
  readonly latenciesMs: number[];
}

/** One autocannon run of `POST url`. */
export async function runLoad({ url, headers, body, connections, durationSeconds }: LoadOptions): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  const instance = autocannon({ url, method: 'POST', headers, body, connections, duration: durationSeconds, timeout: 10 });
  instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
    if (statusCode >= 200 && statusCode < 300 && latenciesMs.length < MAX_SAMPLES) latenciesMs.push(responseTimeMs);
  });
  const result = await instance;
  return {
    requestsPerSecond: result['2xx'] / result.duration,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    durationSeconds: result.duration,
    latenciesMs,
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
