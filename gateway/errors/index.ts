export {
  AuthenticationError,
  BudgetExceededError,
  ConfigurationError,
  GatewayError,
  InvalidRequestError,
  NotFoundError,
  PayloadTooLargeError,
  PermissionDeniedError,
  RateLimitError,
  UpstreamError,
  UpstreamTimeoutError,
  statusOf,
  toOpenAiErrorBody,
  upstreamStatusToGatewayStatus,
} from './gateway-error';
export { redactSecrets } from './redact';
export type { GatewayErrorOptions, UpstreamErrorOptions } from './gateway-error';
