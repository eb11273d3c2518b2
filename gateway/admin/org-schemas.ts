/**
 * Request bodies of the team, user, customer (end user) and budget routes, with LiteLLM's field names.
 *
 * @see https://docs.litellm.ai/docs/proxy/users
 */
import { z } from 'zod';

const durationText = z.string().regex(/^\d+\s*(mo|s|m|h|d|w)$/, 'a duration like 30s, 30m, 30h, 30d, 2w or 1mo');
const money = z.number().nonnegative();
const count = z.number().int().nonnegative();

const limitFields = {
  max_budget: money.nullish(),
  soft_budget: money.nullish(),
  max_budget_tokens: count.nullish(),
  budget_duration: durationText.nullish(),
  rpm_limit: count.nullish(),
  tpm_limit: count.nullish(),
  max_parallel_requests: count.nullish(),
};

const memberSchema = z.object({ user_id: z.string().min(1), role: z.enum(['admin', 'user']).default('user') });

export const teamFieldsSchema = z.object({
  team_alias: z.string().min(1).nullish(),
  models: z.array(z.string().min(1)).optional(),
  ...limitFields,
  model_rpm_limit: z.record(z.string(), count).optional(),
  model_tpm_limit: z.record(z.string(), count).optional(),
  budget_id: z.string().min(1).nullish(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  tags: z.array(z.string()).optional(),
  blocked: z.boolean().optional(),
});
export const teamNewSchema = teamFieldsSchema.extend({
  team_id: z.string().min(1).optional(),
  members_with_roles: z.array(memberSchema).optional(),
});
export const teamUpdateSchema = teamFieldsSchema.extend({ team_id: z.string().min(1) });
export const teamDeleteSchema = z.object({ team_ids: z.array(z.string().min(1)).min(1) });
export const teamMemberAddSchema = z.object({ team_id: z.string().min(1), member: z.union([memberSchema, z.array(memberSchema).min(1)]) });
export const teamMemberDeleteSchema = z.object({ team_id: z.string().min(1), user_id: z.string().min(1) });

export const userFieldsSchema = z.object({
  user_email: z.string().min(1).nullish(),
  user_alias: z.string().min(1).nullish(),
  user_role: z.enum(['proxy_admin', 'proxy_admin_viewer', 'internal_user', 'internal_user_viewer']).optional(),
  models: z.array(z.string().min(1)).optional(),
  ...limitFields,
  model_rpm_limit: z.record(z.string(), count).optional(),
  model_tpm_limit: z.record(z.string(), count).optional(),
  budget_id: z.string().min(1).nullish(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
export const userNewSchema = userFieldsSchema.extend({
  user_id: z.string().min(1).optional(),
  teams: z.array(z.string().min(1)).optional(),
  /** LiteLLM creates a key for a new user unless told not to. */
  auto_create_key: z.boolean().default(true),
  key_alias: z.string().min(1).optional(),
  duration: durationText.optional(),
});
export const userUpdateSchema = userFieldsSchema.extend({ user_id: z.string().min(1) });
export const userDeleteSchema = z.object({ user_ids: z.array(z.string().min(1)).min(1) });

export const customerFieldsSchema = z.object({
  alias: z.string().min(1).nullish(),
  blocked: z.boolean().optional(),
  budget_id: z.string().min(1).nullish(),
  allowed_model_region: z.string().nullish(),
  default_model: z.string().nullish(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  /** Shortcut: creates a budget for this customer alone. */
  max_budget: money.nullish(),
  budget_duration: durationText.nullish(),
  rpm_limit: count.nullish(),
  tpm_limit: count.nullish(),
});
export const customerNewSchema = customerFieldsSchema.extend({ user_id: z.string().min(1) });
export const customerUpdateSchema = customerFieldsSchema.extend({ user_id: z.string().min(1) });
export const customerIdsSchema = z.object({ user_ids: z.array(z.string().min(1)).min(1) });

export const budgetFieldsSchema = z.object({
  ...limitFields,
  model_max_budget: z.record(z.string(), z.unknown()).optional(),
});
export const budgetNewSchema = budgetFieldsSchema.extend({ budget_id: z.string().min(1).optional() });
export const budgetUpdateSchema = budgetFieldsSchema.extend({ budget_id: z.string().min(1) });
export const budgetInfoSchema = z.object({ budgets: z.array(z.string().min(1)).min(1) });
export const budgetDeleteSchema = z.object({ id: z.string().min(1) });

export const pageQuerySchema = z.object({
  page: z.coerce.number().int().min(1).default(1),
  size: z.coerce.number().int().min(1).max(1000).default(100),
});

export type TeamNewInput = z.infer<typeof teamNewSchema>;
export type UserNewInput = z.infer<typeof userNewSchema>;
export type CustomerFieldsInput = z.infer<typeof customerFieldsSchema>;
