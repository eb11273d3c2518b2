/**
 * Test helpers for the Anthropic adapter: fixture loading, a stream replay that keeps the chunks delivered
 * before a failure, and a folding of OpenAI chunks into the message a client would assemble.
 */
import { readFileSync } from 'node:fs';
import type { ChatCompletionChunk, CompletionUsage, FinishReason } from '../../../../gateway/openai';
import type { StreamTranslator, TranslationContext } from '../../../../gateway/providers/provider-adapter';

export const context: TranslationContext = { requestModel: 'claude-sonnet', callId: 'chatcmpl-test', created: 1_700_000_000 };

export function readFixtureText(name: string): string {
  return readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
}

export function readFixtureJson<T = unknown>(name: string): T {
  return JSON.parse(readFixtureText(name)) as T;
}

/** An error fixture: the status and the body exactly as the upstream sent it. */
export interface ErrorFixture {
  readonly status: number;
  readonly bodyText: string;
}

/** Error fixtures hold either a JSON `body` (Anthropic's error object) or a raw `bodyText`. */
export function readErrorFixture(name: string): ErrorFixture {
  const fixture = readFixtureJson<{ status: number; body?: unknown; bodyText?: string }>(name);
  return { status: fixture.status, bodyText: fixture.bodyText ?? JSON.stringify(fixture.body) };
}

export interface ReplayOutcome<Chunk> {
  /** Every chunk the translator returned, including those returned before it threw. */
  readonly chunks: Chunk[];
  readonly error: unknown;
}

/** Like `replayStream`, but a throw ends the replay instead of discarding the chunks returned so far. */
export function replayUntilError<Chunk>(
  translator: StreamTranslator<Chunk>,
  body: string,
  pieceBytes?: number,
): ReplayOutcome<Chunk> {
  const bytes = new TextEncoder().encode(body);
  const decoder = new TextDecoder('utf-8');
  const chunks: Chunk[] = [];
  const step = pieceBytes ?? bytes.length;
  try {
    for (let offset = 0; offset < bytes.length; offset += step) {
      const text = decoder.decode(bytes.subarray(offset, offset + step), { stream: true });
      if (text.length > 0) chunks.push(...translator.push(text));
    }
    chunks.push(...translator.end());
  } catch (error) {
    return { chunks, error };
  }
  return { chunks, error: undefined };
}

export interface AssembledToolCall {
  id: string | undefined;
  name: string | undefined;
  arguments: string;
}

export interface AssembledMessage {
  role: string | undefined;
  content: string;
  reasoning: string;
  toolCalls: AssembledToolCall[];
  thinkingBlocks: unknown[];
  finishReasons: (FinishReason | null)[];
  usage: CompletionUsage | null | undefined;
  ids: Set<string>;
  models: Set<string>;
}

/** Folds chunks the way an OpenAI client does (tool calls by `index`). */
export function assemble(chunks: ChatCompletionChunk[]): AssembledMessage {
  const message: AssembledMessage = {
    role: undefined,
    content: '',
    reasoning: '',
    toolCalls: [],
    thinkingBlocks: [],
    finishReasons: [],
    usage: undefined,
    ids: new Set(),
    models: new Set(),
  };
  for (const chunk of chunks) {
    message.ids.add(chunk.id);
    message.models.add(chunk.model);
    if (chunk.usage !== undefined) message.usage = chunk.usage;
    for (const choice of chunk.choices) {
      const delta = choice.delta as ChatCompletionChunk['choices'][number]['delta'] & { thinking_blocks?: unknown[] };
      if (delta.role !== undefined) message.role = delta.role;
      if (typeof delta.content === 'string') message.content += delta.content;
      if (delta.reasoning_content !== undefined) message.reasoning += delta.reasoning_content;
      if (delta.thinking_blocks !== undefined) message.thinkingBlocks.push(...delta.thinking_blocks);
      for (const call of delta.tool_calls ?? []) {
        const existing = (message.toolCalls[call.index] ??= { id: undefined, name: undefined, arguments: '' });
        if (call.id !== undefined) existing.id = call.id;
        if (call.function?.name !== undefined) existing.name = call.function.name;
        existing.arguments += call.function?.arguments ?? '';
      }
      if (choice.finish_reason !== null) message.finishReasons.push(choice.finish_reason);
    }
  }
  return message;
}
