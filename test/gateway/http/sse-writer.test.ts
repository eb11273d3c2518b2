/**
 * The SSE writer on a response whose socket fills up: the upstream read pauses when a write is refused,
 * resumes on `drain`, and nothing is lost or left listening afterwards.
 */
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { writeSseStream } from '../../../gateway/http/sse-writer';
import { createOpenAiChunkStream } from '../../../gateway/providers/openai/chat-stream';
import { Cancellation } from '../../../gateway/routing';
import type { ChunkSource } from '../../../gateway/routing';

interface Chunk {
  choices: { delta: { content: string } }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
}

/** A response that refuses the writes named in `full` (by their index), as a full socket does. */
class FakeResponse extends EventEmitter {
  status = 0;
  headers: Record<string, string> = {};
  readonly writes: string[] = [];
  ended = '';
  constructor(private readonly full: ReadonlySet<number>) {
    super();
  }
  writeHead(status: number, headers: Record<string, string>): this {
    this.status = status;
    this.headers = { ...headers };
    return this;
  }
  write(text: string): boolean {
    this.writes.push(text);
    return !this.full.has(this.writes.length - 1);
  }
  end(text: string): void {
    this.ended = text;
  }
  flushHeaders(): void {}
}

const chunk = (content: string): Chunk => ({ choices: [{ delta: { content } }] });

/** A source that hands over one batch per step, and only while it is not paused. */
function steppedSource(batches: Chunk[][]): ChunkSource<Chunk> & { readonly calls: string[] } {
  const calls: string[] = [];
  let deliver: (batch: Chunk[]) => boolean = () => true;
  let finish: () => void = () => undefined;
  let next = 0;
  const pump = (): void => {
    while (next < batches.length) {
      const batch = batches[next] as Chunk[];
      next += 1;
      if (!deliver(batch)) {
        calls.push('pause');
        return;
      }
    }
    finish();
  };
  return {
    calls,
    run(deliverBatch) {
      deliver = deliverBatch;
      return new Promise<void>((resolve) => {
        finish = resolve;
        setImmediate(pump);
      });
    },
    resume() {
      calls.push('resume');
      setImmediate(pump);
    },
    cancel() {
      calls.push('cancel');
      finish();
    },
  };
}

describe('writeSseStream', () => {
  it('pauses when a write is refused, resumes on drain, and writes every chunk once', async () => {
    const raw = new FakeResponse(new Set([0]));
    const source = steppedSource([[chunk('a')], [chunk('b')], [chunk('c')]]);
    const written = writeSseStream(raw as unknown as ServerResponse, source, {
      includeUsage: false,
      headers: { 'x-litellm-call-id': 'call-1' },
      signal: new Cancellation(),
    });
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    // the first write was refused: the source was told to pause and nothing more was written
    expect(source.calls).toEqual(['pause']);
    expect(raw.writes).toHaveLength(1);
    expect(raw.listenerCount('drain')).toBe(1);
    raw.emit('drain');
    const result = await written;
    expect(source.calls).toEqual(['pause', 'resume']);
    expect(result.outcome).toBe('completed');
    expect(raw.writes.map((text) => (JSON.parse(text.slice('data: '.length)) as Chunk).choices[0]?.delta.content)).toEqual(['a', 'b', 'c']);
    expect(raw.ended).toBe('data: [DONE]\n\n');
    expect(raw.listenerCount('drain')).toBe(0);
    expect(raw.status).toBe(200);
    expect(raw.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(raw.headers['x-litellm-call-id']).toBe('call-1');
  });

  it('never listens for drain when every write is taken', async () => {
    const raw = new FakeResponse(new Set());
    let maxDrainListeners = 0;
    const write = raw.write.bind(raw);
    raw.write = (text: string): boolean => {
      maxDrainListeners = Math.max(maxDrainListeners, raw.listenerCount('drain'));
      return write(text);
    };
    const source = steppedSource([[chunk('a'), chunk('b')], [chunk('c')]]);
    const result = await writeSseStream(raw as unknown as ServerResponse, source, { includeUsage: false, headers: {}, signal: new Cancellation() });
    expect(result.outcome).toBe('completed');
    expect(raw.writes).toHaveLength(2);
    expect(maxDrainListeners).toBe(0);
    expect(source.calls).toEqual([]);
  });

  it("sends an OpenAI chunk's own bytes less its trailing \"usage\":null when the client did not ask for usage", async () => {
    // `\u00e9` and `1.50` would come out as `é` and `1.5` from a new serialisation: the bytes show which path ran.
    const own = '{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"caf\\u00e9"},"logprobs":{"top":1.50},"finish_reason":null}]';
    const spaced = '{"id": "c2", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [{"index": 0, "delta": {"content": "caf\\u00e9"}, "finish_reason": null}], "usage": null}';
    const translator = createOpenAiChunkStream({ requestModel: 'm', callId: 'call-1', created: 1 });
    const chunks = translator.push(`data: ${own},"usage":null}\n\ndata: ${spaced}\n\n`) as unknown as Chunk[];
    const run = async (includeUsage: boolean): Promise<string[]> => {
      const raw = new FakeResponse(new Set());
      await writeSseStream(raw as unknown as ServerResponse, steppedSource([chunks]), { includeUsage, headers: {}, signal: new Cancellation() });
      return raw.writes.join('').split('\n\n').filter((event) => event.length > 0);
    };
    // Asked for usage: both go out exactly as the upstream wrote them.
    expect(await run(true)).toEqual([`data: ${own},"usage":null}`, `data: ${spaced}`]);
    const [cut, reserialised] = await run(false);
    expect(cut).toBe(`data: ${own}}`);
    // Spaced JSON cannot be cut exactly: it is serialised again, without usage.
    expect(reserialised).toBe('data: {"id":"c2","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"café"},"finish_reason":null}]}');
  });
});
