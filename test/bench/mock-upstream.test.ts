import { Readable } from 'node:stream';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BENCH_COMPLETION_TEXT, benchCompletionBody, benchStreamEvents, startMockUpstream } from './mock-upstream';

describe('bench mock upstream (HTTP/1.1 over plain sockets)', () => {
  let origin = '';
  let close: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    const { server, port } = await startMockUpstream({ streamGapMs: 1 });
    origin = `http://127.0.0.1:${port}`;
    close = () => new Promise((closed) => server.close(() => closed()));
  });
  afterAll(() => close());

  it('answers many requests on one keep-alive connection with the prepared body and Node-like headers', async () => {
    const client = new Client(origin, { pipelining: 1 });
    try {
      for (let index = 0; index < 20; index += 1) {
        const response = await client.request({
          path: '/v1/chat/completions',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: `m${index % 3}`, messages: [{ role: 'user', content: 'hi' }] }),
        });
        const text = await response.body.text();
        expect(response.statusCode).toBe(200);
        expect(text).toBe(benchCompletionBody(`m${index % 3}`));
        expect(response.headers['content-length']).toBe(String(Buffer.byteLength(text)));
        expect(response.headers['content-type']).toBe('application/json');
        expect(response.headers.connection).toBe('keep-alive');
        expect(response.headers['keep-alive']).toBe('timeout=65');
        expect(Date.parse(String(response.headers.date))).toBeGreaterThan(Date.now() - 5000);
      }
    } finally {
      await client.close();
    }
  });

  it('reads chunked request bodies and bodies that arrive in pieces', async () => {
    const client = new Client(origin);
    try {
      const body = JSON.stringify({ model: 'chunked-model', messages: [{ role: 'user', content: 'x'.repeat(5000) }] });
      const pieces = [body.slice(0, 7), body.slice(7, 3000), body.slice(3000)];
      const response = await client.request({ path: '/chat/completions', method: 'POST', body: Readable.from(pieces) });
      expect(response.headers['transfer-encoding']).toBeUndefined();
      expect(await response.body.text()).toBe(benchCompletionBody('chunked-model'));
    } finally {
      await client.close();
    }
  });

  it('streams every event as a chunk, ending with [DONE], and serves the next request after it', async () => {
    const client = new Client(origin, { pipelining: 1 });
    try {
      const streamed = await client.request({
        path: '/v1/chat/completions',
        method: 'POST',
        body: JSON.stringify({ model: 'bench-model', stream: true, messages: [] }),
      });
      expect(streamed.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(streamed.headers['transfer-encoding']).toBe('chunked');
      const text = await streamed.body.text();
      const { deltas, tail } = benchStreamEvents('bench-model');
      expect(text).toBe(deltas.join('') + tail);
      const contents = text
        .split('\n\n')
        .filter((event) => event.startsWith('data: {'))
        .map((event) => (JSON.parse(event.slice(6)) as { choices: Array<{ delta?: { content?: string } }> }).choices[0]?.delta?.content ?? '')
        .join('');
      expect(contents).toBe(BENCH_COMPLETION_TEXT);
      const after = await client.request({ path: '/v1/chat/completions', method: 'POST', body: '{"model":"after"}' });
      expect(await after.body.text()).toBe(benchCompletionBody('after'));
    } finally {
      await client.close();
    }
  });

  it('answers 404 for other routes, 400 for malformed JSON, and honours connection: close', async () => {
    const client = new Client(origin);
    try {
      const missing = await client.request({ path: '/v1/models', method: 'GET' });
      expect(missing.statusCode).toBe(404);
      expect(JSON.parse(await missing.body.text())).toMatchObject({ error: { type: 'invalid_request_error' } });
      const malformed = await client.request({ path: '/v1/chat/completions', method: 'POST', body: '{"model":' });
      expect(malformed.statusCode).toBe(400);
      expect(await malformed.body.text()).toContain('malformed JSON');
      const closing = await client.request({ path: '/v1/chat/completions', method: 'POST', headers: { connection: 'close' }, body: '{}' });
      expect(closing.headers.connection).toBe('close');
      expect(await closing.body.text()).toBe(benchCompletionBody('bench-model'));
    } finally {
      await client.close();
    }
  });
});
