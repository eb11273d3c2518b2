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
});
