/**
 * Kubernetes probes, on LiteLLM's paths: liveliness (and the `liveness` spelling) answers while the
 * process runs; readiness answers 200 once the gateway can serve, 503 before.
 */
import type { FastifyPluginCallback } from 'fastify';

export interface ReadinessReport {
  readonly ready: boolean;
  readonly details: Record<string, unknown>;
}

export interface HealthRoutesOptions {
  readonly readiness: () => ReadinessReport;
  readonly version: string;
}

export const healthRoutes: FastifyPluginCallback<HealthRoutesOptions> = (app, { readiness, version }, done) => {
  const alive = (): string => "I'm alive!";
  app.get('/health/liveliness', alive);
  app.get('/health/liveness', alive);
  app.get('/health/readiness', (_request, reply) => {
    const report = readiness();
    void reply.code(report.ready ? 200 : 503);
    return { status: report.ready ? 'healthy' : 'unhealthy', switchyard_version: version, ...report.details };
  });
  done();
};
