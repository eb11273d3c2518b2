/**
 * The key management service behind `/key/*`: creates keys (shown once), reads, lists, updates, blocks,
 * regenerates and deletes them. Framework-free: the HTTP layer validates bodies and checks the caller's
 * role, this layer talks to the database and keeps the authenticator's cache honest.
 */
import { generateVirtualKey, hashVirtualKey, toKeyHash, virtualKeyName } from '../auth';
import { GatewayError, InvalidRequestError, NotFoundError } from '../errors';
import { KeyRepository } from '../storage';
import type { Database, KeyFields, KeyRecord } from '../storage';
import { addDuration, parseDuration } from '../tokenomics';
import type { KeyFieldsInput, KeyGenerateInput, KeyListQuery, KeyUpdateInput } from './key-schemas';

export interface KeyCacheInvalidator {
  invalidate(tokenHash: string): void;
}

/** A key as the API shows it: the stored record, `token` being the key's hash. */
export type KeyInfo = KeyRecord;

export interface GeneratedKey extends KeyInfo {
  /** The key itself. Shown in this answer only; the gateway keeps only its hash. */
  readonly key: string;
}

function durationOrThrow(text: string, param: string): ReturnType<typeof parseDuration> & object {
  const duration = parseDuration(text);
  if (!duration) throw new InvalidRequestError(`${param} must be a duration like 30s, 30m, 30h, 30d or 1mo; got '${text}'`, { param });
  return duration;
}

/** Maps API input onto columns: `duration` becomes `expires`, `budget_duration` sets the first reset. */
function toKeyFields(input: KeyFieldsInput, now: Date): KeyFields {
  const { duration, ...rest } = input;
  const fields: KeyFields = { ...rest };
  if (duration !== undefined) fields.expires = duration === null ? null : addDuration(now, durationOrThrow(duration, 'duration'));
  if (input.budget_duration) fields.budget_reset_at = addDuration(now, durationOrThrow(input.budget_duration, 'budget_duration'));
  return fields;
}

/** Postgres errors → client errors: a missing team or budget, a duplicate alias. */
function toClientError(error: unknown, input: KeyFieldsInput): never {
  const code = (error as { code?: string }).code;
  if (code === '23503') {
    const constraint = String((error as { constraint?: string }).constraint ?? '');
    const param = constraint.includes('team') ? 'team_id' : constraint.includes('budget') ? 'budget_id' : 'user_id';
    throw new InvalidRequestError(`${param} '${String(input[param as keyof KeyFieldsInput] ?? '')}' does not exist`, { param });
  }
  if (code === '23505') {
    throw new GatewayError(409, 'invalid_request_error', `key_alias '${input.key_alias ?? ''}' is already used by another key`, {
      param: 'key_alias',
      code: 'duplicate_key_alias',
    });
  }
  throw error;
}

export class KeyManagement {
  private readonly keys: KeyRepository;

  constructor(
    private readonly db: Database,
    private readonly cache: KeyCacheInvalidator,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.keys = new KeyRepository(db);
  }

  async generate(input: KeyGenerateInput, createdBy: string | null): Promise<GeneratedKey> {
    const { key: chosenKey, ...fields } = input;
    const key = chosenKey ?? generateVirtualKey();
    const hash = hashVirtualKey(key);
    if (await this.keys.findByHash(hash)) {
      throw new GatewayError(409, 'invalid_request_error', 'that key already exists', { param: 'key', code: 'duplicate_key' });
    }
    try {
      const record = await this.db.transaction(async (client) => {
        // LiteLLM creates the user a key names, when it does not exist yet.
        if (fields.user_id) {
          await client.query('INSERT INTO users (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING', [fields.user_id]);
        }
        return new KeyRepository(client).insert(hash, virtualKeyName(key), toKeyFields(fields, this.now()), createdBy);
      });
      return { key, ...record };
    } catch (error) {
      return toClientError(error, fields);
    }
  }

  async info(keyOrHash: string): Promise<KeyInfo> {
    const record = await this.keys.findByHash(toKeyHash(keyOrHash));
    if (!record) throw new NotFoundError('no such key', { param: 'key', code: 'key_not_found' });
    return record;
  }

  list(query: KeyListQuery): Promise<{ keys: KeyInfo[]; total: number }> {
    return this.keys.list({
      page: query.page,
      size: query.size,
      ...(query.user_id !== undefined ? { userId: query.user_id } : {}),
      ...(query.team_id !== undefined ? { teamId: query.team_id } : {}),
      ...(query.key_alias !== undefined ? { keyAlias: query.key_alias } : {}),
    });
  }

  async update(input: KeyUpdateInput): Promise<KeyInfo> {
    const { key, ...fields } = input;
    const hash = toKeyHash(key);
    try {
      if (fields.user_id) await this.db.query('INSERT INTO users (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING', [fields.user_id]);
      const record = await this.keys.update(hash, toKeyFields(fields, this.now()));
      if (!record) throw new NotFoundError('no such key', { param: 'key', code: 'key_not_found' });
      return record;
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      return toClientError(error, fields);
    } finally {
      this.cache.invalidate(hash);
    }
  }

  setBlocked(keyOrHash: string, blocked: boolean): Promise<KeyInfo> {
    return this.update({ key: toKeyHash(keyOrHash), blocked });
  }

  async regenerate(keyOrHash: string, chosenKey?: string): Promise<GeneratedKey> {
    const oldHash = toKeyHash(keyOrHash);
    const key = chosenKey ?? generateVirtualKey();
    const record = await this.keys.rehash(oldHash, hashVirtualKey(key), virtualKeyName(key));
    this.cache.invalidate(oldHash);
    if (!record) throw new NotFoundError('no such key', { param: 'key', code: 'key_not_found' });
    return { key, ...record };
  }

  async delete(keys: readonly string[], aliases: readonly string[]): Promise<string[]> {
    const hashes = keys.map(toKeyHash);
    for (const alias of aliases) {
      const record = await this.keys.findByAlias(alias);
      if (record) hashes.push(record.token);
    }
    const deleted = await this.keys.delete(hashes);
    for (const hash of hashes) this.cache.invalidate(hash);
    return deleted;
  }
}
