/**
 * LiteLLM's key management routes: `/key/generate`, `/key/info`, `/key/list`, `/key/update`,
 * `/key/delete`, `/key/regenerate` (and `/key/{key}/regenerate`), `/key/block`, `/key/unblock`.
 * The master key (proxy admin) may do everything; a virtual key may read its own info.
 */
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { KeyManagement } from '../../admin';
import {
  keyDeleteSchema,
  keyGenerateSchema,
  keyListQuerySchema,
  keyReferenceSchema,
  keyRegenerateSchema,
  keyUpdateSchema,
} from '../../admin';
import { GatewayError } from '../../errors';
import { requireAdmin, requireService } from './admin-guard';

export interface KeyRoutesOptions {
  /** The key service once the database is open; `undefined` when the gateway runs without one. */
  readonly keys: () => Promise<KeyManagement | undefined>;
}

export const keyRoutes: FastifyPluginCallbackZod<KeyRoutesOptions> = (app, { keys }, done) => {
  const service = (): Promise<KeyManagement> => requireService(keys);

  app.post('/key/generate', { schema: { body: keyGenerateSchema } }, async (request) => {
    requireAdmin(request);
    return (await service()).generate(request.body, 'proxy_admin');
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
    requireAdmin(request);
    return (await service()).update(request.body);
  });

  app.post('/key/delete', { schema: { body: keyDeleteSchema } }, async (request) => {
    requireAdmin(request);
    const deleted = await (await service()).delete(request.body.keys ?? [], request.body.key_aliases ?? []);
    return { deleted_keys: deleted };
  });

  app.post('/key/block', { schema: { body: keyReferenceSchema } }, async (request) => {
    requireAdmin(request);
    return (await service()).setBlocked(request.body.key, true);
  });

  app.post('/key/unblock', { schema: { body: keyReferenceSchema } }, async (request) => {
    requireAdmin(request);
    return (await service()).setBlocked(request.body.key, false);
  });

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
