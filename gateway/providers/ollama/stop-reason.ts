/**
 * Ollama's `done_reason` in OpenAI's words.
 *
 * @see https://github.com/ollama/ollama/blob/main/docs/api.md#generate-a-chat-completion
 */
import type { FinishReason } from '../../openai';

/** The `done_reason` values Ollama documents. */
export const OLLAMA_DONE_REASONS = ['stop', 'length', 'load', 'unload'] as const;
export type OllamaDoneReason = (typeof OLLAMA_DONE_REASONS)[number];

function isOllamaDoneReason(value: string): value is OllamaDoneReason {
  return (OLLAMA_DONE_REASONS as readonly string[]).includes(value);
}

/** The finish reasons a text generation can end with (no tool calls: legacy completions). */
export type OllamaTextFinishReason = Extract<FinishReason, 'stop' | 'length'>;

/**
 * `done_reason` → OpenAI `finish_reason` for a text generation (`/api/generate`, and `/api/chat` without tool
 * calls):
 * - `stop`: the model ended its turn or hit a stop sequence → `stop`.
 * - `length`: `num_predict` (OpenAI's `max_tokens`) or the context was exhausted → `length`.
 * - `load` / `unload`: a model was loaded or unloaded and nothing was generated → `stop`.
 * - absent (servers before `done_reason` existed) or a value Ollama adds later → `stop`: the generation ended
 *   normally as far as we can tell, and `stop` is what OpenAI clients treat as "complete".
 */
export function ollamaDoneReasonToOpenAiTextFinishReason(doneReason: string | undefined): OllamaTextFinishReason {
  if (doneReason === undefined || !isOllamaDoneReason(doneReason)) return 'stop';
  switch (doneReason) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'load':
    case 'unload':
      return 'stop';
    default: {
      const unreachable: never = doneReason;
      return unreachable;
    }
  }
}

/**
 * `done_reason` → OpenAI `finish_reason` for a chat completion. Ollama reports `stop` when the model ended its
 * turn with tool calls; OpenAI says `tool_calls` then. A `length` stays `length` even with tool calls, so the
 * client knows the turn was cut short.
 */
export function ollamaDoneReasonToOpenAiFinishReason(
  doneReason: string | undefined,
  hasToolCalls: boolean,
): Extract<FinishReason, 'stop' | 'length' | 'tool_calls'> {
  const reason = ollamaDoneReasonToOpenAiTextFinishReason(doneReason);
  return hasToolCalls && reason === 'stop' ? 'tool_calls' : reason;
}
