import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastestRun, findWrk, parseLoadGenerator, roundOrder, runLoad } from './load';
import type { LoadResult } from './load';

// A body and header values with Lua's long-bracket closers and quotes in them: the script must carry them as they are.
const BODY = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'a ]] b ]=] c "quoted" \\ back' }] });
const AUTH = 'Bearer sk-test-]]-key';

describe('bench load generators', () => {
  let origin = '';
  let seen = 0;
  let wrongRequests = 0;
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (piece: string) => (body += piece));
    request.on('end', () => {
      seen += 1;
      if (request.method !== 'POST' || request.headers.authorization !== AUTH || request.headers['content-type'] !== 'application/json' || body !== BODY) {
        wrongRequests += 1;
      }
      // Every third request is refused: the generators must count them apart from the answered ones.
      const status = seen % 3 === 0 ? 429 : 200;
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(status === 200 ? '{"ok":true}' : '{"error":{"message":"slow down"}}');
    });
  });

  beforeAll(async () => {
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((closed) => server.close(closed));
  });

  it('parses the --load-generator flag', () => {
    expect(parseLoadGenerator(undefined)).toBe('auto');
    expect(parseLoadGenerator('wrk')).toBe('wrk');
    expect(parseLoadGenerator('autocannon')).toBe('autocannon');
    expect(() => parseLoadGenerator('ab')).toThrow(/auto, wrk or autocannon/);
  });

  for (const generator of ['wrk', 'autocannon'] as const) {
    it(`${generator}: sends the request as given and counts 2xx and non-2xx apart`, async (context) => {
      // CI installs wrk (.ci/run); elsewhere the wrk case runs only where it is installed.
      if (generator === 'wrk' && findWrk() === undefined) context.skip();
      seen = 0;
      wrongRequests = 0;
      const result = await runLoad({
        url: `${origin}/v1/chat/completions`,
        headers: { 'content-type': 'application/json', authorization: AUTH },
        body: BODY,
        connections: 4,
        durationSeconds: 1,
        generator,
      });
      expect(result.generator).toBe(generator);
      expect(wrongRequests).toBe(0);
      expect(result.ok).toBeGreaterThan(50);
      expect(result.errors + result.timeouts).toBe(0);
      // Answers still in flight when the run stops may be counted by the server only.
      expect(result.ok + result.non2xx).toBeLessThanOrEqual(seen);
      expect(result.ok + result.non2xx).toBeGreaterThanOrEqual(seen - 4);
      expect(result.non2xx / (result.ok + result.non2xx)).toBeCloseTo(1 / 3, 1);
      expect(result.requestsPerSecond).toBeCloseTo(result.ok / result.durationSeconds, 6);
      expect(result.latency.p50Ms).toBeGreaterThan(0);
      expect(result.latency.p50Ms).toBeLessThanOrEqual(result.latency.p99Ms);
      expect(result.latency.p99Ms).toBeLessThanOrEqual(result.latency.maxMs);
    });
  }
});

describe('saturation rounds', () => {
  it('starts each round one target further along, so every target takes every position', () => {
    expect(roundOrder(['a', 'b', 'c'], 0)).toEqual(['a', 'b', 'c']);
    expect(roundOrder(['a', 'b', 'c'], 1)).toEqual(['b', 'c', 'a']);
    expect(roundOrder(['a', 'b', 'c'], 2)).toEqual(['c', 'a', 'b']);
    expect(roundOrder(['a', 'b', 'c'], 3)).toEqual(['a', 'b', 'c']);
  });

  it('reports the run with the highest throughput, the first of equals, and nothing for no runs', () => {
    const run = (name: string, requestsPerSecond: number) => ({ name, load: { requestsPerSecond } as LoadResult });
    expect(fastestRun([run('a', 4000), run('b', 5200), run('c', 4900)])?.name).toBe('b');
    expect(fastestRun([run('a', 5000), run('b', 5000)])?.name).toBe('a');
    expect(fastestRun([])).toBeUndefined();
  });
});
