/**
 * Upstream HTTP: one undici `Pool` per origin (keep-alive, reused across requests and deployments that
 * share a host), with per-call header and body timeouts. Failures become typed gateway errors: a timeout
 * is an `UpstreamTimeoutError` (504), anything else on the wire an `UpstreamError` (502).
 *
 * The timeouts are the gateway's own. Undici's per-request `headersTimeout`/`bodyTimeout` are switched
 * off: on a kept-alive connection it creates a new timer object for every request, and the cleared ones
 * stay in its timer list for up to a second, long enough to be promoted to V8's old generation. Under
 * load that garbage grew the gateway's RSS by about 6 MiB every 4 s until a full collection (1.3 MiB
 * without it). Timeouts of a second or more (LiteLLM's are seconds to minutes) are checked by one sweep
 * per client every 100 ms: a call costs a place in a list, a piece of the answer one field write, where
 * a Node timer per call meant creating and dropping a timer list per call and a clock read and a list
 * move per piece. Shorter timeouts get a Node timer each, exact to the millisecond.
 */
import { Pool, errors as undiciErrors } from 'undici';
import type { Dispatcher } from 'undici';
import { GatewayError, UpstreamError, UpstreamTimeoutError } from '../errors';
import type { UpstreamRequest } from '../providers';
import type { CancelSignal } from './cancellation';

export interface UpstreamClientOptions {
  /**
   * Connections kept per upstream origin.
   * @default 256
   */
  readonly connectionsPerOrigin?: number;
  /**
   * How long an idle keep-alive connection is kept.
   * @default 60_000
   */
  readonly keepAliveTimeoutMs?: number;
  /**
   * TCP+TLS connect timeout.
   * @default 10_000
   */
  readonly connectTimeoutMs?: number;
  /**
   * How often the shared sweep checks the calls whose timeout is at least `SWEPT_TIMEOUT_FACTOR` times
   * this; such a call times out after its timeout and at most two sweeps more.
   * @default 100
   */
  readonly timeoutSweepMs?: number;
}

export interface UpstreamCallOptions {
  /** Idle timeout for the response headers and between body reads (LiteLLM `timeout` / `stream_timeout`). */
  readonly timeoutMs: number;
  readonly signal?: CancelSignal;
}

/** Node's timers hold at most this many ms; a longer timeout means none. */
const MAX_TIMER_MS = 2_147_483_647;

/** A call whose timeout is at least this many sweeps long is timed by the sweep (at most 20% late). */
export const SWEPT_TIMEOUT_FACTOR = 10;

/** Sweeps with no call to check before the sweep's timer stops (calls one after the other keep it running). */
const EMPTY_SWEEPS_BEFORE_STOP = 50;

/**
 * One interval timer for every call of a client whose timeout is long: each sweep asks every such call
 * whether it has been quiet for its whole timeout. The timer runs while there are calls, and stops after
 * a while without any. The calls are a doubly linked list through fields of their own timers, as Node
 * keeps its timer lists: a `Set` rehashed its table as calls came and went, and at saturation that
 * garbage lived long enough to be promoted (old space 20–26 MiB after 60,000 calls instead of 13).
 */
export class TimeoutSweep {
  private first: CallTimer | undefined;
  private interval: NodeJS.Timeout | undefined;
  private emptySweeps = 0;

  constructor(readonly everyMs: number) {}

  add(timer: CallTimer): void {
    timer.sweepPrevious = undefined;
    timer.sweepNext = this.first;
    if (this.first !== undefined) this.first.sweepPrevious = timer;
    this.first = timer;
    this.emptySweeps = 0;
    if (this.interval === undefined) {
      this.interval = setInterval(() => this.sweep(), this.everyMs);
      this.interval.unref();
    }
  }

  /** Takes a timer out; only ever called for a timer this sweep holds. */
  delete(timer: CallTimer): void {
    if (timer.sweepPrevious !== undefined) timer.sweepPrevious.sweepNext = timer.sweepNext;
    else this.first = timer.sweepNext;
    if (timer.sweepNext !== undefined) timer.sweepNext.sweepPrevious = timer.sweepPrevious;
    timer.sweepPrevious = undefined;
    timer.sweepNext = undefined;
  }

  stop(): void {
    clearInterval(this.interval);
    this.interval = undefined;
  }

  /** The timers it holds, counted by walking the list (for tests and diagnostics). */
  held(): CallTimer[] {
    const timers: CallTimer[] = [];
    for (let timer = this.first; timer !== undefined; timer = timer.sweepNext) timers.push(timer);
    return timers;
  }

  private sweep(): void {
    if (this.first === undefined) {
      this.emptySweeps += 1;
      if (this.emptySweeps >= EMPTY_SWEEPS_BEFORE_STOP) this.stop();
      return;
    }
    const now = performance.now();
    // A timer that expires takes itself out, so the next one is read first. (Should an expiry end
    // another call at once, the sweep stops there, and the rest wait for the next sweep.)
    let timer: CallTimer | undefined = this.first;
    while (timer !== undefined) {
      const next: CallTimer | undefined = timer.sweepNext;
      timer.check(now);
      timer = next !== undefined && (next.sweepPrevious !== undefined || this.first === next) ? next : undefined;
    }
  }
}

/** What a call's timer asks of the call it times. */
export interface TimedCall {
  /** Whether the response headers have arrived (the timeout then counts between body pieces). */
  headersArrived(): boolean;
  /** Whether the body read is paused for a slow client (the timeout then waits for the resume). */
  paused(): boolean;
  /** The timeout passed before undici started the request: fail the call now. */
  failQueued(error: Error): void;
}

/**
 * One call's timeout, shared by the streaming and the text calls: armed at dispatch, re-armed on the
 * headers, on every body piece and on a resume; a timeout of 0 (or past what Node's timers hold) means
 * none, as undici reads 0. A long timeout is checked by the client's sweep, a short one by a Node timer
 * of its own. When it passes, the request is aborted with undici's own timeout error (so it maps to a 504
 * like undici's did); a request still queued for a connection fails at once and is aborted when undici
 * starts it.
 */
export class CallTimer {
  private timer: NodeJS.Timeout | undefined;
  /** The sweep checking this call, while it does. */
  private sweep: TimeoutSweep | undefined;
  /** This call's neighbours in its sweep's list. */
  sweepPrevious: CallTimer | undefined;
  sweepNext: CallTimer | undefined;
  /** Something happened since the last sweep (swept calls only). */
  private touched = true;
  /** The sweep after which the call has been quiet (swept calls only). */
  private quietSince = 0;
  private controller: Dispatcher.DispatchController | undefined;
  private expired: Error | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly call: TimedCall,
    sweep: TimeoutSweep,
  ) {
    if (!(timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS)) return;
    if (timeoutMs >= sweep.everyMs * SWEPT_TIMEOUT_FACTOR) {
      this.sweep = sweep;
      sweep.add(this);
    } else {
      this.timer = setTimeout(() => this.expire(), timeoutMs);
    }
  }

  /** Undici started the request; `false` when the call already timed out (the request is then aborted). */
  started(controller: Dispatcher.DispatchController): boolean {
    this.controller = controller;
    if (this.expired === undefined) return true;
    controller.abort(this.expired);
    return false;
  }

  refresh(): void {
    if (this.sweep !== undefined) this.touched = true;
    else this.timer?.refresh();
  }

  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.sweep?.delete(this);
    this.sweep = undefined;
  }

  /**
   * A sweep at `now`. The call's last activity came before the sweep that first saw it (`quietSince`),
   * so a call quiet since then for its whole timeout has been quiet at least that long: it never times
   * out early, and at most two sweeps late.
   */
  check(now: number): void {
    if (this.touched || this.call.paused()) {
      this.touched = false;
      this.quietSince = now;
      return;
    }
    if (now - this.quietSince < this.timeoutMs) return;
    this.clear();
    this.fire();
  }

  private expire(): void {
    // A paused read waits for the client, not for the upstream: `refresh()` on resume re-arms the timer.
    if (this.call.paused()) return;
    this.timer = undefined;
    this.fire();
  }

  private fire(): void {
    const error = this.call.headersArrived() ? new undiciErrors.BodyTimeoutError() : new undiciErrors.HeadersTimeoutError();
    if (this.controller !== undefined) {
      this.controller.abort(error);
      return;
    }
    this.expired = error;
    this.call.failQueued(error);
  }
}

/** Receives a streaming answer's body as it arrives. */
export interface UpstreamStreamConsumer {
  onData(piece: Buffer): void;
  onEnd(): void;
  /** A failure on the wire (already a gateway error), or the read was aborted. */
  onError(error: GatewayError): void;
}

/**
 * A streaming answer, its body pushed to one consumer straight from the HTTP parser (no Readable): pieces
 * that arrive before `start()` are kept and delivered first.
 */
export interface UpstreamStream {
  readonly status: number;
  start(consumer: UpstreamStreamConsumer): void;
  /** Stops reading from the socket (backpressure) until `resume()`. */
  pause(): void;
  resume(): void;
  /** Closes the upstream request; the consumer hears `onError` with an `aborted` error unless it already ended. */
  abort(): void;
  /** The whole body as text (for error answers). */
  text(): Promise<string>;
}

/** A whole non-streaming answer. */
export interface UpstreamTextResponse {
  readonly status: number;
  readonly text: string;
}

export interface UpstreamUrl {
  readonly origin: string;
  readonly path: string;
}

const MAX_CACHED_URLS = 10_000;

export class UpstreamClient {
  private readonly pools = new Map<string, Pool>();
  private readonly urls = new Map<string, UpstreamUrl>();
  private readonly options: Required<UpstreamClientOptions>;
  private readonly sweep: TimeoutSweep;

  constructor({ connectionsPerOrigin = 256, keepAliveTimeoutMs = 60_000, connectTimeoutMs = 10_000, timeoutSweepMs = 100 }: UpstreamClientOptions = {}) {
    this.options = { connectionsPerOrigin, keepAliveTimeoutMs, connectTimeoutMs, timeoutSweepMs };
    this.sweep = new TimeoutSweep(timeoutSweepMs);
  }

  private poolFor(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, {
        connections: this.options.connectionsPerOrigin,
        keepAliveTimeout: this.options.keepAliveTimeoutMs,
        connect: { timeout: this.options.connectTimeoutMs },
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** Splits a URL into origin and path once per distinct URL (deployments reuse a handful). */
  target(url: string): UpstreamUrl {
    let parsed = this.urls.get(url);
    if (parsed === undefined) {
      const { origin, pathname, search } = new URL(url);
      parsed = { origin, path: pathname + search };
      if (this.urls.size >= MAX_CACHED_URLS) this.urls.clear();
      this.urls.set(url, parsed);
    }
    return parsed;
  }

  /**
   * Sends the request; resolves when the response headers arrive, with the body still to come. Through
   * undici's dispatch handler: each piece of the body goes from the HTTP parser to the consumer in the
   * same turn (what keeps the time to the first token short), with pause/resume for backpressure.
   */
  sendStreaming(request: UpstreamRequest, options: UpstreamCallOptions): Promise<UpstreamStream> {
    const url = this.target(request.url);
    return new Promise<UpstreamStream>((resolve, reject) => {
      this.dispatch(request, url, options, new DispatchedStream(url.origin, options, this.sweep, resolve, reject), reject);
    });
  }

  /**
   * Sends the request and reads the whole answer as text (non-streaming calls). Through undici's
   * dispatch handler rather than `request()`: the body's pieces are collected as they arrive, with no
   * Readable stream and no promise chain to consume it.
   */
  sendForText(request: UpstreamRequest, options: UpstreamCallOptions): Promise<UpstreamTextResponse> {
    const url = this.target(request.url);
    return new Promise<UpstreamTextResponse>((resolve, reject) => {
      let status = 0;
      let chunks: Buffer[] = [];
      let unsubscribe: (() => void) | undefined;
      let settled = false;
      const settle = (): void => {
        settled = true;
        timer.clear();
        unsubscribe?.();
      };
      const fail = (error: Error): void => {
        if (settled) return;
        settle();
        reject(toUpstreamTransportError(error, url.origin, options.timeoutMs));
      };
      const timer = new CallTimer(options.timeoutMs, { headersArrived: () => status !== 0, paused: () => false, failQueued: fail }, this.sweep);
      const handler: Dispatcher.DispatchHandler = {
        // Also what makes undici take this for a handler of its current (controller-based) interface.
        onRequestStart: (controller) => {
          if (!timer.started(controller)) return;
          unsubscribe = options.signal?.subscribe(() => controller.abort(new undiciErrors.RequestAbortedError()));
        },
        onResponseStart: (_controller, statusCode) => {
          timer.refresh();
          status = statusCode;
          chunks = [];
        },
        onResponseData: (_controller, chunk) => {
          timer.refresh();
          chunks.push(chunk);
        },
        onResponseEnd: () => {
          if (settled) return;
          settle();
          const text = chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8');
          resolve({ status, text });
        },
        onResponseError: (_controller, error) => fail(error),
      };
      this.dispatch(request, url, options, handler, (error) => {
        if (settled) return;
        settle();
        reject(error);
      });
    });
  }

  /** Hands the request to the origin's pool; a request undici refuses outright rejects like a wire failure. */
  private dispatch(
    request: UpstreamRequest,
    url: UpstreamUrl,
    options: UpstreamCallOptions,
    handler: Dispatcher.DispatchHandler,
    reject: (error: GatewayError) => void,
  ): void {
    try {
      this.poolFor(url.origin).dispatch(
        {
          path: url.path,
          method: request.method,
          headers: request.headers,
          body: request.body ?? null,
          // Off: the call's own timer does this (see the top of this file).
          headersTimeout: 0,
          bodyTimeout: 0,
        },
        handler,
      );
    } catch (error) {
      reject(toUpstreamTransportError(error, url.origin, options.timeoutMs));
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.close()));
    this.pools.clear();
    this.sweep.stop();
  }
}

/** The dispatch handler behind `sendStreaming`, and the stream it resolves with. */
class DispatchedStream implements Dispatcher.DispatchHandler, UpstreamStream, TimedCall {
  status = 0;
  private controller: Dispatcher.DispatchController | undefined;
  private consumer: UpstreamStreamConsumer | undefined;
  private queued: Buffer[] = [];
  private ended = false;
  private failure: GatewayError | undefined;
  private started = false;
  private finished = false;
  private readingPaused = false;
  private unsubscribe: (() => void) | undefined;
  private readonly timer: CallTimer;

  constructor(
    private readonly origin: string,
    private readonly options: UpstreamCallOptions,
    sweep: TimeoutSweep,
    private readonly resolveHeaders: (stream: UpstreamStream) => void,
    private readonly rejectHeaders: (error: GatewayError) => void,
  ) {
    this.timer = new CallTimer(options.timeoutMs, this, sweep);
  }

  headersArrived(): boolean {
    return this.started;
  }

  paused(): boolean {
    return this.readingPaused;
  }

  failQueued(error: Error): void {
    this.onResponseError(undefined, error);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (!this.timer.started(controller)) return;
    const signal = this.options.signal;
    if (signal === undefined) return;
    this.unsubscribe = signal.subscribe(() => this.abort());
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.timer.refresh();
    this.status = statusCode;
    this.started = true;
    this.resolveHeaders(this);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.timer.refresh();
    if (this.consumer === undefined) this.queued.push(chunk);
    else this.consumer.onData(chunk);
  }

  onResponseEnd(): void {
    this.ended = true;
    this.cleanUp();
    if (this.consumer !== undefined) this.finish(() => this.consumer?.onEnd());
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (this.failure !== undefined || this.ended) return;
    const failure = toUpstreamTransportError(error, this.origin, this.options.timeoutMs);
    this.cleanUp();
    this.failure = failure;
    if (!this.started) {
      this.rejectHeaders(failure);
      return;
    }
    if (this.consumer !== undefined) this.finish(() => this.consumer?.onError(failure));
  }

  start(consumer: UpstreamStreamConsumer): void {
    if (this.consumer !== undefined) throw new Error('an upstream stream has one consumer');
    this.consumer = consumer;
    const queued = this.queued;
    this.queued = [];
    for (const piece of queued) {
      if (this.finished) return;
      consumer.onData(piece);
    }
    const failure = this.failure;
    if (failure !== undefined) this.finish(() => consumer.onError(failure));
    else if (this.ended) this.finish(() => consumer.onEnd());
  }

  pause(): void {
    if (this.finished) return;
    this.readingPaused = true;
    this.controller?.pause();
  }

  resume(): void {
    if (this.finished) return;
    this.readingPaused = false;
    this.timer.refresh();
    this.controller?.resume();
  }

  abort(): void {
    if (this.finished || this.ended || this.failure !== undefined) return;
    this.controller?.abort(new undiciErrors.RequestAbortedError());
  }

  text(): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const pieces: Buffer[] = [];
      this.start({
        onData: (piece) => pieces.push(piece),
        onEnd: () => resolve(Buffer.concat(pieces).toString('utf8')),
        onError: reject,
      });
    });
  }

  private finish(notify: () => void): void {
    if (this.finished) return;
    this.finished = true;
    notify();
  }

  private cleanUp(): void {
    this.timer.clear();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}

/** Maps undici and socket failures to gateway errors; the message names the host, never headers. */
export function toUpstreamTransportError(error: unknown, origin: string, timeoutMs: number): GatewayError {
  if (error instanceof GatewayError) return error;
  const host = safeHost(origin);
  if (
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError ||
    error instanceof undiciErrors.ConnectTimeoutError
  ) {
    return new UpstreamTimeoutError(`upstream ${host} did not answer within ${timeoutMs} ms`, { cause: error });
  }
  if (error instanceof undiciErrors.RequestAbortedError || (error instanceof Error && error.name === 'AbortError')) {
    return new UpstreamError(`request to ${host} was aborted`, { code: 'aborted', cause: error });
  }
  const code = (error as { code?: string } | null)?.code;
  const detail = code ?? (error instanceof Error ? error.name : 'unknown error');
  return new UpstreamError(`could not reach upstream ${host} (${detail})`, { code: 'upstream_unreachable', cause: error });
}

function safeHost(origin: string): string {
  try {
    return new URL(origin).host;
  } catch {
    return 'upstream';
  }
}
