/**
 * The gateway driven by the official `openai` SDK, against a fake upstream that replays recorded
 * OpenAI, Anthropic and Ollama wire traffic on loopback.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream } from '../../support/fake-upstream';
import type { FakeUpstream } from '../../support/fake-upstream';
import { SpendLedger } from '../../../gateway/tokenomics';
import { startGateway } from '../../support/gateway-harness';
import type { RunningGateway } from '../../support/gateway-harness';

const MASTER_KEY = 'sk-master-test-0123456789';

let upstream: FakeUpstream;
let gateway: RunningGateway;
let client: OpenAI;

function config(base: string): string {
  return `
model_list:
  - model_name: gpt-test
    litellm_params: { model: openai/text, api_base: ${base}/v1, api_key: os.environ/TEST_OPENAI_KEY }
  - model_name: gpt-tools
    litellm_params: { model: openai/tools, api_base: ${base}/v1 }
  - model_name: gpt-bytewise
    litellm_params: { model: openai/text-bytewise, api_base: ${base}/v1 }
  - model_name: gpt-429
    litellm_params: { model: openai/error-429, api_base: ${base}/v1 }
  - model_name: gpt-400
    litellm_params: { model: openai/error-400, api_base: ${base}/v1 }
  - model_name: gpt-5xx
    litellm_params: { model: openai/error-5xx, api_base: ${base}/v1 }
  - model_name: gpt-slow
    litellm_params: { model: openai/slow, api_base: ${base}/v1 }
  - model_name: gpt-timeout
    litellm_params: { model: openai/slow, api_base: ${base}/v1, timeout: 0.3 }
  - model_name: gpt-midstream
    litellm_params: { model: openai/midstream-error, api_base: ${base}/v1 }
  - model_name: gpt-hang
    litellm_params: { model: openai/hang, api_base: ${base}/v1 }
  - model_name: gpt-echo
    litellm_params: { model: openai/echo, api_base: ${base}/v1 }
  - model_name: embed
    litellm_params: { model: openai/text-embedding-3-small, api_base: ${base}/v1 }
  - model_name: instruct
    litellm_params: { model: openai/gpt-3.5-turbo-instruct, api_base: ${base}/v1 }
  - model_name: claude
    litellm_params: { model: anthropic/text, api_base: ${base}, api_key: test-anthropic-key }
  - model_name: claude-tools
    litellm_params: { model: anthropic/tools, api_base: ${base}, api_key: test-anthropic-key }
  - model_name: claude-bytewise
    litellm_params: { model: anthropic/text-bytewise, api_base: ${base}, api_key: test-anthropic-key }
  - model_name: claude-429
    litellm_params: { model: anthropic/error-429, api_base: ${base}, api_key: test-anthropic-key }
  - model_name: llama
    litellm_params: { model: ollama_chat/text, api_base: ${base} }
  - model_name: llama-bytewise
    litellm_params: { model: ollama/text-bytewise, api_base: ${base} }
  - model_name: llama-embed
    litellm_params: { model: ollama/nomic-embed-text, api_base: ${base} }
  - model_name: mock
    litellm_params: { model: openai/mock, mock_response: "Hello from the mock deployment" }
  - model_name: needs-secret
    litellm_params: { model: openai/gpt-4o, api_key: os.environ/UNSET_PROVIDER_KEY }
general_settings:
  master_key: ${MASTER_KEY}
`;
}

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gateway = await startGateway(config(upstream.url), { env: { TEST_OPENAI_KEY: 'sk-upstream-secret' } });
  client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

const messages = [{ role: 'user' as const, content: 'Say hello' }];

describe('chat completions (OpenAI upstream)', () => {
  it('answers non-streaming, with LiteLLM headers', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'gpt-test', messages }).withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello! How can I assist you today?');
    expect(data.usage?.total_tokens).toBe(29);
    expect(response.headers.get('x-litellm-call-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get('x-litellm-model-id')).toBeTruthy();
    expect(response.headers.get('x-litellm-model-api-base')).toBe(upstream.url);
    const overheadMs = Number(response.headers.get('x-litellm-overhead-duration-ms'));
    const durationMs = Number(response.headers.get('x-litellm-response-duration-ms'));
    expect(durationMs).toBeGreaterThan(0);
    expect(overheadMs).toBeGreaterThan(0);
    expect(overheadMs).toBeLessThan(durationMs);
    const sent = upstream.requests.at(-1);
    expect(sent?.body.model).toBe('text');
    expect(sent?.headers.authorization).toBe('Bearer sk-upstream-secret');
  });

  it('streams, and forwards usage only when include_usage asks', async () => {
    const withUsage = await client.chat.completions.create({ model: 'gpt-test', messages, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of withUsage) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('Hello! Héllo wörld 👋 How can I help?');
    expect(chunks.at(-1)?.usage?.total_tokens).toBe(28);

    const withoutUsage = await client.chat.completions.create({ model: 'gpt-test', messages, stream: true });
    const plain = [];
    for await (const chunk of withoutUsage) plain.push(chunk);
    expect(plain.some((chunk) => chunk.usage)).toBe(false);
    expect(plain.every((chunk) => chunk.choices.length > 0)).toBe(true);
  });

  it('streams a body the upstream sends one byte at a time', async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-bytewise', messages, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello! Héllo wörld 👋 How can I help?');
  });

  it('returns and streams tool calls', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'get_current_weather', parameters: { type: 'object' } } }];
    const response = await client.chat.completions.create({ model: 'gpt-tools', messages, tools });
    expect(response.choices[0]?.message.tool_calls?.[0]).toMatchObject({ type: 'function', function: { name: 'get_current_weather' } });
    const stream = await client.chat.completions.create({ model: 'gpt-tools', messages, tools, stream: true });
    let args = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      args += chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(JSON.parse(args)).toEqual({ location: 'Boston, MA' });
    expect(finish).toBe('tool_calls');
  });

  it('forwards JSON mode, n, stop, seed and logprobs to an OpenAI upstream unchanged', async () => {
    const response = await client.chat.completions.create({
      model: 'gpt-echo',
      messages,
      response_format: { type: 'json_object' },
      n: 2,
      stop: ['\n'],
      seed: 7,
      logprobs: true,
      top_logprobs: 2,
    });
    const forwarded = JSON.parse(response.choices[0]?.message.content ?? '{}');
    expect(forwarded).toMatchObject({ model: 'echo', response_format: { type: 'json_object' }, n: 2, stop: ['\n'], seed: 7, logprobs: true, top_logprobs: 2 });
  });

  it('answers on the paths without /v1 too', async () => {
    const bare = new OpenAI({ apiKey: MASTER_KEY, baseURL: gateway.url, maxRetries: 0 });
    const response = await bare.chat.completions.create({ model: 'mock', messages });
    expect(response.choices[0]?.message.content).toBe('Hello from the mock deployment');
    const models = await bare.models.list();
    expect(models.data.map((model) => model.id)).toContain('gpt-test');
  });
});

describe('other endpoints', () => {
  it('serves embeddings', async () => {
    const response = await client.embeddings.create({ model: 'embed', input: ['a', 'b'] });
    expect(response.data).toHaveLength(2);
    expect(response.usage.prompt_tokens).toBe(8);
  });

  it('serves legacy completions, streaming and not', async () => {
    const response = await client.completions.create({ model: 'instruct', prompt: 'Say this is a test' });
    expect(response.choices[0]?.text).toBe('\n\nThis is indeed a test');
    const stream = await client.completions.create({ model: 'instruct', prompt: 'Say this is a test', stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe('This is a test');
  });

  it('lists and retrieves models', async () => {
    const list = await client.models.list();
    expect(list.data.find((model) => model.id === 'claude')).toMatchObject({ object: 'model' });
    const model = await client.models.retrieve('gpt-test');
    expect(model.id).toBe('gpt-test');
  });
});

describe('errors, as the SDK classifies them', () => {
  it('AuthenticationError for a wrong key', async () => {
    const wrong = new OpenAI({ apiKey: 'sk-wrong', baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    await expect(wrong.chat.completions.create({ model: 'gpt-test', messages })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('BadRequestError naming the param for a schema violation', async () => {
    const error = await client.chat.completions
      .create({ model: 'gpt-test', messages, temperature: 5 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('temperature');
  });

  it('NotFoundError for an unknown model, listing nothing', async () => {
    const error = await client.chat.completions.create({ model: 'nope', messages }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as Error).message).not.toContain('gpt-test');
  });

  it('RateLimitError when the upstream says 429 (OpenAI and Anthropic)', async () => {
    await expect(client.chat.completions.create({ model: 'gpt-429', messages })).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    await expect(client.chat.completions.create({ model: 'claude-429', messages })).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });

  it('keeps an upstream 400 (context too long) a BadRequestError', async () => {
    const error = await client.chat.completions.create({ model: 'gpt-400', messages }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('context_length_exceeded');
  });

  it('InternalServerError (502) when the upstream fails with a 5xx', async () => {
    const error = await client.chat.completions.create({ model: 'gpt-5xx', messages }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect((error as InstanceType<typeof OpenAI.InternalServerError>).status).toBe(502);
  });

  it('504 when the deployment timeout passes', async () => {
    const error = await client.chat.completions.create({ model: 'gpt-timeout', messages }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect((error as InstanceType<typeof OpenAI.InternalServerError>).status).toBe(504);
  });

  it('APIConnectionTimeoutError when the client gives up first', async () => {
    const impatient = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0, timeout: 300 });
    await expect(impatient.chat.completions.create({ model: 'gpt-slow', messages })).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });

  it('a 500 naming the unset variable for a deployment whose secret is missing', async () => {
    const error = await client.chat.completions.create({ model: 'needs-secret', messages }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect((error as Error).message).toContain('UNSET_PROVIDER_KEY');
  });

  it('ends a stream that fails midway with one error event', async () => {
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-midstream', messages, stream: true }),
    });
    const body = await response.text();
    const events = body.split('\n\n').filter((event) => event.length > 0);
    expect(events.filter((event) => event.includes('"error"'))).toHaveLength(1);
    expect(events.at(-1)).toContain('server had an error');
    expect(body).not.toContain('[DONE]');
    const stream = await client.chat.completions.create({ model: 'gpt-midstream', messages, stream: true });
    await expect(async () => {
      for await (const _chunk of stream) {
        // drain
      }
    }).rejects.toThrow(/server had an error/);
  });

  it('aborts the upstream request when the client disconnects', async () => {
    const before = upstream.abortedRequests.length;
    const controller = new AbortController();
    const stream = await client.chat.completions.create({ model: 'gpt-hang', messages, stream: true }, { signal: controller.signal });
    for await (const _chunk of stream) {
      controller.abort();
      break;
    }
    await expect.poll(() => upstream.abortedRequests.length, { timeout: 3_000 }).toBe(before + 1);
  });
});

describe('Anthropic upstream through the OpenAI API', () => {
  it('answers non-streaming', async () => {
    const response = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'system', content: 'Be brief' }, ...messages] });
    expect(response.choices[0]?.message.content).toBeTruthy();
    expect(response.usage?.prompt_tokens).toBeGreaterThan(0);
    const sent = upstream.requests.at(-1);
    expect(sent?.path).toBe('/v1/messages');
    expect(sent?.headers['x-api-key']).toBe('test-anthropic-key');
    expect(sent?.body.system).toBeDefined();
  });

  it('streams, also when the upstream sends one byte at a time', async () => {
    for (const model of ['claude', 'claude-bytewise']) {
      const stream = await client.chat.completions.create({ model, messages, stream: true, stream_options: { include_usage: true } });
      let text = '';
      let usage;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        usage = chunk.usage ?? usage;
      }
      expect(text.length).toBeGreaterThan(0);
      expect(usage?.completion_tokens).toBeGreaterThan(0);
    }
  });

  it('returns tool calls', async () => {
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object' } } }];
    const response = await client.chat.completions.create({ model: 'claude-tools', messages, tools });
    expect(response.choices[0]?.finish_reason).toBe('tool_calls');
    const call = response.choices[0]?.message.tool_calls?.[0];
    expect(call?.type).toBe('function');
    expect(() => JSON.parse(call?.type === 'function' ? call.function.arguments : '')).not.toThrow();
  });

  it('rejects a parameter Anthropic cannot honour, naming it, unless drop_params', async () => {
    const error = await client.chat.completions.create({ model: 'claude', messages, logprobs: true }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('logprobs');
    const { data, response } = await client.chat.completions
      .create({ model: 'claude', messages, logprobs: true, drop_params: true } as OpenAI.ChatCompletionCreateParamsNonStreaming)
      .withResponse();
    expect(data.choices).toHaveLength(1);
    expect(response.headers.get('x-switchyard-dropped-params')).toBe('logprobs');
    expect(upstream.requests.at(-1)?.body.logprobs).toBeUndefined();
  });
});

describe('Ollama upstream through the OpenAI API', () => {
  it('answers, streams (byte by byte too) and embeds', async () => {
    const response = await client.chat.completions.create({ model: 'llama', messages });
    expect(response.choices[0]?.message.content).toBeTruthy();
    expect(upstream.requests.at(-1)?.path).toBe('/api/chat');
    for (const model of ['llama', 'llama-bytewise']) {
      const stream = await client.chat.completions.create({ model, messages, stream: true });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      expect(text.length).toBeGreaterThan(0);
    }
    const embedding = await client.embeddings.create({ model: 'llama-embed', input: 'hello' });
    expect(embedding.data[0]?.embedding.length).toBeGreaterThan(0);
    expect(upstream.requests.at(-1)?.path).toBe('/api/embed');
  });
});

describe('client disconnects', () => {
  it('finishes the gateway side of an aborted stream: the call is still recorded', async () => {
    // A ledger with no database keeps what it records in memory, so the test can see the record that the
    // handler writes once the stream has ended; a handler left waiting on the upstream never writes it.
    const ledger = new SpendLedger({ database: async () => undefined });
    const own = await startGateway(config(upstream.url), { env: { TEST_OPENAI_KEY: 'sk-upstream-secret' }, ledger });
    try {
      const ownClient = new OpenAI({ apiKey: MASTER_KEY, baseURL: `${own.url}/v1`, maxRetries: 0 });
      const controller = new AbortController();
      const stream = await ownClient.chat.completions.create({ model: 'gpt-hang', messages, stream: true }, { signal: controller.signal });
      for await (const _chunk of stream) {
        controller.abort();
        break;
      }
      await expect.poll(() => ledger.pending, { timeout: 3_000 }).toBe(1);
    } finally {
      await own.close();
    }
  });
});
