/**
 * Role checks shared by the management routes. Today: the master key is the proxy admin and may do
 * everything; team-admin scoping arrives with per-field role checks.
 */
import type { FastifyRequest } from 'fastify';
import { GatewayError, PermissionDeniedError } from '../../errors';

export function requireAdmin(request: FastifyRequest): void {
  const principal = request.principal;
  if (principal?.kind === 'master') return;
  if (principal?.kind === 'anonymous') {
    throw new PermissionDeniedError('the management API needs a master key: set general_settings.master_key or LITELLM_MASTER_KEY', {
      code: 'master_key_required',
    });
  }
  throw new PermissionDeniedError('only the proxy admin (master key) may do this', { code: 'admin_only' });
}

/** Resolves a service that needs the database, or answers 503 when the gateway runs without one. */
export async function requireService<T>(service: () => Promise<T | undefined>): Promise<T> {
  const resolved = await service();
  if (resolved === undefined) {
    throw new GatewayError(503, 'service_unavailable', 'the management API needs a database; set DATABASE_URL', { code: 'no_database' });
  }
  return resolved;
}
