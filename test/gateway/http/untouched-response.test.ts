/**
 * A non-streaming answer the translation leaves untouched goes to the client as the upstream wrote it
 * (no second serialisation); one the gateway had to complete is re-serialised with what it filled in.
 */
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromOpenAiChatResponse } from '../../../gateway/providers/openai/chat-response';
import { chunkTextOf, chunkTextWithoutNullUsage, isUntouched } from '../../../gateway/providers';
import { createOpenAiChunkStream } from '../../../gateway/providers/openai/chat-stream';
import { startGatewayOnFakeUpstream } from '../../support/gateway-harness';
import type { RunningGateway } from '../../support/gateway-harness';

const fixture = (name: string): string => readFileSync(new URL(`../providers/openai/__fixtures__/${name}`, import.meta.url), 'utf8');
const context = { requestModel: 'gpt', callId: 'call-1', created: 1_700_000_000 };

describe('untouched OpenAI responses', () => {
  it('marks a complete answer untouched, and one it completed or normalised as changed', () => {
    const complete = JSON.parse(fixture('openai-text.json')) as Record<string, unknown>;
    expect(isUntouched(fromOpenAiChatResponse(complete, context))).toBe(true);

    const withoutId = JSON.parse(fixture('openai-text.json')) as Record<string, unknown>;
    delete withoutId.id;
    const filled = fromOpenAiChatResponse(withoutId, context);
    expect(filled.id).toBe('chatcmpl-call-1');
    expect(isUntouched(filled)).toBe(false);

    const vllmStop = JSON.parse(fixture('openai-text.json')) as { choices: { finish_reason: string }[] };
    vllmStop.choices[0]!.finish_reason = 'eos';
    const normalised = fromOpenAiChatResponse(vllmStop, context);
    expect(normalised.choices[0]?.finish_reason).toBe('stop');
    expect(isUntouched(normalised)).toBe(false);
  });

  it("keeps a stream chunk's own text when nothing changed (a Python server's spaced JSON too), never a multi-line one", () => {
    const spaced = '{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": null}]}';
    const translator = createOpenAiChunkStream(context);
    const [kept] = translator.push(`data: ${spaced}\n\n`);
    expect(kept !== undefined && chunkTextOf(kept)).toBe(spaced);

    const [multiLine] = translator.push(`data: {"id": "c2", "object": "chat.completion.chunk",\ndata: "created": 1, "model": "m", "choices": []}\n\n`);
    expect(multiLine?.id).toBe('c2');
    expect(multiLine !== undefined && chunkTextOf(multiLine)).toBeUndefined();

    const [filled] = translator.push('data: {"object": "chat.completion.chunk", "created": 1, "model": "m", "choices": []}\n\n');
    expect(filled?.id).toBe('chatcmpl-call-1');
    expect(filled !== undefined && chunkTextOf(filled)).toBeUndefined();
  });

  it('never takes a copy for the original: the mark is not serialised, and a spread copy is not untouched', () => {
    const body = fromOpenAiChatResponse(JSON.parse(fixture('openai-text.json')) as Record<string, unknown>, context);
    expect(isUntouched(body)).toBe(true);
    expect(JSON.stringify(body)).toBe(JSON.stringify(JSON.parse(fixture('openai-text.json'))));
    const copy = { ...body, id: 'changed' };
    expect(isUntouched(copy)).toBe(false);

    const text = '{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}';
    const [chunk] = createOpenAiChunkStream(context).push(`data: ${text}\n\n`);
    expect(chunk !== undefined && chunkTextOf(chunk)).toBe(text);
    expect(Object.keys(chunk ?? {})).toEqual(['id', 'object', 'created', 'model', 'choices']);
    expect(JSON.stringify(chunk)).toBe(text);
    const chunkCopy = { ...chunk, model: 'other' };
    expect(chunkTextOf(chunkCopy)).toBeUndefined();
  });

  it("cuts OpenAI's trailing \"usage\":null from a chunk's own text only when that is exact", () => {
    const push = (text: string) => createOpenAiChunkStream(context).push(`data: ${text}\n\n`)[0] as object;
    const head = '{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]';
    expect(chunkTextWithoutNullUsage(push(`${head},"usage":null}`))).toBe(`${head}}`);

    // A key named usage inside a string value is escaped, so it does not count as another "usage".
    const quoted = '{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"say \\"usage\\":null}"},"finish_reason":null}]';
    const cut = chunkTextWithoutNullUsage(push(`${quoted},"usage":null}`));
    expect(cut).toBe(`${quoted}}`);
    expect((JSON.parse(cut as string) as { choices: { delta: { content: string } }[] }).choices[0]?.delta.content).toBe('say "usage":null}');

    // Another "usage" before it (a duplicate key), spaced JSON, or no usage member: not cut.
    expect(chunkTextWithoutNullUsage(push(`{"usage":{"total_tokens":3},${head.slice(1)},"usage":null}`))).toBeUndefined();
    expect(chunkTextWithoutNullUsage(push(`${head}, "usage": null}`))).toBeUndefined();
    expect(chunkTextWithoutNullUsage(push(`${head}}`))).toBeUndefined();
    // A chunk the translation changed has no text of its own to cut.
    expect(chunkTextWithoutNullUsage(push('{"object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":null}'))).toBeUndefined();
  });

  describe('through the gateway', () => {
    let gateway: RunningGateway;
    let stop: () => Promise<void>;

    beforeAll(async () => {
      ({ gateway, close: stop } = await startGatewayOnFakeUpstream(['text']));
    });

    afterAll(() => stop());

    it("sends the upstream's bytes as they came, as JSON, with the gateway's headers", async () => {
      const response = await request(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'text', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(response.headers['x-litellm-model-group']).toBe('text');
      expect(await response.body.text()).toBe(fixture('openai-text.json'));
    });
    it("streams the upstream's untouched chunk events as they came when the client asked for usage", async () => {
      const response = await request(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'text', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] }),
      });
      const events = (await response.body.text()).split('\n\n').filter((event) => event.length > 0);
      const upstreamEvents = fixture('openai-text.chunks.txt').split('\n\n').filter((event) => event.trim().length > 0);
      expect(events).toEqual(upstreamEvents.map((event) => event.trim()));
    });

    it('re-serialises chunks it changes: usage the client did not ask for is left out', async () => {
      const response = await request(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'text', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      });
      const text = await response.body.text();
      expect(text).not.toContain('"usage"');
      expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
      // Every content chunk is the upstream's own bytes less its trailing "usage":null; the usage chunk is left out.
      const upstreamEvents = fixture('openai-text.chunks.txt')
        .split('\n\n')
        .map((event) => event.trim())
        .filter((event) => event.length > 0 && !event.includes('"usage":{'));
      const expected = upstreamEvents.map((event) => event.replace(',"usage":null}', '}'));
      expect(text.split('\n\n').filter((event) => event.length > 0)).toEqual(expected);
    });
  });
});
