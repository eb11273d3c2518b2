/**
 * Picks the limit store: Valkey when a URL is configured (limits shared by every replica), memory otherwise.
 */
import type { LimitStore, LimitStoreProps } from './limit-store';
import { MemoryLimitStore } from './memory-limit-store';
import { ValkeyLimitStore } from './valkey-limit-store';
import type { ValkeyLimitStoreProps } from './valkey-limit-store';
import type { ValkeyConnection } from './valkey-connection';

export interface LimitStoreOptions extends LimitStoreProps, Pick<ValkeyLimitStoreProps, 'keyPrefix' | 'commandTimeoutMs' | 'onError'> {
  /**
   * The Valkey/Redis URL (see `valkeyUrlFromEnvironment`).
   * @default - an in-memory store for this replica only
   */
  readonly valkeyUrl?: string;
  /**
   * Where Valkey is, URL or Sentinel (see `valkeyConnectionFromEnvironment`); wins over `valkeyUrl`.
   * @default - `valkeyUrl`
   */
  readonly valkey?: ValkeyConnection;
}

export function createLimitStore(options: LimitStoreOptions = {}): LimitStore {
  const { valkeyUrl, valkey, ...props } = options;
  const connection = valkey ?? (valkeyUrl === undefined || valkeyUrl === '' ? undefined : { url: valkeyUrl });
  if (connection === undefined) return new MemoryLimitStore(props);
  return new ValkeyLimitStore({ ...props, connection });
}
