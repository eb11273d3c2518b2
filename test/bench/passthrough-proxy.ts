/**
 * The benchmark's second baseline: the least a Node proxy can do. A `node:http` server forwards method,
 * path, headers and body to one upstream through an undici `Pool` (the gateway's HTTP client, keep-alive)
 * and streams the answer back chunk by chunk as it arrives. No parsing, no validation, no auth.
 *
 * The request body is read whole before it is forwarded (a few hundred bytes here): the gateway must do
 * the same to parse the JSON, and undici sends a `Buffer` more cheaply than a stream.
 *
 * Run as a child process (`node passthrough-proxy.js --upstream http://127.0.0.1:N`): it listens on
 * 127.0.0.1 on a random port, prints `{"port":N}` on stdout and exits when its stdin closes.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';

/** Connection-scoped headers that a proxy must not forward (RFC 9110 §7.6.1), plus `host`. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host'];

export interface PassthroughProxyOptions {
  /** Origin of the upstream, such as `http://127.0.0.1:8080`. */
  readonly upstream: string;
  /**
   * Port to listen on.
   * @default 0 - a random free port
   */
  readonly port?: number;
  /**
   * Upstream connections kept (the gateway's default).
   * @default 256
   */
  readonly connections?: number;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const pieces: Buffer[] = [];
    request.on('data', (piece: Buffer) => pieces.push(piece));
    request.on('end', () => resolveBody(Buffer.concat(pieces)));
    request.on('error', reject);
  });
}

function forwardableRequestHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const forwarded: IncomingHttpHeaders = { ...headers };
  for (const name of HOP_BY_HOP) delete forwarded[name];
  return forwarded;
}

function forwardableResponseHeaders(headers: Dispatcher.ResponseData['headers']): OutgoingHttpHeaders {
  const forwarded: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.includes(name)) forwarded[name] = value;
  }
  return forwarded;
}

async function forward(pool: Pool, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const body = await readBody(request);
  const controller = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  const upstream = await pool.request({
    path: request.url ?? '/',
    method: (request.method ?? 'GET') as Dispatcher.HttpMethod,
    headers: forwardableRequestHeaders(request.headers),
    body: body.length > 0 ? body : null,
    signal: controller.signal,
  });
  response.writeHead(upstream.statusCode, forwardableResponseHeaders(upstream.headers));
  for await (const chunk of upstream.body) {
    if (!response.write(chunk as Buffer)) {
      await new Promise<void>((resolveDrain) => {
        const done = (): void => {
          response.off('drain', done);
          response.off('close', done);
          resolveDrain();
        };
        response.on('drain', done);
        response.on('close', done);
      });
      if (response.destroyed) break;
    }
  }
  response.end();
}

export async function startPassthroughProxy({ upstream, port = 0, connections = 256 }: PassthroughProxyOptions): Promise<{
  readonly server: Server;
  readonly port: number;
  readonly pool: Pool;
}> {
  const pool = new Pool(upstream, { connections, keepAliveTimeout: 60_000 });
  const server = createServer((request, response) => {
    forward(pool, request, response).catch(() => {
      if (!response.headersSent) {
        response.writeHead(502, { 'content-type': 'application/json' });
        response.end('{"error":{"message":"upstream failed","type":"api_error","param":null,"code":"bad_gateway"}}');
      } else {
        response.destroy();
      }
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolveListen) => server.listen(port, '127.0.0.1', resolveListen));
  return { server, port: (server.address() as AddressInfo).port, pool };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { upstream: { type: 'string' } } });
  if (values.upstream === undefined) {
    process.stderr.write('usage: passthrough-proxy --upstream http://127.0.0.1:PORT\n');
    process.exit(2);
  }
  const { port } = await startPassthroughProxy({ upstream: values.upstream });
  process.stdout.write(`${JSON.stringify({ port })}\n`);
  // Exit through process.exit() (so `--cpu-prof` writes its profile) on SIGTERM or when the bench is gone.
  process.once('SIGTERM', () => process.exit(0));
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}
