/**
 * A non-streaming answer the translation leaves untouched goes to the client as the upstream wrote it
 * (no second serialisation); one the gateway had to complete is re-serialised with what it filled in.
 */
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromOpenAiChatResponse } from '../../../gateway/providers/openai/chat-response';
import { isUntouched } from '../../../gateway/providers';
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
  });
});
