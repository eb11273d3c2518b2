/**
 * LiteLLM's team, user, customer and budget routes:
 * `/team/new|update|info|list|delete|member_add|member_delete`, `/user/new|update|info|list|delete`,
 * `/customer/new|update|info|list|delete|block|unblock`, `/budget/new|update|info|list|delete`.
 */
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { OrgManagement } from '../../admin';
import {
  budgetDeleteSchema,
  budgetInfoSchema,
  budgetNewSchema,
  budgetUpdateSchema,
  customerIdsSchema,
  customerNewSchema,
  customerUpdateSchema,
  pageQuerySchema,
  teamDeleteSchema,
  teamMemberAddSchema,
  teamMemberDeleteSchema,
  teamNewSchema,
  teamUpdateSchema,
  userDeleteSchema,
  userNewSchema,
  userUpdateSchema,
} from '../../admin';
import type { FastifyRequest } from 'fastify';
import { requireAdmin, requireAdminOrTeamAdmin, requireFields, requireService, requireTeam } from './admin-guard';
import type { Caller } from './admin-guard';

export interface OrgRoutesOptions {
  readonly org: () => Promise<OrgManagement | undefined>;
}

export const orgRoutes: FastifyPluginCallbackZod<OrgRoutesOptions> = (app, { org }, done) => {
  const service = (): Promise<OrgManagement> => requireService(org);
  // Team admins may read their team, rename it, tag it and manage its members; everything else here is
  // the proxy admin's.
  const TEAM_ADMIN_ROUTES = new Set(['/team/info', '/team/update', '/team/member_add', '/team/member_delete']);
  app.addHook('preHandler', async (request) => {
    if (!TEAM_ADMIN_ROUTES.has(request.routeOptions.url ?? '')) requireAdmin(request);
  });
  const teamCaller = async (request: FastifyRequest, teamId: string): Promise<Caller> => {
    const caller = await requireAdminOrTeamAdmin(request, org);
    requireTeam(caller, teamId);
    return caller;
  };

  // Teams
  app.post('/team/new', { schema: { body: teamNewSchema } }, async (request) => (await service()).createTeam(request.body));
  app.post('/team/update', { schema: { body: teamUpdateSchema } }, async (request) => {
    const caller = await teamCaller(request, request.body.team_id);
    requireFields(caller, request.body, new Set(['team_id', 'team_alias', 'metadata', 'tags']));
    const { team_id, ...fields } = request.body;
    return (await service()).update('team', team_id, fields);
  });
  app.get('/team/info', { schema: { querystring: z.object({ team_id: z.string().min(1) }) } }, async (request) => {
    await teamCaller(request, request.query.team_id);
    return (await service()).teamInfo(request.query.team_id);
  });
  app.get('/team/list', { schema: { querystring: pageQuerySchema } }, async (request) =>
    (await (await service()).list('team', request.query.page, request.query.size)).rows,
  );
  app.post('/team/delete', { schema: { body: teamDeleteSchema } }, async (request) => ({
    deleted_teams: await (await service()).delete('team', request.body.team_ids),
  }));
  app.post('/team/member_add', { schema: { body: teamMemberAddSchema } }, async (request) => {
    await teamCaller(request, request.body.team_id);
    const members = Array.isArray(request.body.member) ? request.body.member : [request.body.member];
    return (await service()).addMembers(request.body.team_id, members);
  });
  app.post('/team/member_delete', { schema: { body: teamMemberDeleteSchema } }, async (request) => {
    await teamCaller(request, request.body.team_id);
    return (await service()).removeMember(request.body.team_id, request.body.user_id);
  });

  // Users
  app.post('/user/new', { schema: { body: userNewSchema } }, async (request) => (await service()).createUser(request.body));
  app.post('/user/update', { schema: { body: userUpdateSchema } }, async (request) => {
    const { user_id, ...fields } = request.body;
    return (await service()).update('user', user_id, fields);
  });
  app.get('/user/info', { schema: { querystring: z.object({ user_id: z.string().min(1) }) } }, async (request) =>
    (await service()).userInfo(request.query.user_id),
  );
  app.get('/user/list', { schema: { querystring: pageQuerySchema } }, async (request) => {
    const { rows, total } = await (await service()).list('user', request.query.page, request.query.size);
    return { users: rows, total, page: request.query.page, page_size: request.query.size, total_pages: Math.ceil(total / request.query.size) };
  });
  app.post('/user/delete', { schema: { body: userDeleteSchema } }, async (request) => ({
    deleted_users: await (await service()).delete('user', request.body.user_ids),
  }));

  // Customers (end users: the `user` field of a completion request)
  app.post('/customer/new', { schema: { body: customerNewSchema } }, async (request) => {
    const { user_id, ...fields } = request.body;
    return (await service()).saveCustomer(user_id, fields, true);
  });
  app.post('/customer/update', { schema: { body: customerUpdateSchema } }, async (request) => {
    const { user_id, ...fields } = request.body;
    return (await service()).saveCustomer(user_id, fields, false);
  });
  app.get('/customer/info', { schema: { querystring: z.object({ end_user_id: z.string().min(1) }) } }, async (request) =>
    (await service()).info('customer', request.query.end_user_id),
  );
  app.get('/customer/list', { schema: { querystring: pageQuerySchema } }, async (request) =>
    (await (await service()).list('customer', request.query.page, request.query.size)).rows,
  );
  app.post('/customer/delete', { schema: { body: customerIdsSchema } }, async (request) => ({
    deleted_customers: await (await service()).delete('customer', request.body.user_ids),
  }));
  for (const [path, blocked] of [['/customer/block', true], ['/customer/unblock', false]] as const) {
    app.post(path, { schema: { body: customerIdsSchema } }, async (request) => {
      const management = await service();
      const updated = [];
      for (const id of request.body.user_ids) updated.push(await management.update('customer', id, { blocked }));
      return { blocked_users: blocked ? request.body.user_ids : [], unblocked_users: blocked ? [] : request.body.user_ids, customers: updated };
    });
  }

  // Budgets
  app.post('/budget/new', { schema: { body: budgetNewSchema } }, async (request) => {
    const { budget_id, ...fields } = request.body;
    return (await service()).create('budget', budget_id, { ...fields, created_by: 'proxy_admin' });
  });
  app.post('/budget/update', { schema: { body: budgetUpdateSchema } }, async (request) => {
    const { budget_id, ...fields } = request.body;
    return (await service()).update('budget', budget_id, fields);
  });
  app.post('/budget/info', { schema: { body: budgetInfoSchema } }, async (request) => (await service()).budgets(request.body.budgets));
  app.get('/budget/list', { schema: { querystring: pageQuerySchema } }, async (request) =>
    (await (await service()).list('budget', request.query.page, request.query.size)).rows,
  );
  app.post('/budget/delete', { schema: { body: budgetDeleteSchema } }, async (request) => ({
    deleted_budgets: await (await service()).delete('budget', [request.body.id]),
  }));
  done();
};
