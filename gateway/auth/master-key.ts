/**
 * Key checks for the gateway. Today: the master key (`general_settings.master_key` or
 * `LITELLM_MASTER_KEY`); virtual keys slot in behind the same `Authenticator` interface. Comparison is in
 * constant time over SHA-256 digests, so neither the key's content nor its length leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { AuthenticationError } from '../errors';

/** Who is calling. */
export interface Principal {
  readonly kind: 'master' | 'anonymous';
}

export interface Authenticator {
  /** `true` when no key is required (no master key configured). */
  readonly open: boolean;
  /** Resolves the caller, or throws `AuthenticationError`. */
  authenticate(presentedKey: string | undefined): Principal;
}

const MASTER: Principal = Object.freeze({ kind: 'master' });
const ANONYMOUS: Principal = Object.freeze({ kind: 'anonymous' });

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export class MasterKeyAuthenticator implements Authenticator {
  readonly open: boolean;
  private readonly masterDigest: Buffer | undefined;

  constructor(masterKey: string | undefined) {
    this.open = masterKey === undefined || masterKey.length === 0;
    this.masterDigest = this.open ? undefined : digest(masterKey as string);
  }

  authenticate(presentedKey: string | undefined): Principal {
    if (this.masterDigest === undefined) return ANONYMOUS;
    if (presentedKey === undefined || presentedKey.length === 0) {
      throw new AuthenticationError('no API key: send it as "Authorization: Bearer <key>", "x-api-key" or "api-key"');
    }
    if (!timingSafeEqual(digest(presentedKey), this.masterDigest)) {
      throw new AuthenticationError('invalid API key');
    }
    return MASTER;
  }
}

/**
 * The key a request presents: `Authorization: Bearer <key>` (the OpenAI SDKs), `x-api-key` (Anthropic's
 * SDK) or `api-key` (Azure's), first one present wins.
 */
export function presentedKeyOf(headers: Readonly<Record<string, string | string[] | undefined>>): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === 'string' && authorization.length > 0) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization);
    return (match?.[1] ?? authorization).trim();
  }
  const xApiKey = headers['x-api-key'];
  if (typeof xApiKey === 'string' && xApiKey.length > 0) return xApiKey.trim();
  const apiKey = headers['api-key'];
  if (typeof apiKey === 'string' && apiKey.length > 0) return apiKey.trim();
  return undefined;
}
