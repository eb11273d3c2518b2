/** The authenticator's cache, and what happens while the key store is unreachable. */
import { describe, expect, it } from 'vitest';
import { GatewayAuthenticator, hashVirtualKey, presentedKeyOf } from '../../../gateway/auth';
import type { KeyLookup } from '../../../gateway/auth';
import type { KeyWithOwners } from '../../../gateway/storage';

const KEY = 'sk-virtual-key-for-tests-000000';

function record(): KeyWithOwners {
  const now = new Date();
  return {
    token: hashVirtualKey(KEY), key_name: 'sk-...0000', key_alias: null, user_id: null, team_id: null, models: [], aliases: {},
    max_budget: null, soft_budget: null, max_budget_tokens: null, spend: 0, spend_tokens: 0, budget_duration: null,
    budget_reset_at: null, expires: null, rpm_limit: null, tpm_limit: null, max_parallel_requests: null, model_rpm_limit: {},
    model_tpm_limit: {}, model_max_budget: {}, budget_id: null, metadata: {}, tags: [], blocked: false, created_by: null,
    created_at: now, updated_at: now, team: null, user: null,
  };
}

function harness(allowRequestsOnDbUnavailable: boolean) {
  let clock = 0;
  let databaseUp = true;
  let lookups = 0;
  const store: KeyLookup = {
    async findWithOwnersByHash(hash) {
      lookups++;
      if (!databaseUp) throw new Error('connection refused');
      return hash === hashVirtualKey(KEY) ? record() : undefined;
    },
  };
  const authenticator = new GatewayAuthenticator({
    masterKey: 'sk-master',
    keys: async () => store,
    cacheTtlMs: 1_000,
    now: () => clock,
    allowRequestsOnDbUnavailable,
  });
  return {
    authenticator,
    advance: (ms: number) => (clock += ms),
    setDatabase: (up: boolean) => (databaseUp = up),
    lookups: () => lookups,
  };
}

describe('GatewayAuthenticator', () => {
  it('reads a key once per cache period', async () => {
    const { authenticator, advance, lookups } = harness(false);
    await authenticator.authenticate(KEY);
    await authenticator.authenticate(KEY);
    expect(lookups()).toBe(1);
    advance(1_001);
    await authenticator.authenticate(KEY);
    expect(lookups()).toBe(2);
    expect(await authenticator.authenticate('sk-master')).toEqual({ kind: 'master' });
  });

  it('answers 503 while the store is unreachable, by default', async () => {
    const { authenticator, advance, setDatabase } = harness(false);
    await authenticator.authenticate(KEY);
    setDatabase(false);
    advance(5_000);
    await expect(Promise.resolve().then(() => authenticator.authenticate(KEY))).rejects.toMatchObject({ status: 503, code: 'database_unavailable' });
  });

  it('keeps known keys working during an outage with allow_requests_on_db_unavailable, but not unknown ones', async () => {
    const { authenticator, advance, setDatabase } = harness(true);
    await authenticator.authenticate(KEY);
    setDatabase(false);
    advance(60_000);
    expect(await authenticator.authenticate(KEY)).toMatchObject({ kind: 'virtual_key' });
    await expect(Promise.resolve().then(() => authenticator.authenticate('sk-never-seen-before-0000000'))).rejects.toMatchObject({ status: 503 });
  });
});

describe('presentedKeyOf', () => {
  it('reads the key after a Bearer scheme in any case and spacing, else the bare header', () => {
    expect(presentedKeyOf({ authorization: 'Bearer sk-1' })).toBe('sk-1');
    expect(presentedKeyOf({ authorization: 'bearer sk-1' })).toBe('sk-1');
    expect(presentedKeyOf({ authorization: 'BEARER\t  sk-1 ' })).toBe('sk-1');
    expect(presentedKeyOf({ authorization: 'sk-bare ' })).toBe('sk-bare');
    // Not the scheme: the whole value is the key (and will not match one).
    expect(presentedKeyOf({ authorization: 'Bearersk-1' })).toBe('Bearersk-1');
    expect(presentedKeyOf({ authorization: 'Basic sk-1' })).toBe('Basic sk-1');
    expect(presentedKeyOf({ authorization: 'Bearer' })).toBe('Bearer');
    // A scheme with no key presents an empty one: answered as "no API key".
    expect(presentedKeyOf({ authorization: 'Bearer  ' })).toBe('');
  });

  it('falls back to x-api-key, then api-key; authorization wins when several are sent', () => {
    expect(presentedKeyOf({ 'x-api-key': ' sk-x' })).toBe('sk-x');
    expect(presentedKeyOf({ 'api-key': 'sk-azure' })).toBe('sk-azure');
    expect(presentedKeyOf({ authorization: 'Bearer sk-1', 'x-api-key': 'sk-x', 'api-key': 'sk-azure' })).toBe('sk-1');
    expect(presentedKeyOf({ 'x-api-key': 'sk-x', 'api-key': 'sk-azure' })).toBe('sk-x');
    expect(presentedKeyOf({ authorization: '', 'x-api-key': '' })).toBeUndefined();
  });
});
