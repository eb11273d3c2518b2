/**
 * Where a proxy spends the time before a stream's first token: loaded into the proxy's process with
 * `node --import stage-trace.mjs` (the bench's `--stages`), it timestamps each streaming request at the
 * points Node, undici and Fastify publish on `node:diagnostics_channel`, and at its first write to the
 * client. When the process exits it writes the median of each stage to the file named by
 * `SWITCHYARD_BENCH_STAGES`. The same stages exist in the pass-through and in the gateway, so the two
 * can be compared stage by stage; the gateway also has `handler` (Fastify calls the route), which the
 * pass-through lacks.
 *
 * Only streams are kept (answers whose head says `text/event-stream`), timed to their first `write()`.
 * Loaded into a process that serves one request at a time (the bench's TTFT phase), so a request's
 * upstream events are its own.
 */
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { ServerResponse } from 'node:http';
import type { IncomingMessage } from 'node:http';

/** The points of a request, in the order they happen. */
export const STAGE_POINTS = ['received', 'bodyRead', 'handler', 'upstreamCreated', 'upstreamSent', 'upstreamHeaders', 'firstWrite'] as const;
export type StagePoint = (typeof STAGE_POINTS)[number];
export type StageRow = Partial<Record<StagePoint, number>>;

export interface StageSummary {
  /** Requests with every point the process publishes. */
  readonly requests: number;
  /** Median µs from each point to the next one present, keyed `from→to`. */
  readonly stagesUs: Record<string, number>;
  /** Median µs from `received` to `firstWrite`. */
  readonly totalUs: number;
}

function medianOf(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  values.sort((left, right) => left - right);
  const middle = values.length >> 1;
  return values.length % 2 === 1 ? (values[middle] as number) : ((values[middle - 1] as number) + (values[middle] as number)) / 2;
}

/**
 * Medians per stage over rows that reached the first write. A point missing from a row (the
 * pass-through has no `handler`) merges its two stages into one; the first `skip` rows (warm-up) are
 * left out.
 */
export function summarizeStages(rows: readonly StageRow[], skip = 0): StageSummary {
  const durations = new Map<string, number[]>();
  const totals: number[] = [];
  let requests = 0;
  for (const row of rows.slice(skip)) {
    if (row.received === undefined || row.firstWrite === undefined) continue;
    requests += 1;
    totals.push((row.firstWrite - row.received) * 1000);
    let previous: StagePoint = 'received';
    for (const point of STAGE_POINTS.slice(1)) {
      const at = row[point];
      if (at === undefined) continue;
      const key = `${previous}→${point}`;
      const list = durations.get(key) ?? [];
      list.push((at - (row[previous] as number)) * 1000);
      durations.set(key, list);
      previous = point;
    }
  }
  const stagesUs: Record<string, number> = {};
  for (const [key, values] of durations) stagesUs[key] = medianOf(values);
  return { requests, stagesUs, totalUs: medianOf(totals) };
}

/** Streaming requests, oldest first: a row is kept at its first write, so other requests leave nothing behind. */
const rows: StageRow[] = [];
let current: StageRow | undefined;
const traced = new WeakMap<ServerResponse, StageRow>();
const streaming = new WeakSet<ServerResponse>();

function contentTypeOf(response: ServerResponse, args: readonly unknown[]): string {
  const set = response.getHeader('content-type');
  if (set !== undefined) return String(set);
  // writeHead(status, headers) or writeHead(status, message, headers); headers an object or a flat array.
  const headers = args.find((arg, index) => index > 0 && typeof arg === 'object' && arg !== null);
  if (Array.isArray(headers)) {
    const at = headers.findIndex((value, index) => index % 2 === 0 && String(value).toLowerCase() === 'content-type');
    return at >= 0 ? String(headers[at + 1]) : '';
  }
  for (const [name, value] of Object.entries((headers ?? {}) as Record<string, unknown>)) if (name.toLowerCase() === 'content-type') return String(value);
  return '';
}

function mark(point: StagePoint): void {
  if (current !== undefined && current[point] === undefined) current[point] = performance.now();
}

/**
 * Starts tracing this process's requests; returns what was traced so far. With `outputFile`, the rows
 * are written there when the process exits.
 */
export function installStageTrace(outputFile?: string): () => readonly StageRow[] {
  subscribe('http.server.request.start', (message) => {
    const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
    const row: StageRow = { received: performance.now() };
    current = row;
    traced.set(response, row);
    request.once('end', () => {
      row.bodyRead ??= performance.now();
    });
  });
  subscribe('tracing:fastify.request.handler:start', () => mark('handler'));
  subscribe('undici:request:create', () => mark('upstreamCreated'));
  subscribe('undici:client:sendHeaders', () => mark('upstreamSent'));
  subscribe('undici:request:headers', () => mark('upstreamHeaders'));
  const writeHead = ServerResponse.prototype.writeHead;
  ServerResponse.prototype.writeHead = function tracedWriteHead(this: ServerResponse, ...args: unknown[]): ServerResponse {
    if (contentTypeOf(this, args).startsWith('text/event-stream')) streaming.add(this);
    return (writeHead as (...headArgs: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];
  const write = ServerResponse.prototype.write;
  ServerResponse.prototype.write = function tracedWrite(this: ServerResponse, ...args: Parameters<ServerResponse['write']>): boolean {
    const row = traced.get(this);
    if (row !== undefined && row.firstWrite === undefined && streaming.has(this)) {
      row.firstWrite = performance.now();
      rows.push(row);
    }
    return write.apply(this, args);
  } as ServerResponse['write'];
  if (outputFile !== undefined) {
    process.once('exit', () => {
      writeFileSync(outputFile, `${JSON.stringify(rows)}\n`);
    });
  }
  return () => rows;
}

const outputFile = process.env.SWITCHYARD_BENCH_STAGES;
if (outputFile !== undefined && outputFile.length > 0) installStageTrace(outputFile);
