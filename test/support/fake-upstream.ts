/**
 * A loopback server that answers like OpenAI, Anthropic and Ollama, replaying the recorded fixtures under
 * `test/gateway/providers/<provider>/__fixtures__/`. The scenario is the upstream model name the gateway
 * sends (`text`, `tools`, `error-429`, …), so a test picks it through the deployment's
 * `litellm_params.model` (`openai/text`).
 *
 * Streams are written one SSE event (or NDJSON line) at a time; the `…-bytewise` scenarios write them one
 * byte at a time, flushing each byte, so the gateway's stream handling sees every possible split.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Record<string, unknown>;
}

export interface FakeUpstream {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Requests whose connection the gateway closed before the fake finished answering. */
  readonly abortedRequests: RecordedRequest[];
  /** Number of in-flight requests. */
  inFlight(): number;
  close(): Promise<void>;
}

type Provider = 'openai' | 'anthropic' | 'ollama';

function fixturePath(provider: Provider, name: string): string {
  return new URL(`../gateway/providers/${provider}/__fixtures__/${provider}-${name}`, import.meta.url).pathname;
}

function fixture(provider: Provider, name: string): string {
  return readFileSync(fixturePath(provider, name), 'utf8');
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (piece: string) => (text += piece));
    request.on('end', () => resolve(text));
    request.on('error', reject);
  });
}

/** Splits a recorded stream into the units the provider writes: SSE events or NDJSON lines. */
function streamUnits(text: string, provider: Provider): string[] {
  if (provider === 'ollama') return text.split(/(?<=\n)/).filter((line) => line.length > 0);
  return text.split(/(?<=\n\n)/).filter((event) => event.length > 0);
}

async function writeStream(
  response: ServerResponse,
  text: string,
  provider: Provider,
  options: { bytewise?: boolean; hang?: boolean; contentType: string; firstUnitDelayMs?: number },
): Promise<void> {
  response.writeHead(200, { 'content-type': options.contentType, 'cache-control': 'no-cache' });
  response.flushHeaders();
  if (options.firstUnitDelayMs !== undefined) await sleep(options.firstUnitDelayMs);
  const units = options.bytewise ? [...Buffer.from(text, 'utf8')].map((byte) => Buffer.from([byte])) : streamUnits(text, provider);
  for (const unit of units) {
    if (response.destroyed) return;
    response.write(unit);
    await sleep(options.bytewise ? 0 : 1);
  }
  if (options.hang) return; // keep the connection open until the gateway closes it
  response.end();
}

function json(response: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(body);
}

function text(response: ServerResponse, status: number, body: string, contentType = 'text/html'): void {
  response.writeHead(status, { 'content-type': contentType });
  response.end(body);
}

/** Scenario → fixture base name for each provider. */
const CHAT_FIXTURES: Record<Provider, Record<string, string>> = {
  openai: { text: 'text', tools: 'tool-call', 'midstream-error': 'midstream-error', truncated: 'truncated' },
  anthropic: { text: 'text', tools: 'tool-call', 'midstream-error': 'error-event', truncated: 'truncated' },
  ollama: { text: 'text', tools: 'tool-call', 'midstream-error': 'stream-error', truncated: 'truncated' },
};

const ERROR_FIXTURES: Record<Provider, Record<string, [number, string, string]>> = {
  openai: {
    'error-429': [429, 'error-429.json', 'application/json'],
    'error-400': [400, 'error-400.json', 'application/json'],
    'error-401': [401, 'error-401.json', 'application/json'],
    'error-5xx': [502, 'error-5xx.txt', 'text/html'],
    'error-malformed': [500, 'error-malformed.txt', 'application/json'],
  },
  anthropic: {},
  ollama: {},
};

/** Anthropic's error recordings are `{status, body}` (JSON) or `{status, bodyText}` (anything else) files. */
const ANTHROPIC_ERRORS: Record<string, string> = {
  'error-429': 'error-rate-limit.json',
  'error-5xx': 'error-plain-text.json',
  'error-overloaded': 'error-overloaded.json',
  'error-400': 'error-invalid-request.json',
};

function anthropicError(scenario: string): [number, string] | undefined {
  const file = ANTHROPIC_ERRORS[scenario];
  if (file === undefined) return undefined;
  const recording = JSON.parse(fixture('anthropic', file)) as { status: number; body?: unknown; bodyText?: string };
  return [recording.status, recording.bodyText ?? JSON.stringify(recording.body)];
}

/** Ollama's error recordings are one list (`ollama-errors.json`); scenario `error-<status>` picks the first with that status. */
function ollamaError(scenario: string): [number, string] | undefined {
  const status = /^error-(\d{3})$/.exec(scenario)?.[1];
  if (status === undefined) return undefined;
  const recordings = JSON.parse(fixture('ollama', 'errors.json')) as { status: number; body: string }[];
  const found = recordings.find((recording) => recording.status === Number(status));
  return found ? [found.status, found.body] : undefined;
}

async function answerChat(provider: Provider, model: string, body: Record<string, unknown>, response: ServerResponse): Promise<void> {
  const stream = provider === 'ollama' ? body.stream !== false : body.stream === true;
  const bytewise = model.endsWith('-bytewise');
  let scenario = bytewise ? model.slice(0, -'-bytewise'.length) : model;
  if (scenario === 'slow') {
    await sleep(3_000);
    scenario = 'text';
  }
  const hang = scenario === 'hang';
  if (hang) scenario = 'text';
  // `thinking`: the stream's headers at once, its first event only after 400 ms (a reasoning model).
  const thinking = scenario === 'thinking';
  if (thinking) scenario = 'text';
  if (scenario === 'echo') {
    const echoed = JSON.parse(fixture('openai', 'text.json'));
    echoed.choices[0].message.content = JSON.stringify(body);
    return json(response, 200, JSON.stringify(echoed));
  }
  const recorded = provider === 'ollama' ? ollamaError(scenario) : provider === 'anthropic' ? anthropicError(scenario) : undefined;
  if (recorded) return json(response, recorded[0], recorded[1]);
  const error = ERROR_FIXTURES[provider][scenario];
  if (error) {
    const [status, file, contentType] = error;
    const headers: Record<string, string> = status === 429 ? { 'retry-after': '20' } : {};
    response.writeHead(status, { 'content-type': contentType, ...headers });
    return void response.end(fixture(provider, file));
  }
  const base = CHAT_FIXTURES[provider][scenario];
  if (base === undefined) return text(response, 404, `fake upstream has no scenario '${scenario}' for ${provider}`, 'text/plain');
  if (stream) {
    const contentType = provider === 'ollama' ? 'application/x-ndjson' : 'text/event-stream';
    let recorded = fixture(provider, `${base}.chunks.txt`);
    if (hang) recorded = streamUnits(recorded, provider).slice(0, 2).join('');
    return writeStream(response, recorded, provider, { bytewise, hang, contentType, ...(thinking ? { firstUnitDelayMs: 400 } : {}) });
  }
  return json(response, 200, fixture(provider, `${base}.json`));
}

async function route(request: IncomingMessage, response: ServerResponse, body: Record<string, unknown>): Promise<void> {
  const path = (request.url ?? '/').split('?')[0] ?? '/';
  const model = String(body.model ?? '');
  if (path.endsWith('/chat/completions')) return answerChat('openai', model, body, response);
  if (path === '/v1/messages') return answerChat('anthropic', model, body, response);
  if (path === '/api/chat') return answerChat('ollama', model, body, response);
  if (path.endsWith('/embeddings')) {
    if (ERROR_FIXTURES.openai[model]) return answerChat('openai', model, body, response);
    return json(response, 200, fixture('openai', 'embedding.json'));
  }
  if (path.endsWith('/completions')) {
    if (body.stream === true) {
      return writeStream(response, fixture('openai', 'completion.chunks.txt'), 'openai', { contentType: 'text/event-stream' });
    }
    return json(response, 200, fixture('openai', 'completion.json'));
  }
  if (path === '/api/embed') return json(response, 200, fixture('ollama', 'embed.json'));
  if (path === '/api/generate' && existsSync(fixturePath('ollama', 'generate.json'))) {
    return json(response, 200, fixture('ollama', 'generate.json'));
  }
  return text(response, 404, 'not found', 'text/plain');
}

export async function startFakeUpstream(): Promise<FakeUpstream> {
  const requests: RecordedRequest[] = [];
  const abortedRequests: RecordedRequest[] = [];
  let inFlight = 0;
  const server: Server = createServer((request, response) => {
    inFlight++;
    response.on('close', () => inFlight--);
    void readBody(request).then(async (raw) => {
      let body: Record<string, unknown> = {};
      try {
        body = raw.length > 0 ? JSON.parse(raw) : {};
      } catch {
        return text(response, 400, 'fake upstream: body is not JSON', 'text/plain');
      }
      const recorded = { method: request.method ?? 'GET', path: request.url ?? '/', headers: request.headers, body };
      requests.push(recorded);
      response.on('close', () => {
        if (!response.writableFinished) abortedRequests.push(recorded);
      });
      await route(request, response, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    abortedRequests,
    inFlight: () => inFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
