/**
 * Key checks for the gateway: the master key (`general_settings.master_key` or `LITELLM_MASTER_KEY`) and,
 * when a key store is attached, virtual keys. The master key is compared in constant time over SHA-256
 * digests, so neither its content nor its length leaks through timing; the same digest, in hex, is the
 * virtual key's lookup hash, so a request hashes its key once.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import { AuthenticationError, GatewayError } from '../errors';
import type { KeyRecord, KeyWithOwners } from '../storage';

/** Who is calling. */
export type Principal =
  | { readonly kind: 'master' }
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'virtual_key'; readonly key: KeyRecord | KeyWithOwners };

export interface Authenticator {
  /** `true` when no key is required (no master key configured). */
  readonly open: boolean;
  /** Resolves the caller, or throws `AuthenticationError`. */
  authenticate(presentedKey: string | undefined): Principal | Promise<Principal>;
}

/** Looks virtual keys up by hash, with their team's and user's limits; `undefined` when the key does not exist. */
export interface KeyLookup {
  findWithOwnersByHash(tokenHash: string): Promise<KeyWithOwners | undefined>;
}

export interface GatewayAuthenticatorOptions {
  readonly masterKey?: string;
  /**
   * The virtual-key store, once the database is open.
   * @default - virtual keys are not accepted
   */
  readonly keys?: () => Promise<KeyLookup | undefined>;
  /**
   * How long a looked-up key is trusted before it is read again; a key blocked or changed on another
   * replica takes effect within this time (immediately on the replica that changed it).
   * @default 10_000
   */
  readonly cacheTtlMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /**
   * While the database cannot be reached, keep admitting keys seen before (their last known state),
   * however old the cached entry (LiteLLM's `allow_requests_on_db_unavailable`).
   * @default false: such requests get 503
   */
  readonly allowRequestsOnDbUnavailable?: boolean;
}

const MASTER: Principal = Object.freeze({ kind: 'master' });
const ANONYMOUS: Principal = Object.freeze({ kind: 'anonymous' });
/** Unknown keys are remembered briefly so a client retrying a bad key does not reach the database each time. */
const NEGATIVE_TTL_MS = 2_000;
const MAX_CACHED_KEYS = 100_000;

interface CacheEntry {
  readonly master: boolean;
  readonly key: KeyWithOwners | undefined;
  /** The key's stored hash, for invalidation. */
  readonly hash: string;
  readonly until: number;
}

export class GatewayAuthenticator implements Authenticator {
  readonly open: boolean;
  private readonly masterDigest: Buffer | undefined;
  private readonly presented = new Map<string, CacheEntry>();
  private readonly keys: (() => Promise<KeyLookup | undefined>) | undefined;
  private readonly cacheTtlMs: number;
  private readonly now: () => number;
  private readonly allowRequestsOnDbUnavailable: boolean;

  constructor({ masterKey, keys, cacheTtlMs = 10_000, now = Date.now, allowRequestsOnDbUnavailable = false }: GatewayAuthenticatorOptions = {}) {
    this.allowRequestsOnDbUnavailable = allowRequestsOnDbUnavailable;
    this.open = masterKey === undefined || masterKey.length === 0;
    this.masterDigest = this.open ? undefined : hash('sha256', masterKey as string, 'buffer');
    this.keys = keys;
    this.cacheTtlMs = cacheTtlMs;
    this.now = now;
  }

  authenticate(presentedKey: string | undefined): Principal | Promise<Principal> {
    if (this.masterDigest === undefined) return ANONYMOUS;
    if (presentedKey === undefined || presentedKey.length === 0) {
      throw new AuthenticationError('no API key: send it as "Authorization: Bearer <key>", "x-api-key" or "api-key"');
    }
    // Keys seen recently are recognised without hashing again. The map is keyed by the presented key,
    // which the caller already holds, so a lookup tells an attacker nothing a wrong guess would not.
    const seen = this.presented.get(presentedKey);
    if (seen !== undefined) {
      if (seen.master) return MASTER;
      if (seen.until > this.now()) return this.admit(seen.key);
    }
    // One-shot hashing: a third of the cost of createHash().update().digest().
    const digest = hash('sha256', presentedKey, 'buffer');
    if (timingSafeEqual(digest, this.masterDigest)) {
      this.remember(presentedKey, { master: true, key: undefined, hash: '', until: Number.POSITIVE_INFINITY });
      return MASTER;
    }
    if (this.keys === undefined) throw new AuthenticationError('invalid API key');
    return this.lookUp(presentedKey, digest.toString('hex'), seen);
  }

  /** Forgets a key so the next request reads it again (after an update on this replica). */
  invalidate(tokenHash: string): void {
    for (const [presented, entry] of this.presented) {
      if (entry.hash === tokenHash) this.presented.delete(presented);
    }
  }

  private remember(presentedKey: string, entry: CacheEntry): void {
    if (this.presented.size >= MAX_CACHED_KEYS) this.presented.clear();
    this.presented.set(presentedKey, entry);
  }

  private async lookUp(presentedKey: string, hash: string, stale: CacheEntry | undefined): Promise<Principal> {
    const store = await this.keys?.();
    if (store === undefined) throw new AuthenticationError('invalid API key');
    let key: KeyWithOwners | undefined;
    try {
      key = await store.findWithOwnersByHash(hash);
    } catch (error) {
      if (this.allowRequestsOnDbUnavailable && stale?.key !== undefined) return this.admit(stale.key);
      throw new GatewayError(503, 'service_unavailable', 'the key store is unreachable; try again shortly', {
        code: 'database_unavailable',
        cause: error,
      });
    }
    this.remember(presentedKey, { master: false, key, hash, until: this.now() + (key ? this.cacheTtlMs : NEGATIVE_TTL_MS) });
    return this.admit(key);
  }

  private admit(key: KeyWithOwners | undefined): Principal {
    if (key === undefined) throw new AuthenticationError('invalid API key');
    if (key.blocked) throw new AuthenticationError(`key ${key.key_name} is blocked`, { code: 'key_blocked' });
    if (key.team?.blocked) throw new AuthenticationError(`team ${key.team.id} is blocked`, { code: 'team_blocked' });
    if (key.expires !== null && new Date(key.expires).getTime() <= this.now()) {
      throw new AuthenticationError(`key ${key.key_name} expired at ${new Date(key.expires).toISOString()}`, { code: 'key_expired' });
    }
    return { kind: 'virtual_key', key };
  }
}

/** The master-key-only authenticator (no virtual keys). */
export class MasterKeyAuthenticator extends GatewayAuthenticator {
  constructor(masterKey: string | undefined) {
    super(masterKey === undefined ? {} : { masterKey });
  }
}

/**
 * The key a request presents: `Authorization: Bearer <key>` (the OpenAI SDKs), `x-api-key` (Anthropic's
 * SDK) or `api-key` (Azure's), first one present wins.
 */
export function presentedKeyOf(headers: Readonly<Record<string, string | string[] | undefined>>): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === 'string' && authorization.length > 0) {
    // The scheme is case-insensitive and followed by whitespace; anything else is taken as the bare key.
    // (String checks rather than a regular expression: this runs first on every request.)
    const afterScheme = authorization.charCodeAt(6);
    if ((afterScheme === 0x20 || afterScheme === 0x09) && authorization.slice(0, 6).toLowerCase() === 'bearer') {
      return authorization.slice(7).trim();
    }
    return authorization.trim();
  }
  const xApiKey = headers['x-api-key'];
  if (typeof xApiKey === 'string' && xApiKey.length > 0) return xApiKey.trim();
  const apiKey = headers['api-key'];
  if (typeof apiKey === 'string' && apiKey.length > 0) return apiKey.trim();
  return undefined;
}

/**
 * Resolves the model group a principal may call: a key's `aliases` rename the requested model, and a
 * key's `models` list (when not empty) restricts which groups it may use.
 */
export function resolveModelForPrincipal(principal: Principal | null, requested: string): string {
  if (principal === null || principal.kind !== 'virtual_key') return requested;
  const key = principal.key;
  const model = key.aliases[requested] ?? requested;
  const allows = (models: readonly string[]): boolean => models.length === 0 || models.includes(model) || models.includes('all-proxy-models');
  if (!allows(key.models)) {
    throw new AuthenticationError(`key ${key.key_name} may not use model '${requested}'`, { code: 'model_not_allowed', param: 'model' });
  }
  const team = 'team' in key ? key.team : null;
  if (team && !allows(team.models)) {
    throw new AuthenticationError(`team ${team.id} may not use model '${requested}'`, { code: 'model_not_allowed', param: 'model' });
  }
  return model;
}
