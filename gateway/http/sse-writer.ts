/**
 * Writes a translated stream to the client as Server-Sent Events, batch by batch as the upstream delivers
 * them: never buffered whole; when the client's socket is full the upstream read pauses until it drains.
 * A failure after the stream started ends it with one `data: {"error": …}` event, without `[DONE]`.
 */
import type { ServerResponse } from 'node:http';
import { GatewayError, redactSecrets, toOpenAiErrorBody } from '../errors';
import type { CompletionUsage } from '../openai';
import type { CancelSignal, ChunkSource } from '../routing';
import { chunkTextOf, chunkTextWithoutNullUsage } from '../providers';

/** How long the response headers wait for the first chunk before they are sent alone. */
export const HEADERS_ALONE_AFTER_MS = 20;

export interface SseStreamOptions {
  /** Forward usage (the `choices: []` chunk) only when the client asked with `stream_options.include_usage`. */
  readonly includeUsage: boolean;
  /** The call's own headers; the stream's `content-type` and cache fields are added to this object. */
  readonly headers: Record<string, string>;
  /** Aborted when the client disconnects. */
  readonly signal: CancelSignal;
}

export interface SseStreamResult {
  /** The last usage the upstream reported, whether or not it was forwarded. */
  readonly usage: CompletionUsage | undefined;
  /** How the stream ended. */
  readonly outcome: 'completed' | 'client_closed' | 'failed';
  readonly error?: unknown;
}

interface UsageCarrier {
  usage?: CompletionUsage | null;
  choices: unknown[];
}

export async function writeSseStream<Chunk extends UsageCarrier>(
  raw: ServerResponse,
  source: ChunkSource<Chunk>,
  options: SseStreamOptions,
): Promise<SseStreamResult> {
  // The caller's headers object is the call's own: the stream's fields are added to it rather than
  // copied into a new one. No `connection` header: Node keeps the connection alive (and says so) unless
  // the client asked to close it, which a forced `keep-alive` would contradict.
  const headers = options.headers;
  headers['content-type'] = 'text/event-stream; charset=utf-8';
  headers['cache-control'] = 'no-cache';
  headers['x-accel-buffering'] = 'no';
  raw.writeHead(200, headers);
  // The headers go out with the first chunk, in one write (what a bare pass-through does, and one
  // packet fewer before the first token); when the upstream is slow to produce that chunk (a reasoning
  // model thinking), they are sent on their own after a moment, so clients see the stream begin.
  // Usually the first chunk came in the same packet as the upstream's headers and is written while
  // `run` starts, so the timer is armed only when it did not.
  let headersSent = false;
  let headerTimer: NodeJS.Timeout | undefined;
  let usage: CompletionUsage | undefined;
  // Listened to only once a write has filled the socket: most streams never wait for it.
  let drainListened = false;
  const onDrain = (): void => source.resume();
  const onAbort = (): void => source.cancel();
  const unsubscribe = options.signal.subscribe(onAbort);

  const deliver = (batch: Chunk[]): boolean => {
    let text = '';
    for (const chunk of batch) {
      let changed = false;
      let own: string | undefined;
      if (chunk.usage) {
        usage = chunk.usage;
        if (!options.includeUsage) {
          if (chunk.choices.length === 0) continue;
          delete chunk.usage;
          changed = true;
        }
      } else if (chunk.usage === null && !options.includeUsage) {
        // The `"usage": null` the gateway asked the upstream for: cut from the upstream's own text when
        // that can be done exactly (OpenAI's chunks), else left out of a new serialisation.
        own = chunkTextWithoutNullUsage(chunk);
        if (own === undefined) {
          delete chunk.usage;
          changed = true;
        }
      }
      // A chunk the translation left untouched (and nothing above changed) goes out as the upstream wrote it.
      text += `data: ${own ?? (changed ? undefined : chunkTextOf(chunk)) ?? JSON.stringify(chunk)}\n\n`;
    }
    if (text.length === 0 || options.signal.cancelled) return true;
    headersSent = true;
    if (raw.write(text)) return true;
    if (!drainListened) {
      drainListened = true;
      raw.on('drain', onDrain);
    }
    return false;
  };

  try {
    const running = source.run(deliver);
    if (!headersSent) {
      headerTimer = setTimeout(() => {
        if (!headersSent) {
          headersSent = true;
          raw.flushHeaders();
        }
      }, HEADERS_ALONE_AFTER_MS);
    }
    await running;
    if (options.signal.cancelled) return { usage, outcome: 'client_closed' };
    raw.end('data: [DONE]\n\n');
    return { usage, outcome: 'completed' };
  } catch (error) {
    if (options.signal.cancelled) return { usage, outcome: 'client_closed' };
    const body = toOpenAiErrorBody(error);
    if (!(error instanceof GatewayError)) body.error.message = redactSecrets(body.error.message);
    raw.end(`data: ${JSON.stringify(body)}\n\n`);
    return { usage, outcome: 'failed', error };
  } finally {
    clearTimeout(headerTimer);
    if (drainListened) raw.off('drain', onDrain);
    unsubscribe();
  }
}
