/**
 * Ollama `/api/chat` NDJSON stream → OpenAI chat completion chunks.
 *
 * Ollama streams one JSON object per line: `done: false` pieces carrying `message.content`,
 * `message.thinking` or whole `message.tool_calls` (Ollama parses a tool call completely before sending it),
 * then one `done: true` line with `done_reason` and the token counts. A failure part-way arrives as an
 * `{"error": "…"}` line.
 *
 * Output, per OpenAI's stream format: the first chunk carries `role: 'assistant'`; then content,
 * `reasoning_content` and `tool_calls` deltas (each tool call whole, with its index, a generated id, the name
 * and the full JSON arguments); on the done line a chunk with the `finish_reason`, then a chunk with
 * `choices: []` and `usage`. The usage chunk is always produced: the HTTP layer forwards it only when the
 * client asked for `stream_options.include_usage`.
 *
 * @see https://github.com/ollama/ollama/blob/main/docs/api.md#chat-request-streaming
 */
import type { ChatCompletionChunk, ChatCompletionChunkChoice, ChatCompletionChunkDelta } from '../../openai';
import type { ChatStreamTranslator, TranslationContext } from '../provider-adapter';
import { generateToolCallId, parseOllamaChatResponse } from './chat-response';
import { malformedOllamaResponseError, truncatedOllamaStreamError } from './errors';
import { ollamaCountsToOpenAiUsage, ollamaTimestampToUnixSeconds } from './ollama-api';
import { ollamaDoneReasonToOpenAiFinishReason } from './stop-reason';

/**
 * Splits an NDJSON body, fed in pieces cut at any point, into its lines. Lines are returned without their
 * `\n` / `\r\n`; blank lines are skipped. (Kept here until a third provider needs it; see house rule 3.)
 *
 * @see https://github.com/ndjson/ndjson-spec
 */
export class NdjsonLineBuffer {
  private pending = '';

  /** Adds a piece of the body and returns the lines it completes. */
  push(text: string): string[] {
    if (!text.includes('\n')) {
      this.pending += text;
      return [];
    }
    const parts = (this.pending + text).split('\n');
    this.pending = parts.pop() ?? '';
    return parts.flatMap(cleanLine);
  }

  /** The body ended: returns a last line that had no line break after it, if any. */
  end(): string[] {
    const rest = this.pending;
    this.pending = '';
    return cleanLine(rest);
  }
}

function cleanLine(line: string): string[] {
  const withoutReturn = line.endsWith('\r') ? line.slice(0, -1) : line;
  return withoutReturn.trim() === '' ? [] : [withoutReturn];
}

/** Parses one NDJSON line; text that is not JSON is a malformed stream. */
export function parseNdjsonLine(line: string, what: string): unknown {
  try {
    return JSON.parse(line);
  } catch (error) {
    throw malformedOllamaResponseError(what, error);
  }
}

export function createOllamaToOpenAiChunkStream(context: TranslationContext): ChatStreamTranslator {
  return new OllamaToOpenAiChunkStream(context);
}

/**
 * Translates what is left in the line buffer when the body ends: a last line without its line break. If it
 * is not JSON, the connection was cut mid-line.
 */
export function translateNdjsonTail<Chunk>(lines: NdjsonLineBuffer, translate: (parsed: unknown) => Chunk[]): Chunk[] {
  const chunks: Chunk[] = [];
  for (const line of lines.end()) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      throw truncatedOllamaStreamError(error);
    }
    chunks.push(...translate(parsed));
  }
  return chunks;
}

/** Per-request state: created for one response, never shared. */
class OllamaToOpenAiChunkStream implements ChatStreamTranslator {
  private readonly lines = new NdjsonLineBuffer();
  private readonly id: string;
  /** Taken from the first line, so every chunk of one response carries the same `created`. */
  private created: number | undefined;
  private sentRole = false;
  private toolCallCount = 0;
  private finished = false;

  constructor(private readonly context: TranslationContext) {
    this.id = `chatcmpl-${context.callId}`;
  }

  push(text: string): ChatCompletionChunk[] {
    return this.lines.push(text).flatMap((line) => this.translateLine(parseNdjsonLine(line, 'chat stream line')));
  }

  end(): ChatCompletionChunk[] {
    const chunks = translateNdjsonTail(this.lines, (parsed) => this.translateLine(parsed));
    if (!this.finished) throw truncatedOllamaStreamError();
    return chunks;
  }

  private translateLine(parsed: unknown): ChatCompletionChunk[] {
    // Ollama sends nothing after its done line; should a server ever do, it is not part of this response.
    if (this.finished) return [];
    const response = parseOllamaChatResponse(parsed, 'chat stream line');
    this.created ??= ollamaTimestampToUnixSeconds(response.created_at) ?? this.context.created;

    const chunks: ChatCompletionChunk[] = [];
    const delta: ChatCompletionChunkDelta = {};
    if (!this.sentRole) {
      delta.role = 'assistant';
      delta.content = '';
      this.sentRole = true;
    }
    const content = response.message?.content ?? '';
    const thinking = response.message?.thinking ?? '';
    const toolCalls = response.message?.tool_calls ?? [];
    if (content !== '') delta.content = content;
    if (thinking !== '') delta.reasoning_content = thinking;
    if (toolCalls.length > 0) {
      delta.tool_calls = toolCalls.map((toolCall) => ({
        index: this.toolCallCount++,
        id: generateToolCallId(),
        type: 'function',
        function: { name: toolCall.function.name, arguments: JSON.stringify(toolCall.function.arguments ?? {}) },
      }));
    }
    if (Object.keys(delta).length > 0) chunks.push(this.chunk([{ index: 0, delta, finish_reason: null, logprobs: null }]));

    if (response.done) {
      this.finished = true;
      const finishReason = ollamaDoneReasonToOpenAiFinishReason(response.done_reason, this.toolCallCount > 0);
      chunks.push(this.chunk([{ index: 0, delta: {}, finish_reason: finishReason, logprobs: null }]));
      chunks.push({ ...this.chunk([]), usage: ollamaCountsToOpenAiUsage(response) });
    }
    return chunks;
  }

  private chunk(choices: ChatCompletionChunkChoice[]): ChatCompletionChunk {
    return {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created ?? this.context.created,
      model: this.context.requestModel,
      choices,
    };
  }
}
