/**
 * LiteLLM's key management routes: `/key/generate`, `/key/info`, `/key/list`, `/key/update`,
 * `/key/delete`, `/key/regenerate` (and `/key/{key}/regenerate`), `/key/block`, `/key/unblock`.
 * The master key (proxy admin) may do everything; a virtual key may read its own info.
 */
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { KeyManagement, OrgManagement } from '../../admin';
import {
  keyDeleteSchema,
  keyGenerateSchema,
  keyListQuerySchema,
  keyReferenceSchema,
  keyRegenerateSchema,
  keyUpdateSchema,
} from '../../admin';
import { GatewayError } from '../../errors';
import { requireAdmin, requireAdminOrTeamAdmin, requireFields, requireService, requireTeam } from './admin-guard';
import type { Caller } from './admin-guard';

export interface KeyRoutesOptions {
  /** The key service once the database is open; `undefined` when the gateway runs without one. */
  readonly keys: () => Promise<KeyManagement | undefined>;
  /** Team memberships, to recognise team admins. */
  readonly org: () => Promise<OrgManagement | undefined>;
}

/** What a team admin may set on their team's keys; budgets and limits above the team stay the proxy admin's. */
const TEAM_ADMIN_KEY_FIELDS: ReadonlySet<string> = new Set([
  'key', 'team_id', 'key_alias', 'duration', 'models', 'max_budget', 'soft_budget', 'budget_duration', 'rpm_limit',
  'tpm_limit', 'max_parallel_requests', 'metadata', 'tags', 'blocked', 'user_id',
]);

export const keyRoutes: FastifyPluginCallbackZod<KeyRoutesOptions> = (app, { keys, org }, done) => {
  const service = (): Promise<KeyManagement> => requireService(keys);

  /** A team admin may touch a key only when the key belongs to one of their teams. */
  const requireKeyOfTeam = async (caller: Caller, keyOrHash: string): Promise<void> => {
    if (caller.kind === 'proxy_admin') return;
    const key = await (await service()).info(keyOrHash);
    requireTeam(caller, key.team_id);
  };

  app.post('/key/generate', { schema: { body: keyGenerateSchema } }, async (request) => {
    const caller = await requireAdminOrTeamAdmin(request, org);
    requireFields(caller, request.body, TEAM_ADMIN_KEY_FIELDS);
    requireTeam(caller, request.body.team_id);
    return (await service()).generate(request.body, caller.kind === 'proxy_admin' ? 'proxy_admin' : caller.userId);
  });

  app.get('/key/info', { schema: { querystring: z.object({ key: z.string().optional() }) } }, async (request) => {
    const principal = request.principal;
    const requested = request.query.key;
    if (principal?.kind === 'virtual_key' && (requested === undefined || requested === principal.key.token)) {
      return { key: principal.key.token, info: await (await service()).info(principal.key.token) };
    }
    requireAdmin(request);
    if (requested === undefined) throw new GatewayError(400, 'invalid_request_error', 'pass ?key=', { param: 'key' });
    const info = await (await service()).info(requested);
    return { key: info.token, info };
  });

  app.get('/key/list', { schema: { querystring: keyListQuerySchema } }, async (request) => {
    requireAdmin(request);
    const { keys: found, total } = await (await service()).list(request.query);
    return {
      keys: request.query.return_full_object === 'true' ? found : found.map((key) => key.token),
      total_count: total,
      current_page: request.query.page,
      total_pages: Math.ceil(total / request.query.size),
    };
  });

  app.post('/key/update', { schema: { body: keyUpdateSchema } }, async (request) => {
    const caller = await requireAdminOrTeamAdmin(request, org);
    requireFields(caller, request.body, TEAM_ADMIN_KEY_FIELDS);
    await requireKeyOfTeam(caller, request.body.key);
    if (request.body.team_id !== undefined) requireTeam(caller, request.body.team_id);
    return (await service()).update(request.body);
  });

  app.post('/key/delete', { schema: { body: keyDeleteSchema } }, async (request) => {
    const caller = await requireAdminOrTeamAdmin(request, org);
    if (caller.kind === 'team_admin') {
      requireFields(caller, request.body, new Set(['keys']));
      for (const key of request.body.keys ?? []) await requireKeyOfTeam(caller, key);
    }
    const deleted = await (await service()).delete(request.body.keys ?? [], request.body.key_aliases ?? []);
    return { deleted_keys: deleted };
  });

  for (const [path, blocked] of [['/key/block', true], ['/key/unblock', false]] as const) {
    app.post(path, { schema: { body: keyReferenceSchema } }, async (request) => {
      const caller = await requireAdminOrTeamAdmin(request, org);
      await requireKeyOfTeam(caller, request.body.key);
      return (await service()).setBlocked(request.body.key, blocked);
    });
  }

  app.post('/key/regenerate', { schema: { body: keyRegenerateSchema } }, async (request) => {
    requireAdmin(request);
    return (await service()).regenerate(request.body.key, request.body.new_key);
  });

  app.post(
    '/key/:key/regenerate',
    { schema: { params: z.object({ key: z.string() }), body: z.object({ new_key: z.string().startsWith('sk-').min(12).optional() }).optional() } },
    async (request) => {
      requireAdmin(request);
      return (await service()).regenerate(request.params.key, request.body?.new_key);
    },
  );
  done();
};
