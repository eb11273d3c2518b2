/** Routing, validation and auth through `app.inject()` (no sockets), on mock deployments. */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildGateway } from '../../support/gateway-harness';

const KEY = 'sk-inject-master';
const CONFIG = `
model_list:
  - model_name: mock
    litellm_params: { model: openai/mock, mock_response: "mocked answer here" }
  - model_name: mock-429
    litellm_params: { model: openai/mock, mock_response: litellm.RateLimitError }
general_settings: { master_key: ${KEY} }
`;

let app: FastifyInstance;

beforeAll(async () => {
  app = buildGateway(CONFIG, { bodyLimitBytes: 4096 }).app;
  await app.ready();
});
afterAll(() => app.close());

const chat = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${KEY}` }) =>
  app.inject({ method: 'POST', url: '/v1/chat/completions', headers: { 'content-type': 'application/json', ...headers }, payload: typeof body === 'string' ? body : JSON.stringify(body) });

const messages = [{ role: 'user', content: 'hi' }];

describe('auth', () => {
  it.each([
    ['authorization', `Bearer ${KEY}`],
    ['x-api-key', KEY],
    ['api-key', KEY],
  ])('accepts the master key in %s', async (header, value) => {
    const response = await chat({ model: 'mock', messages }, { [header]: value });
    expect(response.statusCode).toBe(200);
    expect(response.json().choices[0].message.content).toBe('mocked answer here');
  });

  it('fails with 401 and an OpenAI error body without a key or with a wrong one', async () => {
    for (const headers of [{}, { authorization: 'Bearer sk-inject-mastex' }, { authorization: `Bearer ${KEY}x` }] as Record<string, string>[]) {
      const response = await chat({ model: 'mock', messages }, headers);
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({ error: { message: expect.any(String), type: 'authentication_error', param: null, code: 'invalid_api_key' } });
      expect(response.body).not.toContain(KEY);
    }
  });

  it('leaves the health probes open', async () => {
    expect((await app.inject({ url: '/health/liveliness' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/health/liveness' })).statusCode).toBe(200);
    const readiness = await app.inject({ url: '/health/readiness' });
    expect(readiness.json()).toMatchObject({ status: 'healthy' });
  });
});

describe('request validation', () => {
  it('400 invalid_json for malformed JSON', async () => {
    const response = await chat('{"model": "mock", "messages": [');
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json' });
  });

  it.each([
    [{ messages }, 'model'],
    [{ model: 'mock' }, 'messages'],
    [{ model: 'mock', messages: [] }, 'messages'],
    [{ model: 'mock', messages: [{ role: 'user' }] }, 'messages[0].content'],
    [{ model: 'mock', messages, temperature: 'hot' }, 'temperature'],
    [{ model: 'mock', messages, n: 0 }, 'n'],
    [{ model: 'mock', messages, tools: [{ type: 'function', function: {} }] }, 'tools[0].function.name'],
  ])('400 naming the param for %j', async (body, param) => {
    const response = await chat(body);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.param).toBe(param);
  });

  it('413 for a body over the limit', async () => {
    const response = await chat({ model: 'mock', messages: [{ role: 'user', content: 'x'.repeat(5000) }] });
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('request_too_large');
  });

  it('413 for a body over the limit sent without a content-length (chunked)', async () => {
    const body = JSON.stringify({ model: 'mock', messages: [{ role: 'user', content: 'x'.repeat(5000) }] });
    const response = await app.inject({
      method: 'POST',
      url: '/v1/chat/completions',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      payload: Readable.from([body.slice(0, 3000), body.slice(3000)]),
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('request_too_large');
  });

  it('400 empty_body for an empty body, and a charset parameter is fine', async () => {
    const empty = await chat('');
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.code).toBe('empty_body');
    const withCharset = await chat({ model: 'mock', messages }, { authorization: `Bearer ${KEY}`, 'content-type': 'application/json; charset=utf-8' });
    expect(withCharset.statusCode).toBe(200);
  });

  it.each([
    ['{"model":"mock","messages":[{"role":"user","content":"hi"}],"__proto__":{"admin":true}}'],
    ['{"model":"mock","messages":[{"role":"user","content":"hi"}],"\\u005f_proto__":{"admin":true}}'],
    ['{"model":"mock","messages":[{"role":"user","content":"hi"}],"constructor":{"prototype":{"admin":true}}}'],
  ])('400 invalid_json for a body that could poison prototypes: %s', async (body) => {
    const response = await chat(body);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('invalid_json');
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('accepts bodies that only mention those keys in text, or start with a byte-order mark', async () => {
    for (const content of ['what does __proto__ do?', 'a constructor: is it "constructor":?', 'caf\\u00e9']) {
      const response = await chat(JSON.stringify({ model: 'mock', messages: [{ role: 'user', content }] }));
      expect(response.statusCode).toBe(200);
    }
    const withBom = await chat(`\ufeff${JSON.stringify({ model: 'mock', messages })}`);
    expect(withBom.statusCode).toBe(200);
  });

  it('404 model_not_found for an unknown model', async () => {
    const response = await chat({ model: 'gpt-5', messages });
    expect(response.statusCode).toBe(404);
    expect(response.json().error).toMatchObject({ param: 'model', code: 'model_not_found' });
  });

  it('404 OpenAI error for an unknown route', async () => {
    const response = await app.inject({ url: '/v1/nothing', headers: { authorization: `Bearer ${KEY}` } });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.type).toBe('invalid_request_error');
  });
});

describe('mock deployments (LiteLLM mock_response)', () => {
  it('streams the mock text word by word, then [DONE]', async () => {
    const response = await chat({ model: 'mock', messages, stream: true, stream_options: { include_usage: true } });
    expect(response.headers['content-type']).toContain('text/event-stream');
    const events = response.body.split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event.slice('data: '.length)));
    expect(chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join('')).toBe('mocked answer here');
    expect(chunks.at(-1).usage.completion_tokens).toBeGreaterThan(0);
  });

  it('raises the error a mock names', async () => {
    const response = await chat({ model: 'mock-429', messages });
    expect(response.statusCode).toBe(429);
  });

  it('sets the call id header on errors too', async () => {
    const response = await chat({ model: 'nope', messages });
    expect(response.headers['x-litellm-call-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('API docs', () => {
  it('serves Swagger UI at the root and its assets, without a key, with a content security policy', async () => {
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('swagger-ui');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    const script = await app.inject({ method: 'GET', url: '/static/swagger-ui-bundle.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
  });

  it('describes every API route at /openapi.json, with the request schemas that validate them', async () => {
    const response = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json<{ openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { required?: string[]; properties?: Record<string, unknown> } }> } }>> }>();
    expect(document.openapi).toBe('3.1.0');
    for (const path of ['/v1/chat/completions', '/v1/embeddings', '/v1/models', '/key/generate', '/team/new', '/spend/logs', '/health/readiness']) {
      expect(Object.keys(document.paths)).toContain(path);
    }
    const chatBody = document.paths['/v1/chat/completions']?.post?.requestBody?.content['application/json']?.schema;
    expect(chatBody?.required).toEqual(expect.arrayContaining(['model', 'messages']));
    expect(chatBody?.properties).toHaveProperty('stream_options');
    // the document and the page reveal nothing configured: no model names, no key
    expect(response.body).not.toContain('mock-429');
    expect(response.body).not.toContain(KEY);
    expect(Object.keys(document.paths)).not.toContain('/openapi.json');
  });
});
