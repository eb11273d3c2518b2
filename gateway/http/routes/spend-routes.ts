/**
 * LiteLLM's spend routes: `GET /spend/logs`, `GET /spend/tags`, `GET /global/spend/report`
 * (grouped by team, customer, api_key, model, user or tag over a date range). Proxy admin only.
 */
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import type { SpendReports } from '../../admin';
import { globalSpendReportQuerySchema, spendLogsQuerySchema, spendRangeQuerySchema } from '../../admin';
import { toKeyHash } from '../../auth';
import { requireAdmin, requireService } from './admin-guard';

export interface SpendRoutesOptions {
  readonly reports: () => Promise<SpendReports | undefined>;
}

export const spendRoutes: FastifyPluginCallbackZod<SpendRoutesOptions> = (app, { reports }, done) => {
  const service = (): Promise<SpendReports> => requireService(reports);
  app.addHook('preHandler', async (request) => requireAdmin(request));
  app.get('/spend/logs', { schema: { querystring: spendLogsQuerySchema } }, async (request) => {
    const query = request.query.api_key ? { ...request.query, api_key: toKeyHash(request.query.api_key) } : request.query;
    return (await service()).logs(query);
  });
  app.get('/spend/tags', { schema: { querystring: spendRangeQuerySchema } }, async (request) => (await service()).tags(request.query));
  app.get('/global/spend/report', { schema: { querystring: globalSpendReportQuerySchema } }, async (request) =>
    (await service()).report(request.query),
  );
  done();
};
