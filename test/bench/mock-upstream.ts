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
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
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

interface PreparedAnswers {
  readonly completion: Buffer;
  readonly stream: { readonly deltas: readonly string[]; readonly tail: string };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const pieces: Buffer[] = [];
    request.on('data', (piece: Buffer) => pieces.push(piece));
    request.on('end', () => resolveBody(Buffer.concat(pieces).toString('utf8')));
    request.on('error', reject);
  });
}

function writeStream(response: ServerResponse, answers: PreparedAnswers, gapMs: number): void {
  const { deltas, tail } = answers.stream;
  response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  let next = 0;
  let timer: NodeJS.Timeout | undefined;
  response.once('close', () => clearTimeout(timer));
  const writeNext = (): void => {
    if (response.destroyed) return;
    if (next < deltas.length) {
      response.write(deltas[next] ?? '');
      next += 1;
      timer = setTimeout(writeNext, gapMs);
      return;
    }
    response.end(tail);
  };
  writeNext(); // the first event leaves with the headers
}

function notFound(response: ServerResponse): void {
  response.writeHead(404, { 'content-type': 'application/json' });
  response.end('{"error":{"message":"not found","type":"invalid_request_error","param":null,"code":null}}');
}

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

  const server = createServer((request, response) => {
    if (request.method !== 'POST' || (request.url !== '/v1/chat/completions' && request.url !== '/chat/completions')) {
      request.resume();
      notFound(response);
      return;
    }
    readBody(request).then(
      (text) => {
        let body: { model?: unknown; stream?: unknown };
        try {
          body = JSON.parse(text) as { model?: unknown; stream?: unknown };
        } catch {
          response.writeHead(400, { 'content-type': 'application/json' });
          response.end('{"error":{"message":"malformed JSON","type":"invalid_request_error","param":null,"code":null}}');
          return;
        }
        const answers = answersFor(typeof body.model === 'string' ? body.model : 'bench-model');
        if (body.stream === true) {
          writeStream(response, answers, streamGapMs);
          return;
        }
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': answers.completion.length });
        response.end(answers.completion);
      },
      () => response.destroy(),
    );
  });
  // Longer than any client's idle keep-alive, so pooled connections are never closed under a request.
  server.keepAliveTimeout = 65_000;
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
