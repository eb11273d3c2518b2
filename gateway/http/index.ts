export { DEFAULT_BODY_LIMIT_BYTES, createGatewayApp } from './app';
export type { GatewayAppOptions } from './app';
export type { ReadinessReport } from './routes/health-routes';
