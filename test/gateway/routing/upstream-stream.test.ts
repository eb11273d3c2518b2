/**
 * The upstream body path without a Readable: undici's dispatch handler hands each piece to the chunk
 * source in the parser's turn. Checked against a real loopback server (queueing before the consumer
 * starts, error answers, timeouts, aborts, backpressure) and with a scripted stream (the chunk source).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamError, UpstreamTimeoutError } from '../../../gateway/errors';
import type { GatewayError } from '../../../gateway/errors';
import { Cancellation, UpstreamClient, chunkSourceFromUpstream } from '../../../gateway/routing';
import type { UpstreamStream, UpstreamStreamConsumer } from '../../../gateway/routing';
import type { StreamTranslator } from '../../../gateway/providers';

let server: Server;
let base: string;
/**
 * The timeout tests run twice: with the default client, whose sweep is too coarse for their 150-200 ms
 * timeouts (a Node timer per call), and with one sweeping every 10 ms, which checks them all.
 */
const clients = { 'a Node timer per call': new UpstreamClient(), 'the shared sweep': new UpstreamClient({ timeoutSweepMs: 10 }) };
const client = clients['a Node timer per call'];
/** Bytes the server managed to hand to the socket per request path, for the backpressure check. */
const written = new Map<string, number>();

const routes: Record<string, (request: IncomingMessage, response: ServerResponse) => void> = {
  '/events': (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.write('data: one\n\n');
    setTimeout(() => response.end('data: two\n\n'), 20);
  },
  '/error': (_request, response) => {
    response.writeHead(429, { 'content-type': 'application/json' });
    response.end('{"error":{"message":"slow down"}}');
  },
  '/silent': () => undefined,
  '/trickle': (_request, response) => {
    // six pieces 60 ms apart: longer in all than the 150 ms timeout, never idle that long
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    let sent = 0;
    const timer = setInterval(() => {
      sent += 1;
      response.write(`data: ${sent}\n\n`);
      if (sent === 6) {
        clearInterval(timer);
        response.end();
      }
    }, 60);
  },
  '/late-rest': (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.write('data: first\n\n');
    setTimeout(() => response.end('data: rest\n\n'), 300);
  },
  '/stall': (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.write('data: first\n\n');
  },
  '/firehose': (request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    const piece = `data: ${'x'.repeat(16 * 1024)}\n\n`;
    let count = 0;
    const pump = (): void => {
      while (count < 2000) {
        count += 1;
        written.set('/firehose', (written.get('/firehose') ?? 0) + piece.length);
        if (!response.write(piece)) {
          response.once('drain', pump);
          return;
        }
      }
      response.end();
    };
    request.socket.on('close', () => response.destroy());
    pump();
  },
};

beforeAll(async () => {
  server = createServer((request, response) => routes[request.url ?? '']?.(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const each of Object.values(clients)) await each.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const post = (path: string, timeoutMs = 5000, signal?: Cancellation, via: UpstreamClient = client): Promise<UpstreamStream> =>
  via.sendStreaming({ url: `${base}${path}`, method: 'POST', headers: {}, body: '{}' }, { timeoutMs, ...(signal ? { signal } : {}) });

function collect(stream: UpstreamStream): Promise<{ text: string; error?: GatewayError }> {
  return new Promise((resolve) => {
    let text = '';
    stream.start({
      onData: (piece) => (text += piece.toString()),
      onEnd: () => resolve({ text }),
      onError: (error) => resolve({ text, error }),
    });
  });
}

describe('UpstreamClient.sendStreaming', () => {
  it('resolves at the headers and delivers pieces that came before the consumer started, in order', async () => {
    const stream = await post('/events');
    expect(stream.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 5)); // 'one' arrives before start()
    expect(await collect(stream)).toEqual({ text: 'data: one\n\ndata: two\n\n' });
  });

  it('reads an error answer whole', async () => {
    const stream = await post('/error');
    expect(stream.status).toBe(429);
    expect(await stream.text()).toBe('{"error":{"message":"slow down"}}');
  });

  it('aborts when the call is cancelled, before or after the headers', async () => {
    const before = new Cancellation();
    before.cancel();
    await expect(post('/events', 5000, before)).rejects.toMatchObject({ code: 'aborted' });

    const after = new Cancellation();
    const stream = await post('/stall', 5000, after);
    const result = collect(stream);
    after.cancel();
    const { error } = await result;
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error?.code).toBe('aborted');
  });

  it('stops reading while paused, so a slow client holds the upstream back', async () => {
    const stream = await post('/firehose');
    let received = 0;
    stream.start({ onData: (piece) => (received += piece.length), onEnd: () => undefined, onError: () => undefined });
    stream.pause();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const whilePaused = written.get('/firehose') ?? 0;
    // the server is stuck at its socket buffers, far from the 32 MiB it would send
    expect(whilePaused).toBeLessThan(8 * 1024 * 1024);
    stream.resume();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received).toBeGreaterThan(0);
    stream.abort();
  });
});

describe.each(Object.entries(clients))('upstream timeouts with %s', (_name, via) => {
  it('times out a body that stops arriving, as a 504-class error', async () => {
    const stream = await post('/stall', 200, undefined, via);
    const result = await collect(stream);
    expect(result.text).toBe('data: first\n\n');
    expect(result.error).toBeInstanceOf(UpstreamTimeoutError);
  });

  it('times out an upstream that never answers, as a 504-class error', async () => {
    const started = performance.now();
    await expect(post('/silent', 150, undefined, via)).rejects.toBeInstanceOf(UpstreamTimeoutError);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('counts the timeout between pieces, not over the whole answer', async () => {
    const result = await collect(await post('/trickle', 150, undefined, via));
    expect(result.error).toBeUndefined();
    expect(result.text).toBe('data: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\ndata: 5\n\ndata: 6\n\n');
  });

  it('does not time out a read paused for a slow client, and counts again from the resume', async () => {
    const stream = await post('/late-rest', 150, undefined, via);
    let text = '';
    const ended = new Promise<GatewayError | undefined>((resolve) =>
      stream.start({ onData: (piece) => (text += piece.toString()), onEnd: () => resolve(undefined), onError: resolve }),
    );
    stream.pause();
    await new Promise((resolve) => setTimeout(resolve, 500));
    stream.resume();
    expect(await ended).toBeUndefined();
    expect(text).toBe('data: first\n\ndata: rest\n\n');
  });

  it('times out a call still queued for a connection, without waiting for the connection', async () => {
    const single = new UpstreamClient({ connectionsPerOrigin: 1, ...(via === client ? {} : { timeoutSweepMs: 10 }) });
    const holder = new Cancellation();
    const holding = single.sendStreaming({ url: `${base}/silent`, method: 'POST', headers: {}, body: '{}' }, { timeoutMs: 10_000, signal: holder });
    const started = performance.now();
    await expect(single.sendStreaming({ url: `${base}/events`, method: 'POST', headers: {}, body: '{}' }, { timeoutMs: 150 })).rejects.toBeInstanceOf(
      UpstreamTimeoutError,
    );
    expect(performance.now() - started).toBeLessThan(1000);
    await expect(single.sendForText({ url: `${base}/events`, method: 'POST', headers: {}, body: '{}' }, { timeoutMs: 150 })).rejects.toBeInstanceOf(
      UpstreamTimeoutError,
    );
    holder.cancel();
    await expect(holding).rejects.toMatchObject({ code: 'aborted' });
    // the connection is free again and serves the next call
    expect((await single.sendForText({ url: `${base}/events`, method: 'POST', headers: {}, body: '{}' }, { timeoutMs: 5000 })).text).toBe(
      'data: one\n\ndata: two\n\n',
    );
    await single.close();
  });

  it('times out every one of many quiet calls at once, each after its own timeout', async () => {
    const started = performance.now();
    const calls = [150, 150, 150, 250, 250].map((timeoutMs) =>
      post('/silent', timeoutMs, undefined, via).then(
        () => ({ timeoutMs, elapsed: Number.NaN }),
        (error: unknown) => {
          expect(error).toBeInstanceOf(UpstreamTimeoutError);
          return { timeoutMs, elapsed: performance.now() - started };
        },
      ),
    );
    for (const { timeoutMs, elapsed } of await Promise.all(calls)) {
      expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 1);
      expect(elapsed).toBeLessThan(timeoutMs + 2 * 10 + 150);
    }
  });

  it('never times out early, and late by at most two sweeps (and the scheduling)', async () => {
    const started = performance.now();
    await expect(post('/silent', 200, undefined, via)).rejects.toBeInstanceOf(UpstreamTimeoutError);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(199);
    expect(elapsed).toBeLessThan(200 + 2 * 10 + 150);
  });

  describe('sendForText', () => {
    it('reads the whole answer, and times out an upstream that never answers', async () => {
      expect(await via.sendForText({ url: `${base}/trickle`, method: 'POST', headers: {}, body: '{}' }, { timeoutMs: 150 })).toEqual({
        status: 200,
        text: 'data: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\ndata: 5\n\ndata: 6\n\n',
      });
      await expect(via.sendForText({ url: `${base}/silent`, method: 'POST', headers: {}, body: '{}' }, { timeoutMs: 150 })).rejects.toBeInstanceOf(
        UpstreamTimeoutError,
      );
      await expect(via.sendForText({ url: `${base}/stall`, method: 'POST', headers: {}, body: '{}' }, { timeoutMs: 150 })).rejects.toBeInstanceOf(
        UpstreamTimeoutError,
      );
    });
  });
});

describe('chunkSourceFromUpstream', () => {
  /** A scripted upstream stream. */
  function scripted(): { stream: UpstreamStream; consumer: () => UpstreamStreamConsumer; calls: string[] } {
    const calls: string[] = [];
    let consumer: UpstreamStreamConsumer | undefined;
    const stream: UpstreamStream = {
      status: 200,
      start: (value) => {
        consumer = value;
      },
      pause: () => calls.push('pause'),
      resume: () => calls.push('resume'),
      abort: () => calls.push('abort'),
      text: () => Promise.resolve(''),
    };
    return { stream, consumer: () => consumer as UpstreamStreamConsumer, calls };
  }
  const lines: StreamTranslator<string> = {
    push: (text) => text.split('\n').filter((line) => line.length > 0),
    end: () => ['<end>'],
  };

  it('translates pieces (characters split across them stay whole), pauses when the client is full and resumes', async () => {
    const { stream, consumer, calls } = scripted();
    const source = chunkSourceFromUpstream(stream, lines);
    const batches: string[][] = [];
    const done = source.run((batch) => {
      batches.push(batch);
      return batches.length !== 1;
    });
    const euro = Buffer.from('€\n');
    consumer().onData(Buffer.from('a\n'));
    consumer().onData(euro.subarray(0, 1));
    consumer().onData(euro.subarray(1));
    source.resume();
    consumer().onEnd();
    await done;
    expect(batches).toEqual([['a'], ['€'], ['<end>']]);
    expect(calls).toEqual(['pause', 'resume']);
  });

  it('keeps decoding through one decoder once a piece ended inside a character, and flushes it at the end', async () => {
    const { stream, consumer } = scripted();
    const source = chunkSourceFromUpstream(stream, lines);
    const batches: string[][] = [];
    const done = source.run((batch) => {
      batches.push(batch);
      return true;
    });
    const euro = Buffer.from('€');
    consumer().onData(Buffer.from('plain\n'));
    consumer().onData(euro.subarray(0, 2));
    consumer().onData(Buffer.concat([euro.subarray(2), Buffer.from('z\n')]));
    // The stream stops inside a character: the decoder's remainder comes out as U+FFFD, as Node decodes it.
    consumer().onData(euro.subarray(0, 1));
    consumer().onEnd();
    await done;
    expect(batches).toEqual([['plain'], ['€z'], ['\ufffd', '<end>']]);
  });

  it('rejects with the upstream error, and aborts the upstream when cancelled', async () => {
    const failing = scripted();
    const failed = chunkSourceFromUpstream(failing.stream, lines).run(() => true);
    failing.consumer().onError(new UpstreamError('connection reset', { code: 'upstream_unreachable' }));
    await expect(failed).rejects.toThrow('connection reset');

    const cancelled = scripted();
    const source = chunkSourceFromUpstream(cancelled.stream, lines);
    const running = source.run(() => true);
    source.cancel();
    await running;
    expect(cancelled.calls).toEqual(['abort']);
  });
});
