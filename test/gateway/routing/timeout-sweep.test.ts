/**
 * The shared timeout sweep on its own: calls come and go in any order, each quiet one fires once after
 * its timeout, and the list the sweep walks never keeps an ended call or loses a live one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CallTimer, TimeoutSweep } from '../../../gateway/routing/upstream-client';
import type { TimedCall } from '../../../gateway/routing/upstream-client';

const sweeps: TimeoutSweep[] = [];
afterEach(() => {
  for (const sweep of sweeps.splice(0)) sweep.stop();
});

/** A call still queued (no controller): its timer fails it through `failQueued`, which this counts. */
function quietCall(): TimedCall & { readonly failures: number } {
  let failures = 0;
  return {
    headersArrived: () => false,
    paused: () => false,
    failQueued: () => {
      failures += 1;
    },
    get failures() {
      return failures;
    },
  };
}

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('TimeoutSweep', () => {
  it('keeps exactly the calls still timed, whichever order they end in', () => {
    const sweep = new TimeoutSweep(10);
    sweeps.push(sweep);
    const timers = Array.from({ length: 5 }, () => new CallTimer(1000, quietCall(), sweep));
    expect(sweep.held()).toEqual([...timers].reverse());
    // the middle one, then the newest (the list's head), then the oldest (its tail)
    timers[2]?.clear();
    timers[4]?.clear();
    timers[0]?.clear();
    expect(sweep.held()).toEqual([timers[3], timers[1]]);
    timers[1]?.clear();
    timers[1]?.clear();
    expect(sweep.held()).toEqual([timers[3]]);
    timers[3]?.clear();
    expect(sweep.held()).toEqual([]);
    // a short timeout gets a Node timer of its own, outside the sweep
    const short = new CallTimer(50, quietCall(), sweep);
    expect(sweep.held()).toEqual([]);
    short.clear();
  });

  it('fires every quiet call once, after its timeout, and leaves the ended ones alone', async () => {
    const sweep = new TimeoutSweep(10);
    sweeps.push(sweep);
    const calls = Array.from({ length: 6 }, quietCall);
    const timers = calls.map((call, index) => new CallTimer(index % 2 === 0 ? 100 : 300, call, sweep));
    timers[3]?.clear();
    // a call that keeps being touched outlives its timeout
    const touching = setInterval(() => timers[5]?.refresh(), 20);
    await wait(60);
    expect(calls.map((call) => call.failures)).toEqual([0, 0, 0, 0, 0, 0]);
    await wait(140);
    expect(calls.map((call) => call.failures)).toEqual([1, 0, 1, 0, 1, 0]);
    await wait(250);
    clearInterval(touching);
    expect(calls.map((call) => call.failures)).toEqual([1, 1, 1, 0, 1, 0]);
    expect(sweep.held()).toEqual([timers[5]]);
    await wait(450);
    expect(calls.map((call) => call.failures)).toEqual([1, 1, 1, 0, 1, 1]);
    expect(sweep.held()).toEqual([]);
  });
});
