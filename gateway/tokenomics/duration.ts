/**
 * LiteLLM's durations (`duration`, `budget_duration`): a whole number and a unit — `s`, `m`, `h`, `d`,
 * `w`, or `mo` (calendar months). `m` is minutes, as in LiteLLM.
 *
 * @see https://docs.litellm.ai/docs/proxy/users
 */
export interface Duration {
  readonly amount: number;
  readonly unit: 's' | 'm' | 'h' | 'd' | 'w' | 'mo';
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

export function parseDuration(text: string): Duration | undefined {
  const match = /^(\d+)\s*(mo|s|m|h|d|w)$/.exec(text.trim());
  if (!match) return undefined;
  const amount = Number(match[1]);
  if (!Number.isSafeInteger(amount) || amount <= 0) return undefined;
  return { amount, unit: match[2] as Duration['unit'] };
}

/** The instant `duration` after `from`; months move the calendar month (UTC), clamping the day. */
export function addDuration(from: Date, duration: Duration): Date {
  if (duration.unit === 'mo') {
    const result = new Date(from.getTime());
    const day = result.getUTCDate();
    result.setUTCDate(1);
    result.setUTCMonth(result.getUTCMonth() + duration.amount);
    const lastDay = new Date(Date.UTC(result.getUTCFullYear(), result.getUTCMonth() + 1, 0)).getUTCDate();
    result.setUTCDate(Math.min(day, lastDay));
    return result;
  }
  return new Date(from.getTime() + duration.amount * UNIT_MS[duration.unit]);
}
