import { describe, expect, it } from 'vitest';
import {
  ollamaDoneReasonToOpenAiFinishReason,
  ollamaDoneReasonToOpenAiTextFinishReason,
} from '../../../../gateway/providers/ollama';

describe('ollamaDoneReasonToOpenAiFinishReason', () => {
  it.each([
    ['stop', false, 'stop'],
    ['length', false, 'length'],
    ['load', false, 'stop'],
    ['unload', false, 'stop'],
    [undefined, false, 'stop'],
    ['some_future_reason', false, 'stop'],
    ['stop', true, 'tool_calls'],
    [undefined, true, 'tool_calls'],
    ['length', true, 'length'],
  ] as const)('%s with tool calls %s → %s', (doneReason, hasToolCalls, expected) => {
    expect(ollamaDoneReasonToOpenAiFinishReason(doneReason, hasToolCalls)).toBe(expected);
  });
});

describe('ollamaDoneReasonToOpenAiTextFinishReason', () => {
  it.each([
    ['stop', 'stop'],
    ['length', 'length'],
    ['load', 'stop'],
    ['unload', 'stop'],
    [undefined, 'stop'],
    ['LENGTH', 'stop'],
  ] as const)('%s → %s', (doneReason, expected) => {
    expect(ollamaDoneReasonToOpenAiTextFinishReason(doneReason)).toBe(expected);
  });
});
