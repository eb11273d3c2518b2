/**
 * Builds the gateway's Fastify app from already-loaded parts. No I/O happens here: `main.ts` loads the
 * config and opens stores, tests pass their own parts and use `app.inject()` or `listen()`.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { serializerCompiler } from 'fastify-type-provider-zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { KeyManagement, OrgManagement, SpendReports } from '../admin';
import type { Authenticator } from '../auth';
import type { ModelRouter } from '../routing';
import type { Admission, SpendTracker } from '../tokenomics';
import { createErrorHandler, notFoundHandler } from './error-handler';
import { useJsonBodyParser } from './json-body';
import { authPlugin } from './middleware/auth';
import { registerDocs } from './routes/docs-routes';
import { healthRoutes } from './routes/health-routes';
import type { ReadinessReport } from './routes/health-routes';
import { keyRoutes } from './routes/key-routes';
import { orgRoutes } from './routes/org-routes';
import { spendRoutes } from './routes/spend-routes';
import { openAiRoutes } from './routes/openai-routes';
import { gatewayValidatorCompiler } from './validation';

/** 16 MiB: room for a few base64 images in one chat request. */
export const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024 * 1024;

export interface GatewayAppOptions {
  readonly router: ModelRouter;
  readonly authenticator: Authenticator;
  /**
   * A pino logger (or any Fastify-compatible logger).
   * @default - no logging
   */
  readonly logger?: FastifyBaseLogger;
  /**
   * Largest request body accepted; larger bodies get a 413.
   * @default 16 MiB
   */
  readonly bodyLimitBytes?: number;
  /**
   * Readiness probe answer.
   * @default - always ready
   */
  readonly readiness?: () => ReadinessReport;
  /** @default '0.0.0' */
  readonly version?: string;
  /**
   * The key management service, resolved once the database is open.
   * @default - no database: the management routes answer 503
   */
  readonly keys?: () => Promise<KeyManagement | undefined>;
  /**
   * Teams, users, customers and budgets, resolved once the database is open.
   * @default - no database: the management routes answer 503
   */
  readonly org?: () => Promise<OrgManagement | undefined>;
  /**
   * Spend reports, resolved once the database is open.
   * @default - no database: the spend routes answer 503
   */
  readonly reports?: () => Promise<SpendReports | undefined>;
  /**
   * Prices and records each finished call.
   * @default - calls are not recorded
   */
  readonly spend?: SpendTracker;
  /**
   * Rate limits and budgets on the request path.
   * @default - no limits
   */
  readonly admission?: Admission;
}

export function createGatewayApp({
  router,
  authenticator,
  logger,
  bodyLimitBytes = DEFAULT_BODY_LIMIT_BYTES,
  readiness = () => ({ ready: true, details: {} }),
  version = '0.0.0',
  keys = () => Promise.resolve(undefined),
  org = () => Promise.resolve(undefined),
  reports = () => Promise.resolve(undefined),
  spend,
  admission,
}: GatewayAppOptions): FastifyInstance {
  // Fastify gets no logger: it would build a child logger for every request. The gateway logs failures
  // itself (error handler, stream failures), with the call id.
  const app = Fastify({
    logger: false,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: bodyLimitBytes,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<ZodTypeProvider>();

  useJsonBodyParser(app);
  app.setValidatorCompiler(gatewayValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(createErrorHandler(bodyLimitBytes, logger));
  app.setNotFoundHandler(notFoundHandler);

  registerDocs(app, { version });
  void app.register(healthRoutes, { readiness, version });
  void app.register(async (api) => {
    await api.register(authPlugin, { authenticator });
    await api.register(openAiRoutes, { router, ...(spend ? { spend } : {}), ...(logger ? { logger } : {}), ...(admission ? { admission } : {}) });
    await api.register(keyRoutes, { keys, org });
    await api.register(orgRoutes, { org });
    await api.register(spendRoutes, { reports });
  });
  return app;
}
