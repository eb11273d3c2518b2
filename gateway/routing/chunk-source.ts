/**
 * A translated stream as the HTTP layer consumes it: batches of OpenAI chunks pushed as the upstream body
 * arrives. It is event-driven rather than an async iterator (and the upstream body comes straight from
 * undici's parser, not through a Readable), so each upstream read costs no promise round trips or stream
 * machinery on the way to the client — what keeps the gateway's time-to-first-token close to a bare
 * pass-through's. Returning `false` from `deliver` pauses the upstream read (backpressure) until
 * `resume()`.
 */
import { StringDecoder } from 'node:string_decoder';
import type { StreamTranslator } from '../providers';
import type { UpstreamStream } from './upstream-client';

export interface ChunkSource<Chunk> {
  /** Starts the flow; resolves when the stream completed, rejects (with a gateway error) when it failed. */
  run(deliver: (batch: Chunk[]) => boolean): Promise<void>;
  /** Continues after `deliver` returned `false`. */
  resume(): void;
  /** Stops reading and closes the upstream request (the client left). */
  cancel(): void;
}

/** A source of chunks already in hand (mock deployments). */
export function chunkSourceFromArray<Chunk>(chunks: Chunk[]): ChunkSource<Chunk> {
  return {
    run: async (deliver) => {
      if (chunks.length > 0) deliver(chunks);
    },
    resume: () => undefined,
    cancel: () => undefined,
  };
}

/** Reads an upstream body through a provider's stream translator, piece by piece as the parser hands it over. */
export function chunkSourceFromUpstream<Chunk>(stream: UpstreamStream, translator: StreamTranslator<Chunk>): ChunkSource<Chunk> {
  // Characters split across pieces stay whole. A piece that ends on an ASCII byte (an SSE event ends with a
  // newline) cannot end inside a character, so it is decoded directly; the decoder is made for the first
  // piece that does not, and decodes every piece after it (its state spans them).
  let decoder: StringDecoder | undefined;
  const decode = (bytes: Buffer): string => {
    if (decoder === undefined && (bytes.length === 0 || (bytes[bytes.length - 1] as number) < 0x80)) return bytes.toString('utf8');
    decoder ??= new StringDecoder('utf8');
    return decoder.write(bytes);
  };
  let settled = false;
  let finish: () => void = () => undefined;
  return {
    run(deliver) {
      return new Promise<void>((resolve, reject) => {
        finish = resolve;
        const fail = (error: unknown): void => {
          if (settled) return;
          settled = true;
          stream.abort();
          reject(error);
        };
        stream.start({
          onData: (bytes) => {
            if (settled) return;
            try {
              const text = decode(bytes);
              if (text.length === 0) return;
              const chunks = translator.push(text);
              if (chunks.length > 0 && !deliver(chunks)) stream.pause();
            } catch (error) {
              fail(error);
            }
          },
          onEnd: () => {
            if (settled) return;
            try {
              const tail = decoder?.end() ?? '';
              const rest = tail.length > 0 ? [...translator.push(tail), ...translator.end()] : translator.end();
              settled = true;
              if (rest.length > 0) deliver(rest);
              resolve();
            } catch (error) {
              fail(error);
            }
          },
          onError: fail,
        });
      });
    },
    resume: () => {
      if (!settled) stream.resume();
    },
    cancel: () => {
      if (settled) return;
      settled = true;
      stream.abort();
      finish();
    },
  };
}
