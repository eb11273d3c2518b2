import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream } from './mock-upstream';
import { startPassthroughProxy } from './passthrough-proxy';
import { STAGE_POINTS, installStageTrace, summarizeStages } from './stage-trace';
import type { StageRow } from './stage-trace';

describe('summarizeStages', () => {
  it('gives the median of each stage between the points a row has, skipping warm-up rows', () => {
    const rows: StageRow[] = [
      { received: 0, bodyRead: 1, upstreamCreated: 2, upstreamSent: 3, upstreamHeaders: 4, firstWrite: 5 }, // skipped
      { received: 10, bodyRead: 10.1, upstreamCreated: 10.3, upstreamSent: 10.35, upstreamHeaders: 10.6, firstWrite: 10.7 },
      { received: 20, bodyRead: 20.3, upstreamCreated: 20.4, upstreamSent: 20.45, upstreamHeaders: 20.8, firstWrite: 20.9 },
      { received: 30, bodyRead: 30.2, upstreamCreated: 30.5, upstreamSent: 30.55, upstreamHeaders: 31, firstWrite: 31.2 },
      { received: 40, bodyRead: 40.1 }, // never wrote: not a stream
    ];
    const summary = summarizeStages(rows, 1);
    expect(summary.requests).toBe(3);
    expect(summary.stagesUs['received→bodyRead']).toBeCloseTo(200, 6);
    expect(summary.stagesUs['bodyRead→upstreamCreated']).toBeCloseTo(200, 6);
    expect(summary.stagesUs['upstreamSent→upstreamHeaders']).toBeCloseTo(350, 6);
    expect(summary.stagesUs['upstreamHeaders→firstWrite']).toBeCloseTo(100, 6);
    expect(summary.totalUs).toBeCloseTo(900, 6);
    expect(Object.keys(summary.stagesUs)).not.toContain('received→handler');
  });

  it('merges the stages around a point a process does not publish, and includes it where it does', () => {
    const withHandler = summarizeStages([{ received: 0, bodyRead: 0.1, handler: 0.15, upstreamCreated: 0.2, firstWrite: 0.5 }]);
    expect(Object.keys(withHandler.stagesUs)).toEqual(['received→bodyRead', 'bodyRead→handler', 'handler→upstreamCreated', 'upstreamCreated→firstWrite']);
    expect(withHandler.stagesUs['bodyRead→handler']).toBeCloseTo(50, 6);
    const without = summarizeStages([{ received: 0, bodyRead: 0.1, upstreamCreated: 0.2, firstWrite: 0.5 }]);
    expect(Object.keys(without.stagesUs)).toEqual(['received→bodyRead', 'bodyRead→upstreamCreated', 'upstreamCreated→firstWrite']);
  });
});

describe('installStageTrace in a process serving streams', () => {
  const closers: (() => Promise<void>)[] = [];
  let proxyOrigin = '';
  let traced: () => readonly StageRow[] = () => [];

  beforeAll(async () => {
    traced = installStageTrace();
    const upstream = await startMockUpstream({ streamGapMs: 1 });
    const proxy = await startPassthroughProxy({ upstream: `http://127.0.0.1:${upstream.port}` });
    proxyOrigin = `http://127.0.0.1:${proxy.port}`;
    closers.push(
      () => new Promise((closed) => upstream.server.close(() => closed())),
      async () => {
        await proxy.pool.close();
        await new Promise<void>((closed) => proxy.server.close(() => closed()));
      },
    );
  });
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });

  const call = async (stream: boolean): Promise<string> => {
    const response = await request(`${proxyOrigin}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'bench-model', messages: [{ role: 'user', content: 'hi' }], stream }),
    });
    return response.body.text();
  };

  it('records every point of a streaming request through the pass-through, in order, and nothing for a non-streaming one', async () => {
    const before = traced().length;
    expect(await call(false)).toContain('"chat.completion"');
    expect(traced().length).toBe(before);

    expect(await call(true)).toContain('data: [DONE]');
    expect(traced().length).toBe(before + 1);
    const row = traced()[before] as StageRow;
    const present = STAGE_POINTS.filter((point) => row[point] !== undefined);
    // The pass-through is not Fastify: no `handler` point.
    expect(present).toEqual(['received', 'bodyRead', 'upstreamCreated', 'upstreamSent', 'upstreamHeaders', 'firstWrite']);
    const times = present.map((point) => row[point] as number);
    expect(times).toEqual([...times].sort((left, right) => left - right));
  });
});
