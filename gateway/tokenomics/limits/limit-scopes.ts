/**
 * Pure helpers that turn database rows (LiteLLM field names) and a request into limit scopes and worst cases.
 */
import type { ModelPrice } from '../model-prices';
import type { LimitScope } from './limit-store';

/** The limit fields keys, users, teams and end users share (LiteLLM names; `numeric` may arrive as a string). */
export interface LimitRecord {
  readonly rpm_limit?: number | string | null;
  readonly tpm_limit?: number | string | null;
  readonly max_parallel_requests?: number | string | null;
  readonly max_budget?: number | string | null;
  readonly max_budget_tokens?: number | string | null;
  readonly spend?: number | string | null;
  readonly spend_tokens?: number | string | null;
  /** The end of the current budget period; it identifies the period. */
  readonly budget_reset_at?: Date | string | null;
}

export interface ModelLimitRecord {
  readonly model_rpm_limit?: Readonly<Record<string, number>> | null;
  readonly model_tpm_limit?: Readonly<Record<string, number>> | null;
}

/** A scope from a row: `limitScopeFromRecord('user:alice', userRow)`. */
export function limitScopeFromRecord(id: string, record: LimitRecord): LimitScope {
  return {
    id,
    rpm: numberOrNull(record.rpm_limit),
    tpm: numberOrNull(record.tpm_limit),
    maxParallel: numberOrNull(record.max_parallel_requests),
    maxBudget: numberOrNull(record.max_budget),
    maxBudgetTokens: numberOrNull(record.max_budget_tokens),
    knownSpend: numberOrNull(record.spend),
    knownSpendTokens: numberOrNull(record.spend_tokens),
    budgetPeriod: periodOf(record.budget_reset_at),
  };
}

/**
 * The per-model scope of a key/user/team (`model_rpm_limit` / `model_tpm_limit`), id `<parentId>:model:<model>`,
 * or `undefined` when the record sets neither for this model.
 */
export function modelLimitScope(parentId: string, record: ModelLimitRecord, model: string): LimitScope | undefined {
  const rpm = record.model_rpm_limit?.[model];
  const tpm = record.model_tpm_limit?.[model];
  if (rpm === undefined && tpm === undefined) return undefined;
  return { id: `${parentId}:model:${model}`, rpm: rpm ?? null, tpm: tpm ?? null };
}

/** The most tokens a call can use: the prompt estimate plus `max_tokens`, or the model's default output cap. */
export function worstCaseTokens(
  promptTokenEstimate: number,
  maxTokens: number | null | undefined,
  defaultMaxOutput: number,
): number {
  const output = maxTokens ?? defaultMaxOutput;
  return Math.ceil(Math.max(0, promptTokenEstimate) + Math.max(0, output));
}

/** The most a call can cost in USD at `price` (0 when the model has no price: it cannot be budgeted). */
export function worstCaseCost(promptTokens: number, outputTokens: number, price: ModelPrice | undefined): number {
  if (price === undefined) return 0;
  return Math.max(0, promptTokens) * price.inputPerToken + Math.max(0, outputTokens) * price.outputPerToken;
}

function numberOrNull(value: number | string | null | undefined): number | null {
  if (value === null || value === undefined || value === '') return null;
  const number = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(number) ? number : null;
}

function periodOf(resetAt: Date | string | null | undefined): string | null {
  if (resetAt === null || resetAt === undefined) return null;
  const ms = resetAt instanceof Date ? resetAt.getTime() : Date.parse(resetAt);
  return Number.isFinite(ms) ? String(ms) : null;
}
