/**
 * Virtual keys: `sk-` plus 32 random base64url characters, shown to their owner once. Only the SHA-256 of
 * a key is stored (hex, as LiteLLM stores `token`), and `key_name` keeps a recognisable hint
 * (`sk-...wxyz`) for listings.
 */
import { hash, randomBytes } from 'node:crypto';

export const VIRTUAL_KEY_PREFIX = 'sk-';

export function generateVirtualKey(): string {
  return `${VIRTUAL_KEY_PREFIX}${randomBytes(24).toString('base64url')}`;
}

export function hashVirtualKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/** The listing hint: the prefix and the last four characters. */
export function virtualKeyName(key: string): string {
  return `${VIRTUAL_KEY_PREFIX}...${key.slice(-4)}`;
}

/** A stored hash as clients may pass it back (`/key/info?key=<hash>`), or a raw key to hash. */
export function toKeyHash(keyOrHash: string): string {
  return /^[0-9a-f]{64}$/.test(keyOrHash) ? keyOrHash : hashVirtualKey(keyOrHash);
}
