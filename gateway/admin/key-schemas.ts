/**
 * Request bodies of the key management API, with LiteLLM's field names.
 *
 * @see https://docs.litellm.ai/docs/proxy/virtual_keys
 */
import { z } from 'zod';

const durationText = z.string().regex(/^\d+\s*(mo|s|m|h|d|w)$/, 'a duration like 30s, 30m, 30h, 30d, 2w or 1mo');
const money = z.number().nonnegative();
const count = z.number().int().nonnegative();

/** Fields a key may be created or updated with. */
export const keyFieldsSchema = z.object({
  key_alias: z.string().min(1).nullish(),
  duration: durationText.nullish(),
  models: z.array(z.string().min(1)).optional(),
  aliases: z.record(z.string(), z.string()).optional(),
  max_budget: money.nullish(),
  soft_budget: money.nullish(),
  max_budget_tokens: count.nullish(),
  budget_duration: durationText.nullish(),
  user_id: z.string().min(1).nullish(),
  team_id: z.string().min(1).nullish(),
  rpm_limit: count.nullish(),
  tpm_limit: count.nullish(),
  max_parallel_requests: count.nullish(),
  model_rpm_limit: z.record(z.string(), count).optional(),
  model_tpm_limit: z.record(z.string(), count).optional(),
  model_max_budget: z.record(z.string(), z.unknown()).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  tags: z.array(z.string()).optional(),
  blocked: z.boolean().optional(),
  budget_id: z.string().min(1).nullish(),
});

export const keyGenerateSchema = keyFieldsSchema.extend({
  /** A key value of the caller's choosing instead of a generated one. */
  key: z.string().startsWith('sk-').min(12).optional(),
});

export const keyUpdateSchema = keyFieldsSchema.extend({ key: z.string().min(1) });

export const keyDeleteSchema = z
  .object({ keys: z.array(z.string().min(1)).optional(), key_aliases: z.array(z.string().min(1)).optional() })
  .refine((body) => (body.keys?.length ?? 0) + (body.key_aliases?.length ?? 0) > 0, { message: 'send keys or key_aliases' });

export const keyReferenceSchema = z.object({ key: z.string().min(1) });

export const keyRegenerateSchema = z.object({ key: z.string().min(1), new_key: z.string().startsWith('sk-').min(12).optional() });

export const keyListQuerySchema = z.object({
  page: z.coerce.number().int().min(1).default(1),
  size: z.coerce.number().int().min(1).max(1000).default(100),
  user_id: z.string().optional(),
  team_id: z.string().optional(),
  key_alias: z.string().optional(),
  return_full_object: z.enum(['true', 'false']).optional(),
});

export type KeyFieldsInput = z.infer<typeof keyFieldsSchema>;
export type KeyGenerateInput = z.infer<typeof keyGenerateSchema>;
export type KeyUpdateInput = z.infer<typeof keyUpdateSchema>;
export type KeyListQuery = z.infer<typeof keyListQuerySchema>;
