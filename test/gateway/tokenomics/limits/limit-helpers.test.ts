import { describe, expect, it } from 'vitest';
import { BudgetExceededError, RateLimitError, toOpenAiErrorBody } from '../../../../gateway/errors';
import {
  MemoryLimitStore,
  ValkeyLimitStore,
  createLimitStore,
  describeScope,
  formatResetDuration,
  limitScopeFromRecord,
  modelLimitScope,
  toLimitError,
  ValkeyConfigurationError,
  describeValkeyConnection,
  valkeyConnectionFromEnvironment,
  worstCaseCost,
  worstCaseTokens,
} from '../../../../gateway/tokenomics/limits';
import type { RejectedDecision } from '../../../../gateway/tokenomics/limits';

describe('valkeyConnectionFromEnvironment: one server', () => {
  it.each([
    ['nothing set', {}, undefined],
    ['VALKEY_URL', { VALKEY_URL: 'redis://valkey:6379/2' }, 'redis://valkey:6379/2'],
    ['VALKEY_URL before REDIS_URL', { VALKEY_URL: 'redis://a:1', REDIS_URL: 'redis://b:2' }, 'redis://a:1'],
    ['REDIS_URL', { REDIS_URL: 'rediss://cache:6380' }, 'rediss://cache:6380'],
    ['REDIS_URL before REDIS_HOST', { REDIS_URL: 'redis://b:2', REDIS_HOST: 'c' }, 'redis://b:2'],
    ['empty values are unset', { VALKEY_URL: '', REDIS_URL: '  ', REDIS_HOST: '' }, undefined],
    ['REDIS_HOST with the default port', { REDIS_HOST: 'redis' }, 'redis://redis:6379'],
    ['REDIS_HOST and REDIS_PORT', { REDIS_HOST: '10.0.0.5', REDIS_PORT: '6380' }, 'redis://10.0.0.5:6380'],
    [
      'REDIS_PASSWORD, URL-encoded',
      { REDIS_HOST: 'redis', REDIS_PASSWORD: 'p@ss:w/rd' },
      'redis://:p%40ss%3Aw%2Frd@redis:6379',
    ],
    [
      'REDIS_USERNAME and REDIS_PASSWORD',
      { REDIS_HOST: 'redis', REDIS_USERNAME: 'gateway', REDIS_PASSWORD: 'secret' },
      'redis://gateway:secret@redis:6379',
    ],
    ['REDIS_SSL', { REDIS_HOST: 'redis', REDIS_SSL: 'True' }, 'rediss://redis:6379'],
    ['an IPv6 host', { REDIS_HOST: '::1', REDIS_PORT: '7000' }, 'redis://[::1]:7000'],
    ['REDIS_PORT alone is not enough', { REDIS_PORT: '6379' }, undefined],
  ])('%s', (_name, env, expected) => {
    expect(valkeyConnectionFromEnvironment(env)).toEqual(expected === undefined ? undefined : { url: expected });
  });
});

describe('valkeyConnectionFromEnvironment: Sentinel', () => {
  const nodes = JSON.stringify([['valkey-0.valkey-headless.switchyard.svc.cluster.local', 26379], ['valkey-1.valkey-headless', 26379]]);

  it('reads the JSON list the constructs render, with the master set and both passwords', () => {
    const connection = valkeyConnectionFromEnvironment({
      REDIS_SENTINEL_NODES: nodes,
      REDIS_SERVICE_NAME: 'switchyard',
      REDIS_PASSWORD: 'data-secret',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
    });
    expect(connection).toEqual({
      sentinels: [
        { host: 'valkey-0.valkey-headless.switchyard.svc.cluster.local', port: 26379 },
        { host: 'valkey-1.valkey-headless', port: 26379 },
      ],
      name: 'switchyard',
      password: 'data-secret',
      sentinelPassword: 'sentinel-secret',
    });
  });

  it('also reads host:port,host:port and ports written as strings', () => {
    expect(valkeyConnectionFromEnvironment({ REDIS_SENTINEL_NODES: 'a:26379, [::1]:26380', REDIS_SERVICE_NAME: 'm' })).toEqual({
      sentinels: [{ host: 'a', port: 26379 }, { host: '::1', port: 26380 }],
      name: 'm',
    });
    expect(valkeyConnectionFromEnvironment({ REDIS_SENTINEL_NODES: '[["a", "26379"]]', REDIS_SERVICE_NAME: 'm' })).toMatchObject({
      sentinels: [{ host: 'a', port: 26379 }],
    });
  });

  it('prefers a URL, and Sentinel over REDIS_HOST', () => {
    expect(valkeyConnectionFromEnvironment({ VALKEY_URL: 'redis://v:1', REDIS_SENTINEL_NODES: nodes, REDIS_SERVICE_NAME: 'm' })).toEqual({ url: 'redis://v:1' });
    expect(valkeyConnectionFromEnvironment({ REDIS_HOST: 'h', REDIS_SENTINEL_NODES: nodes, REDIS_SERVICE_NAME: 'm' })).toHaveProperty('sentinels');
  });

  it.each([
    ['no master set', { REDIS_SENTINEL_NODES: nodes }, /REDIS_SERVICE_NAME/],
    ['not JSON', { REDIS_SENTINEL_NODES: '[nope', REDIS_SERVICE_NAME: 'm' }, /not valid JSON/],
    ['an empty list', { REDIS_SENTINEL_NODES: '[]', REDIS_SERVICE_NAME: 'm' }, /is empty/],
    ['a bad pair', { REDIS_SENTINEL_NODES: '[["a"]]', REDIS_SERVICE_NAME: 'm' }, /entry 0 is not a \[host, port\] pair/],
    ['a bad port', { REDIS_SENTINEL_NODES: '[["a", 70000]]', REDIS_SERVICE_NAME: 'm' }, /entry 0 has no valid port/],
    ['no port', { REDIS_SENTINEL_NODES: 'a', REDIS_SERVICE_NAME: 'm' }, /without a port/],
  ])('rejects %s with a message naming the variable', (_name, env, message) => {
    expect(() => valkeyConnectionFromEnvironment({ ...env, REDIS_PASSWORD: 'hunter2' })).toThrow(ValkeyConfigurationError);
    expect(() => valkeyConnectionFromEnvironment({ ...env, REDIS_PASSWORD: 'hunter2' })).toThrow(message);
  });

  it('describes a connection for logs without any password', () => {
    const sentinel = valkeyConnectionFromEnvironment({ REDIS_SENTINEL_NODES: nodes, REDIS_SERVICE_NAME: 'm', REDIS_PASSWORD: 'hunter2', REDIS_SENTINEL_PASSWORD: 'hunter3' });
    const url = valkeyConnectionFromEnvironment({ REDIS_HOST: 'redis', REDIS_USERNAME: 'gw', REDIS_PASSWORD: 'hunter2' });
    if (sentinel === undefined || url === undefined) throw new Error('expected connections');
    expect(describeValkeyConnection(sentinel)).toBe('master set m via sentinels valkey-0.valkey-headless.switchyard.svc.cluster.local:26379, valkey-1.valkey-headless:26379');
    expect(describeValkeyConnection(url)).toBe('redis://redis:6379');
    expect(describeValkeyConnection({ url: 'rediss://:hunter2@[::1]:7000/3' })).toBe('rediss://[::1]:7000/3');
  });
});

describe('worst cases', () => {
  it('adds max_tokens, or the default output cap, to the prompt estimate', () => {
    expect(worstCaseTokens(1200, 300, 4096)).toBe(1500);
    expect(worstCaseTokens(1200, undefined, 4096)).toBe(5296);
    expect(worstCaseTokens(1200, null, 4096)).toBe(5296);
    expect(worstCaseTokens(10.2, 0, 4096)).toBe(11);
  });

  it('prices the worst case, and an unpriced model at 0', () => {
    expect(worstCaseCost(1000, 500, { inputPerToken: 0.000002, outputPerToken: 0.00001 })).toBeCloseTo(0.007, 12);
    expect(worstCaseCost(1000, 500, undefined)).toBe(0);
  });
});

describe('limit scopes from records', () => {
  it('maps LiteLLM field names, numeric strings and budget_reset_at', () => {
    expect(
      limitScopeFromRecord('team:t1', {
        rpm_limit: 100,
        tpm_limit: '50000',
        max_parallel_requests: null,
        max_budget: '25.50',
        max_budget_tokens: null,
        spend: '3.125',
        spend_tokens: '1200',
        budget_reset_at: new Date('2025-02-01T00:00:00Z'),
      }),
    ).toEqual({
      id: 'team:t1',
      rpm: 100,
      tpm: 50000,
      maxParallel: null,
      maxBudget: 25.5,
      maxBudgetTokens: null,
      knownSpend: 3.125,
      knownSpendTokens: 1200,
      budgetPeriod: String(Date.UTC(2025, 1, 1)),
    });
    expect(limitScopeFromRecord('end_user:c9', {}).budgetPeriod).toBeNull();
  });

  it('builds a per-model scope only when the model has a limit', () => {
    const key = { model_rpm_limit: { 'gpt-4o': 10 }, model_tpm_limit: { 'gpt-4o': 1000, claude: 500 } };
    expect(modelLimitScope('key:abc', key, 'gpt-4o')).toEqual({ id: 'key:abc:model:gpt-4o', rpm: 10, tpm: 1000 });
    expect(modelLimitScope('key:abc', key, 'claude')).toEqual({ id: 'key:abc:model:claude', rpm: null, tpm: 500 });
    expect(modelLimitScope('key:abc', key, 'llama')).toBeUndefined();
    expect(modelLimitScope('key:abc', { model_rpm_limit: null }, 'gpt-4o')).toBeUndefined();
  });
});

describe('toLimitError', () => {
  const rateHeaders = { 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': '0', 'retry-after': '12' };

  it('is a 429 rate_limit_error with Retry-After for rate limits', () => {
    const decision: RejectedDecision = {
      admitted: false,
      scope: 'key:9f86d081884c7d659a2feaa0c55ad015:model:gpt-4o',
      kind: 'rpm',
      limit: 100,
      current: 100,
      requested: 1,
      retryAfterSeconds: 12,
      headers: rateHeaders,
    };
    const error = toLimitError(decision);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.status).toBe(429);
    expect(error.headers).toEqual(rateHeaders);
    expect(error.message).toBe('rate limit reached for key (model gpt-4o): 100 requests per minute; retry after 12 s');
    expect(error.message).not.toContain('9f86d0');
    expect(toOpenAiErrorBody(error).error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
  });

  it.each([
    ['tpm', /token rate limit reached for user alice: 1200 of 1000 tokens per minute used/],
    ['parallel', /parallel request limit reached for user alice: 1000 requests already in flight/],
  ] as const)('words %s limits', (kind, message) => {
    const error = toLimitError({
      admitted: false,
      scope: 'user:alice',
      kind,
      limit: 1000,
      current: 1200,
      requested: 0,
      retryAfterSeconds: 1,
      headers: {},
    });
    expect(error.status).toBe(429);
    expect(error.message).toMatch(message);
  });

  it("is LiteLLM's 400 budget_exceeded for budgets", () => {
    const error = toLimitError({
      admitted: false,
      scope: 'team:t1',
      kind: 'budget',
      limit: 10,
      current: 9.8,
      requested: 0.3,
      headers: {},
    });
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(error.status).toBe(400);
    expect(error.headers).toEqual({});
    expect(toOpenAiErrorBody(error).error).toMatchObject({ type: 'budget_exceeded', code: 'budget_exceeded' });
    expect(error.message).toBe(
      'budget exceeded for team t1: current cost 9.8 USD (including requests in flight), this request may cost up to 0.3 USD, max budget 10 USD',
    );
    const tokens = toLimitError({ admitted: false, scope: 'end_user:c9', kind: 'budget_tokens', limit: 1000, current: 900, requested: 300, headers: {} });
    expect(tokens).toBeInstanceOf(BudgetExceededError);
    expect(tokens.message).toMatch(/^token budget exceeded for end user c9: 900 tokens used/);
  });

  it('describes scopes without revealing key hashes', () => {
    expect(describeScope('key:abc123')).toBe('key');
    expect(describeScope('user:alice:model:claude')).toBe('user alice (model claude)');
    expect(describeScope('something-else')).toBe('this scope');
  });
});

describe('formatResetDuration', () => {
  it.each([
    [0, '0ms'],
    [120, '120ms'],
    [999.2, '1s'],
    [17_280, '17.28s'],
    [60_000, '1m0s'],
    [361_500, '6m1.5s'],
  ])('%d ms → %s', (ms, expected) => {
    expect(formatResetDuration(ms)).toBe(expected);
  });
});

describe('createLimitStore', () => {
  it('uses memory without a Valkey URL and Valkey with one', async () => {
    const memory = createLimitStore();
    expect(memory).toBeInstanceOf(MemoryLimitStore);
    await memory.close();
    expect(createLimitStore({ valkey: { url: '' } })).toBeInstanceOf(MemoryLimitStore);
    // The client connects in the background; closing it before it is ready just disconnects.
    const valkey = createLimitStore({ valkey: { url: 'redis://127.0.0.1:1' }, commandTimeoutMs: 100 });
    expect(valkey).toBeInstanceOf(ValkeyLimitStore);
    await valkey.close();
  });
});
