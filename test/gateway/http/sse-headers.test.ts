/**
 * When the response headers of a stream leave: with the first chunk when it comes at once (one write, as
 * a bare pass-through does), on their own after a moment when the upstream is slow to produce it, so a
 * client sees the stream begin while a reasoning model thinks.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEADERS_ALONE_AFTER_MS } from '../../../gateway/http/sse-writer';
import { startGatewayOnFakeUpstream } from '../../support/gateway-harness';
import type { RunningGateway } from '../../support/gateway-harness';

let gateway: RunningGateway;
let stop: () => Promise<void>;

beforeAll(async () => {
  ({ gateway, close: stop } = await startGatewayOnFakeUpstream(['thinking', 'text']));
});

afterAll(() => stop());

async function timings(model: string): Promise<{ headersMs: number; firstBytesMs: number; text: string }> {
  const started = performance.now();
  const response = await request(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
  });
  const headersMs = performance.now() - started;
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
  let firstBytesMs = 0;
  let text = '';
  for await (const piece of response.body) {
    if (firstBytesMs === 0) firstBytesMs = performance.now() - started;
    text += (piece as Buffer).toString();
  }
  return { headersMs, firstBytesMs, text };
}

describe('stream response headers', () => {
  it('are sent alone shortly after the upstream answers when its first chunk is slow', async () => {
    const { headersMs, firstBytesMs, text } = await timings('thinking');
    // the upstream holds its first event for 400 ms; the client has the headers long before
    expect(headersMs).toBeLessThan(300);
    expect(firstBytesMs).toBeGreaterThanOrEqual(390);
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(HEADERS_ALONE_AFTER_MS).toBeLessThan(100);
  });

  it('still stream normally when the first chunk comes at once', async () => {
    const { text } = await timings('text');
    expect(text).toContain('"object":"chat.completion.chunk"');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });
});
