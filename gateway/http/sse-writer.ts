/**
 * Writes a translated stream to the client as Server-Sent Events, chunk batch by chunk batch as the
 * upstream delivers them: never buffered whole, and paused (which pauses the upstream read) while the
 * client's socket is full. A failure after the stream started ends it with one `data: {"error": …}`
 * event, without `[DONE]`.
 */
import type { ServerResponse } from 'node:http';
import { redactSecrets, toOpenAiErrorBody, GatewayError } from '../errors';
import type { CompletionUsage } from '../openai';

export interface SseStreamOptions {
  /** Forward usage (the `choices: []` chunk) only when the client asked with `stream_options.include_usage`. */
  readonly includeUsage: boolean;
  readonly headers: Record<string, string>;
  /** Aborted when the client disconnects. */
  readonly signal: AbortSignal;
}

export interface SseStreamResult {
  /** The last usage the upstream reported, whether or not it was forwarded. */
  readonly usage: CompletionUsage | undefined;
  /** How the stream ended. */
  readonly outcome: 'completed' | 'client_closed' | 'failed';
  readonly error?: unknown;
  /** Milliseconds from the call's start to the first content written. */
  readonly firstChunkAt?: number;
}

interface UsageCarrier {
  usage?: CompletionUsage | null;
  choices: unknown[];
}

function waitForDrain(raw: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      raw.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    raw.on('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

export async function writeSseStream<Chunk extends UsageCarrier>(
  raw: ServerResponse,
  chunks: AsyncIterable<Chunk[]>,
  options: SseStreamOptions,
): Promise<SseStreamResult> {
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    ...options.headers,
  });
  raw.flushHeaders();
  let usage: CompletionUsage | undefined;
  let firstChunkAt: number | undefined;
  try {
    for await (const batch of chunks) {
      let text = '';
      for (const chunk of batch) {
        if (chunk.usage) {
          usage = chunk.usage;
          if (!options.includeUsage) {
            if (chunk.choices.length === 0) continue;
            delete chunk.usage;
          }
        } else if (chunk.usage === null && !options.includeUsage) {
          delete chunk.usage;
        }
        text += `data: ${JSON.stringify(chunk)}\n\n`;
      }
      if (options.signal.aborted) return { usage, outcome: 'client_closed' };
      if (text.length === 0) continue;
      firstChunkAt ??= performance.now();
      if (!raw.write(text)) await waitForDrain(raw, options.signal);
    }
    if (options.signal.aborted) return { usage, outcome: 'client_closed' };
    raw.end('data: [DONE]\n\n');
    return { usage, outcome: 'completed', ...(firstChunkAt !== undefined ? { firstChunkAt } : {}) };
  } catch (error) {
    if (options.signal.aborted) return { usage, outcome: 'client_closed' };
    const body = toOpenAiErrorBody(error);
    if (!(error instanceof GatewayError)) body.error.message = redactSecrets(body.error.message);
    raw.end(`data: ${JSON.stringify(body)}\n\n`);
    return { usage, outcome: 'failed', error };
  }
}
