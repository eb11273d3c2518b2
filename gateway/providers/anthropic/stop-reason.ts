/**
 * Anthropic's `stop_reason` in OpenAI's words.
 *
 * @see https://docs.anthropic.com/en/api/handling-stop-reasons
 * @see https://platform.openai.com/docs/api-reference/chat/object#chat/object-choices
 */
import type { FinishReason } from '../../openai';
import { ANTHROPIC_STOP_REASONS } from './anthropic-api';
import type { AnthropicStopReason } from './anthropic-api';

function isAnthropicStopReason(value: string): value is AnthropicStopReason {
  return (ANTHROPIC_STOP_REASONS as readonly string[]).includes(value);
}

/**
 * `stop_reason` → OpenAI `finish_reason`:
 * - `end_turn` (the model finished) and `stop_sequence` (a `stop` sequence was generated) → `stop`.
 * - `max_tokens` (the `max_tokens` budget ran out) → `length`.
 * - `model_context_window_exceeded` (generation ran into the model's context window) → `length`: as with
 *   `max_tokens`, the answer was cut short for lack of room.
 * - `tool_use` (the model wants tool results) → `tool_calls`.
 * - `pause_turn` (a long server-tool turn was paused; sending the response back continues it) → `stop`:
 *   OpenAI has no "resumable" reason, and the content so far is complete as far as it goes.
 * - `refusal` (Anthropic's safety classifiers stopped the answer) → `content_filter`, as OpenAI reports
 *   content withheld by its own filters (and as LiteLLM maps it).
 * - `null` (still generating: non-final stream events) → `null`.
 * - a value Anthropic adds later → `stop`: the turn ended, and `stop` is what OpenAI clients read as
 *   "complete"; mapping it to anything stronger would invent a meaning Anthropic did not state.
 */
export function anthropicStopReasonToOpenAiFinishReason(stopReason: string | null | undefined): FinishReason | null {
  if (stopReason === null || stopReason === undefined) return null;
  if (!isAnthropicStopReason(stopReason)) return 'stop';
  switch (stopReason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'pause_turn':
      return 'stop';
    case 'refusal':
      return 'content_filter';
    default: {
      const unreachable: never = stopReason;
      return unreachable;
    }
  }
}
