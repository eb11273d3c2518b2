/**
 * Replays a recorded upstream body through a stream translator, whole or split into pieces of N bytes
 * (N = 1 splits inside multi-byte characters, SSE field names and JSON tokens), as the upstream socket
 * could deliver it.
 */
import type { StreamTranslator } from '../../gateway/providers/provider-adapter';

export function replayStream<Chunk>(translator: StreamTranslator<Chunk>, body: string, pieceBytes?: number): Chunk[] {
  const bytes = new TextEncoder().encode(body);
  const decoder = new TextDecoder('utf-8');
  const out: Chunk[] = [];
  const step = pieceBytes ?? bytes.length;
  for (let offset = 0; offset < bytes.length; offset += step) {
    const text = decoder.decode(bytes.subarray(offset, offset + step), { stream: true });
    if (text.length > 0) out.push(...translator.push(text));
  }
  const tail = decoder.decode();
  if (tail.length > 0) out.push(...translator.push(tail));
  out.push(...translator.end());
  return out;
}

/** Replaces generated ids and timestamps so translator output can be compared with a snapshot. */
export function normalizeGenerated<T>(value: T): T {
  return JSON.parse(
    JSON.stringify(value, (key, inner: unknown) => {
      if (key === 'created' && typeof inner === 'number') return 0;
      if (key === 'id' && typeof inner === 'string' && /^(chatcmpl|cmpl|call)[-_]/.test(inner)) {
        return inner.replace(/[-_].*$/, '-<id>');
      }
      return inner;
    }),
  ) as T;
}
