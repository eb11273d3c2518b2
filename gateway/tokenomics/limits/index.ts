export { createLimitStore } from './create-limit-store';
export type { LimitStoreOptions } from './create-limit-store';
export { describeScope, toLimitError } from './limit-error';
export { limitScopeFromRecord, modelLimitScope, worstCaseCost, worstCaseTokens } from './limit-scopes';
export type { LimitRecord, ModelLimitRecord } from './limit-scopes';
export { DEFAULT_BUDGET_IDLE_TTL_MS, DEFAULT_IN_FLIGHT_TTL_MS, RATE_WINDOW_MS } from './limit-store';
export type {
  ActualUsage,
  AdmitDecision,
  AdmitRequest,
  AdmittedDecision,
  LimitKind,
  LimitScope,
  LimitStore,
  LimitStoreProps,
  LimitTicket,
  RejectedDecision,
  ScopeUsage,
} from './limit-store';
export { MemoryLimitStore } from './memory-limit-store';
export { formatResetDuration } from './rate-limit-headers';
export { ValkeyLimitStore } from './valkey-limit-store';
export type { ValkeyLimitStoreProps } from './valkey-limit-store';
export {
  ValkeyConfigurationError,
  describeValkeyConnection,
  valkeyConnectionFromEnvironment,
} from './valkey-connection';
export type { ValkeyConnection, ValkeySentinelConnection, ValkeyUrlConnection } from './valkey-connection';
