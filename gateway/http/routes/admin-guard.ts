/**
 * Role checks shared by the management routes. The master key is the proxy admin and may do everything.
 * A virtual key whose user is an `admin` member of a team is that team's admin: it may manage the team's
 * members and keys, and change only the fields listed for it on each route — every other field it sends
 * is refused by name.
 */
import type { FastifyRequest } from 'fastify';
import type { OrgManagement } from '../../admin';
import { GatewayError, PermissionDeniedError } from '../../errors';

export type Caller = { readonly kind: 'proxy_admin' } | { readonly kind: 'team_admin'; readonly userId: string; readonly teams: ReadonlySet<string> };

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

/** The proxy admin, or the admin of at least one team; anyone else is refused. */
export async function requireAdminOrTeamAdmin(request: FastifyRequest, org: () => Promise<OrgManagement | undefined>): Promise<Caller> {
  const principal = request.principal;
  if (principal?.kind === 'virtual_key' && principal.key.user_id) {
    const management = await requireService(org);
    const teams = await management.adminTeamsOf(principal.key.user_id);
    if (teams.size > 0) return { kind: 'team_admin', userId: principal.key.user_id, teams };
  }
  requireAdmin(request);
  return { kind: 'proxy_admin' };
}

/** A team admin may act only on their own teams. */
export function requireTeam(caller: Caller, teamId: string | null | undefined): void {
  if (caller.kind === 'proxy_admin') return;
  if (!teamId || !caller.teams.has(teamId)) {
    throw new PermissionDeniedError(`team admins may act only on their own teams${teamId ? `, not '${teamId}'` : ''}`, {
      code: 'not_team_admin',
      param: 'team_id',
    });
  }
}

/** A team admin may send only the listed fields; the first other field is refused by name. */
export function requireFields(caller: Caller, body: object, allowed: ReadonlySet<string>): void {
  if (caller.kind === 'proxy_admin') return;
  for (const [field, value] of Object.entries(body)) {
    if (value === undefined || allowed.has(field)) continue;
    throw new PermissionDeniedError(`team admins may not set '${field}'; ask the proxy admin`, { code: 'field_not_allowed', param: field });
  }
}

/** Resolves a service that needs the database, or answers 503 when the gateway runs without one. */
export async function requireService<T>(service: () => Promise<T | undefined>): Promise<T> {
  const resolved = await service();
  if (resolved === undefined) {
    throw new GatewayError(503, 'service_unavailable', 'the management API needs a database; set DATABASE_URL', { code: 'no_database' });
  }
  return resolved;
}
