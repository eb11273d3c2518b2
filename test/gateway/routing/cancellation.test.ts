import { describe, expect, it } from 'vitest';
import { Cancellation } from '../../../gateway/routing';

describe('Cancellation', () => {
  it('calls each listener once on cancel, not the unsubscribed ones, and late listeners at once', () => {
    const cancellation = new Cancellation();
    const calls: string[] = [];
    cancellation.subscribe(() => calls.push('a'));
    const unsubscribe = cancellation.subscribe(() => calls.push('b'));
    unsubscribe();
    expect(cancellation.cancelled).toBe(false);
    cancellation.cancel();
    cancellation.cancel();
    expect(cancellation.cancelled).toBe(true);
    cancellation.subscribe(() => calls.push('late'));
    expect(calls).toEqual(['a', 'late']);
  });

  it('follows an AbortSignal, aborted before or after', () => {
    const early = new AbortController();
    early.abort();
    expect(Cancellation.fromAbortSignal(early.signal).cancelled).toBe(true);
    const later = new AbortController();
    const cancellation = Cancellation.fromAbortSignal(later.signal);
    expect(cancellation.cancelled).toBe(false);
    later.abort();
    expect(cancellation.cancelled).toBe(true);
  });
});
