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
   * Where Valkey is, URL or Sentinel (see `valkeyConnectionFromEnvironment`); an empty URL counts as none.
   * @default - an in-memory store for this replica only
   */
  readonly valkey?: ValkeyConnection;
}

export function createLimitStore(options: LimitStoreOptions = {}): LimitStore {
  const { valkey, ...props } = options;
  if (valkey === undefined || ('url' in valkey && valkey.url === '')) return new MemoryLimitStore(props);
  return new ValkeyLimitStore({ ...props, connection: valkey });
}
