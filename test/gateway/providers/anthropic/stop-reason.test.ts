import { describe, expect, it } from 'vitest';
import { ANTHROPIC_STOP_REASONS, anthropicStopReasonToOpenAiFinishReason } from '../../../../gateway/providers/anthropic';

describe('anthropicStopReasonToOpenAiFinishReason', () => {
  const cases = [
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'],
    ['pause_turn', 'stop'],
    ['refusal', 'content_filter'],
    ['a_reason_added_later', 'stop'],
    [null, null],
    [undefined, null],
  ] as const;

  it.each(cases)('maps %s to %s', (stopReason, finishReason) => {
    expect(anthropicStopReasonToOpenAiFinishReason(stopReason)).toBe(finishReason);
  });

  it('covers every documented stop reason', () => {
    const covered = new Set<string | null | undefined>(cases.map(([stopReason]) => stopReason));
    expect(ANTHROPIC_STOP_REASONS.filter((stopReason) => !covered.has(stopReason))).toEqual([]);
  });
});
