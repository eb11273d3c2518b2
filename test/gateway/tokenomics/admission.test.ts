/**
 * Admission's two paths: a call nothing can limit is answered at once (no promise, no store call), and a
 * call with limits to check goes through the limit store. The HTTP-level behaviour of limits is in
 * enforcement.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { OwnerLimits } from '../../../gateway/storage';
import { Admission, createLimitStore } from '../../../gateway/tokenomics';
import type { EndUserLookup, LimitStore } from '../../../gateway/tokenomics';

function countingStore(): { store: LimitStore; admits: () => number } {
  const inner = createLimitStore();
  let admits = 0;
  const store: LimitStore = {
    admit: (request) => {
      admits += 1;
      return inner.admit(request);
    },
    settle: (ticket, actual, nowMs) => inner.settle(ticket, actual, nowMs),
    release: (ticket, nowMs) => inner.release(ticket, nowMs),
    usage: (scope, nowMs) => inner.usage(scope, nowMs),
    close: () => inner.close(),
  };
  return { store, admits: () => admits };
}

function endUser(id: string, limits: Partial<OwnerLimits>): OwnerLimits {
  return {
    id,
    models: [],
    blocked: false,
    max_budget: null,
    max_budget_tokens: null,
    spend: 0,
    spend_tokens: 0,
    budget_reset_at: null,
    rpm_limit: null,
    tpm_limit: null,
    max_parallel_requests: null,
    model_rpm_limit: {},
    model_tpm_limit: {},
    ...limits,
  };
}

const endUsers = (records: Record<string, OwnerLimits>): EndUserLookup => ({
  find: (id) => Promise.resolve(records[id]),
});

describe('Admission.admit', () => {
  it('answers undefined synchronously when nothing can limit the call', () => {
    const { store, admits } = countingStore();
    const admission = new Admission({ store, priceOfGroup: () => undefined, endUsers: endUsers({}) });
    expect(admission.admit({ kind: 'master' }, { model: 'gpt' }, 'call-1')).toBeUndefined();
    expect(admission.admit(null, { model: 'gpt', user: null }, 'call-2')).toBeUndefined();
    // A request naming its end user, on a gateway that does not limit end users.
    const withoutEndUsers = new Admission({ store, priceOfGroup: () => undefined });
    expect(withoutEndUsers.admit({ kind: 'master' }, { model: 'gpt', user: 'alice' }, 'call-3')).toBeUndefined();
    expect(admits()).toBe(0);
  });

  it('looks the end user up and enforces their limits through the store', async () => {
    const { store, admits } = countingStore();
    const admission = new Admission({
      store,
      priceOfGroup: () => undefined,
      endUsers: endUsers({ alice: endUser('alice', { rpm_limit: 1 }), bob: endUser('bob', {}), mallory: endUser('mallory', { blocked: true }) }),
    });
    const first = admission.admit({ kind: 'master' }, { model: 'gpt', user: 'alice' }, 'call-1');
    expect(first).toBeInstanceOf(Promise);
    await expect(first).resolves.toMatchObject({ ticket: expect.anything() });
    await expect(admission.admit({ kind: 'master' }, { model: 'gpt', user: 'alice' }, 'call-2')).rejects.toMatchObject({ status: 429 });
    // An end user without limits is looked up, and then nothing is reserved.
    await expect(admission.admit({ kind: 'master' }, { model: 'gpt', user: 'bob' }, 'call-3')).resolves.toBeUndefined();
    await expect(admission.admit({ kind: 'master' }, { model: 'gpt', user: 'mallory' }, 'call-4')).rejects.toMatchObject({
      code: 'end_user_blocked',
    });
    expect(admits()).toBe(2);
  });
});
