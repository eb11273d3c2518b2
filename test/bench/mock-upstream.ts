/**
 * The benchmark's upstream: a loopback server that answers `POST /v1/chat/completions` like OpenAI, with
 * fixed bodies so every target is compared on the same bytes.
 *
 * - non-streaming: one precomputed `chat.completion` JSON (~600 bytes, with usage);
 * - `stream: true`: 20 `chat.completion.chunk` events, the first written together with the headers and
 *   the rest `streamGapMs` apart, then a finish chunk, a usage chunk and `data: [DONE]` — so the time to
 *   the first token is meaningful and the stream takes a known time.
 *
 * Run as a child process (`node mock-upstream.js [--stream-gap-ms N]`): it listens on 127.0.0.1 on a random
 * port, prints `{"port":N}` on stdout and exits when its stdin closes (the bench died).
 */
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The text the mock answers, split into the stream's content deltas. */
export const BENCH_COMPLETION_PIECES: readonly string[] = [
  'Hello',
  '!',
  ' I',
  "'m",
  ' a',
  ' benchmark',
  ' upstream',
  ',',
  ' answering',
  ' every',
  ' request',
  ' with',
  ' the',
  ' same',
  ' short',
  ' and',
  ' friendly',
  ' sentence',
  ' today',
  '.',
];

export const BENCH_COMPLETION_TEXT = BENCH_COMPLETION_PIECES.join('');

const CREATED = 1_735_689_600;
const USAGE = {
  prompt_tokens: 27,
  completion_tokens: BENCH_COMPLETION_PIECES.length,
  total_tokens: 27 + BENCH_COMPLETION_PIECES.length,
  prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
};

/** The non-streaming answer, as OpenAI writes it. */
export function benchCompletionBody(model: string): string {
  return JSON.stringify({
    id: 'chatcmpl-BENCH0000000000000000000000001',
    object: 'chat.completion',
    created: CREATED,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: BENCH_COMPLETION_TEXT, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: USAGE,
    service_tier: 'default',
    system_fingerprint: 'fp_bench00001',
  });
}

function chunkEvent(model: string, choices: unknown[], usage: unknown = null): string {
  return `data: ${JSON.stringify({
    id: 'chatcmpl-BENCH0000000000000000000000002',
    object: 'chat.completion.chunk',
    created: CREATED,
    model,
    service_tier: 'default',
    system_fingerprint: 'fp_bench00001',
    choices,
    usage,
  })}\n\n`;
}

/** The stream's events: one per content delta, then one tail (finish chunk, usage chunk, `[DONE]`). */
export function benchStreamEvents(model: string): { readonly deltas: readonly string[]; readonly tail: string } {
  const deltas = BENCH_COMPLETION_PIECES.map((piece, index) =>
    chunkEvent(model, [
      {
        index: 0,
        delta: index === 0 ? { role: 'assistant', content: piece, refusal: null } : { content: piece },
        logprobs: null,
        finish_reason: null,
      },
    ]),
  );
  const tail =
    chunkEvent(model, [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]) +
    chunkEvent(model, [], USAGE) +
    'data: [DONE]\n\n';
  return { deltas, tail };
}

export interface MockUpstreamOptions {
  /**
   * Milliseconds between two stream events after the first.
   * @default 2
   */
  readonly streamGapMs?: number;
  /**
   * Port to listen on.
   * @default 0 - a random free port
   */
  readonly port?: number;
}

/** The answers for one model: the whole non-streaming body, and the stream's events. */
interface PreparedAnswers {
  readonly completion: Buffer;
  readonly stream: { readonly deltas: readonly string[]; readonly tail: string };
}

const HEAD_END = Buffer.from('\r\n\r\n');
/** Requests whose head is larger are refused (431) and the connection closed. */
const MAX_HEAD_BYTES = 64 * 1024;
const NOT_FOUND_BODY = '{"error":{"message":"not found","type":"invalid_request_error","param":null,"code":null}}';
const MALFORMED_BODY = '{"error":{"message":"malformed JSON","type":"invalid_request_error","param":null,"code":null}}';

/** The headers Node's HTTP server adds to every response, so clients parse what they would parse there. */
class ServerHeaders {
  private second = -1;
  private text = '';

  /** `Date`, `Connection` and `Keep-Alive` lines (each ending in CRLF), rebuilt once a second. */
  lines(keepAlive: boolean): string {
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (second !== this.second) {
      this.second = second;
      this.text = `Date: ${new Date(second * 1000).toUTCString()}\r\n`;
    }
    return keepAlive ? `${this.text}Connection: keep-alive\r\nKeep-Alive: timeout=65\r\n` : `${this.text}Connection: close\r\n`;
  }
}

function statusText(status: number): string {
  return status === 200 ? 'OK' : status === 400 ? 'Bad Request' : status === 404 ? 'Not Found' : status === 431 ? 'Request Header Fields Too Large' : 'Error';
}

/** One parsed request. */
interface ParsedRequest {
  readonly method: string;
  readonly target: string;
  readonly body: Buffer;
  readonly keepAlive: boolean;
}

/**
 * Reads a chunked body starting at `from`: the body and where the message ends, `undefined` while it is
 * incomplete, or `null` when it is malformed.
 */
function readChunked(buffer: Buffer, from: number): { body: Buffer; end: number } | undefined | null {
  const pieces: Buffer[] = [];
  let at = from;
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(buffer.toString('latin1', at, lineEnd).split(';')[0] ?? '', 16);
    if (!Number.isInteger(size) || size < 0) return null;
    if (size === 0) {
      // No trailers from the clients here: the last chunk is followed by an empty line.
      if (buffer.length < lineEnd + 4) return undefined;
      return { body: Buffer.concat(pieces), end: lineEnd + 4 };
    }
    if (buffer.length < lineEnd + 2 + size + 2) return undefined;
    pieces.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/**
 * One client connection: HTTP/1.1 requests one after the other (keep-alive; a pipelined request waits
 * for the response before it), parsed just enough to answer them: request line, `content-length` or
 * chunked body, `connection`.
 */
class UpstreamConnection {
  private buffered: Buffer | undefined;
  /** A stream is being written: requests behind it wait. */
  private streaming = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly answersFor: (model: string) => PreparedAnswers,
    private readonly headers: ServerHeaders,
    private readonly streamGapMs: number,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (piece: Buffer) => {
      this.buffered = this.buffered === undefined ? piece : Buffer.concat([this.buffered, piece]);
      this.drain();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => clearTimeout(this.timer));
  }

  private drain(): void {
    while (!this.streaming && this.buffered !== undefined && !this.socket.destroyed) {
      const request = this.next();
      if (request === undefined) return;
      this.answer(request);
    }
  }

  /** The next whole request in the buffer, taken out of it; `undefined` while it is incomplete. */
  private next(): ParsedRequest | undefined {
    const buffer = this.buffered as Buffer;
    const headEnd = buffer.indexOf(HEAD_END);
    if (headEnd < 0) {
      if (buffer.length > MAX_HEAD_BYTES) this.fail(431);
      return undefined;
    }
    const lines = buffer.toString('latin1', 0, headEnd).split('\r\n');
    const [method = '', target = '', version = ''] = (lines[0] ?? '').split(' ');
    let contentLength = 0;
    let chunked = false;
    let connection = '';
    for (let index = 1; index < lines.length; index += 1) {
      const line = lines[index] as string;
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') contentLength = Number(value);
      else if (name === 'transfer-encoding') chunked = value.toLowerCase().includes('chunked');
      else if (name === 'connection') connection = value.toLowerCase();
    }
    const keepAlive = version === 'HTTP/1.1' ? connection !== 'close' : connection === 'keep-alive';
    const bodyStart = headEnd + HEAD_END.length;
    let body: Buffer;
    let end: number;
    if (chunked) {
      const read = readChunked(buffer, bodyStart);
      if (read === null) {
        this.fail(400);
        return undefined;
      }
      if (read === undefined) return undefined;
      ({ body, end } = read);
    } else {
      if (!Number.isSafeInteger(contentLength) || contentLength < 0) {
        this.fail(400);
        return undefined;
      }
      end = bodyStart + contentLength;
      if (buffer.length < end) return undefined;
      body = buffer.subarray(bodyStart, end);
    }
    this.buffered = end < buffer.length ? buffer.subarray(end) : undefined;
    return { method, target, body, keepAlive };
  }

  private answer({ method, target, body, keepAlive }: ParsedRequest): void {
    if (method !== 'POST' || (target !== '/v1/chat/completions' && target !== '/chat/completions')) {
      this.writeJson(404, NOT_FOUND_BODY, keepAlive);
      return;
    }
    let parsed: { model?: unknown; stream?: unknown };
    try {
      parsed = JSON.parse(body.toString('utf8')) as { model?: unknown; stream?: unknown };
    } catch {
      this.writeJson(400, MALFORMED_BODY, keepAlive);
      return;
    }
    const answers = this.answersFor(typeof parsed.model === 'string' ? parsed.model : 'bench-model');
    if (parsed.stream === true) {
      this.writeStream(answers, keepAlive);
      return;
    }
    const head = `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${answers.completion.length}\r\n${this.headers.lines(keepAlive)}\r\n`;
    this.socket.write(Buffer.concat([Buffer.from(head, 'latin1'), answers.completion]));
    if (!keepAlive) this.socket.end();
  }

  private writeJson(status: number, text: string, keepAlive: boolean): void {
    this.socket.write(
      `HTTP/1.1 ${status} ${statusText(status)}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n` +
        `${this.headers.lines(keepAlive)}\r\n${text}`,
    );
    if (!keepAlive) this.socket.end();
  }

  /** A request this server cannot read: answered, then the connection is closed. */
  private fail(status: number): void {
    this.buffered = undefined;
    this.writeJson(status, `{"error":{"message":"${statusText(status)}","type":"invalid_request_error","param":null,"code":null}}`, false);
  }

  /** The first event leaves with the headers, the rest `streamGapMs` apart, as chunks. */
  private writeStream(answers: PreparedAnswers, keepAlive: boolean): void {
    const { deltas, tail } = answers.stream;
    const chunk = (text: string): string => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
    this.streaming = true;
    this.socket.write(
      'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\ncache-control: no-cache\r\n' +
        `${this.headers.lines(keepAlive)}Transfer-Encoding: chunked\r\n\r\n${chunk(deltas[0] ?? '')}`,
    );
    let next = 1;
    const writeNext = (): void => {
      if (this.socket.destroyed) return;
      if (next < deltas.length) {
        this.socket.write(chunk(deltas[next] ?? ''));
        next += 1;
        this.timer = setTimeout(writeNext, this.streamGapMs);
        return;
      }
      this.socket.write(`${chunk(tail)}0\r\n\r\n`);
      this.streaming = false;
      if (!keepAlive) this.socket.end();
      else this.drain();
    };
    this.timer = setTimeout(writeNext, this.streamGapMs);
  }
}

/**
 * Starts the mock on 127.0.0.1. It speaks HTTP/1.1 over plain sockets (no `node:http`): on a 2-core
 * machine it shares a core with the load generator, and every microsecond it spends there is one the
 * load generator cannot use. The bytes clients read are what Node's HTTP server would send: the same
 * status lines and headers (`Date`, `Connection`, `Keep-Alive`), `content-length` bodies and chunked streams.
 */
export async function startMockUpstream({ streamGapMs = 2, port = 0 }: MockUpstreamOptions = {}): Promise<{
  readonly server: Server;
  readonly port: number;
}> {
  const byModel = new Map<string, PreparedAnswers>();
  const answersFor = (model: string): PreparedAnswers => {
    let answers = byModel.get(model);
    if (answers === undefined) {
      answers = { completion: Buffer.from(benchCompletionBody(model)), stream: benchStreamEvents(model) };
      if (byModel.size < 16) byModel.set(model, answers);
    }
    return answers;
  };
  const headers = new ServerHeaders();
  const server = createTcpServer((socket) => new UpstreamConnection(socket, answersFor, headers, streamGapMs));
  await new Promise<void>((resolveListen) => server.listen(port, '127.0.0.1', resolveListen));
  return { server, port: (server.address() as AddressInfo).port };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { 'stream-gap-ms': { type: 'string' } } });
  const { port } = await startMockUpstream({ streamGapMs: Number(values['stream-gap-ms'] ?? '2') });
  process.stdout.write(`${JSON.stringify({ port })}\n`);
  // Exit through process.exit() (so `--cpu-prof` writes its profile) on SIGTERM or when the bench is gone.
  process.once('SIGTERM', () => process.exit(0));
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}
