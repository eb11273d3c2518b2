/**
 * Finish reasons from OpenAI-compatible servers. OpenAI's own values pass through; values some compatible
 * servers send are mapped to the nearest OpenAI value.
 *
 * @see https://platform.openai.com/docs/api-reference/chat/object#chat/object-choices
 */
import type { FinishReason } from '../../openai';

export type OpenAiCompatibleFinishReason = FinishReason | 'eos' | 'abort' | 'error' | 'null';

export function openAiCompatibleFinishReasonToOpenAiFinishReason(value: OpenAiCompatibleFinishReason): FinishReason {
  switch (value) {
    case 'stop':
    case 'length':
    case 'tool_calls':
    case 'content_filter':
    case 'function_call':
      return value;
    // Text Generation Inference and some vLLM builds report the end-of-sequence token as `eos`.
    case 'eos':
      return 'stop';
    // vLLM reports a request cancelled server-side as `abort`; treat like a server-enforced stop.
    case 'abort':
    case 'error':
    case 'null':
      return 'stop';
    default: {
      const unreachable: never = value;
      return unreachable;
    }
  }
}

const KNOWN = new Set<string>(['stop', 'length', 'tool_calls', 'content_filter', 'function_call', 'eos', 'abort', 'error', 'null']);

/**
 * Normalises an upstream value. Unknown strings keep meaning "the model stopped" (`stop`), the documented
 * default; `null` (not finished yet) stays `null`.
 */
export function normalizeOpenAiFinishReason(value: unknown): FinishReason | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' && KNOWN.has(value)) {
    return openAiCompatibleFinishReasonToOpenAiFinishReason(value as OpenAiCompatibleFinishReason);
  }
  return 'stop';
}
