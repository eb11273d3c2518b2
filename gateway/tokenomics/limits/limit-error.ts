/**
 * Turns a rejected admission into the error the client sees: 429 `rate_limit_error` with `Retry-After`
 * for rate limits, LiteLLM's 400 `budget_exceeded` for budgets. Messages name the kind of scope (and a
 * user, team, end user or model by name) but never a key or its hash.
 */
import { BudgetExceededError, RateLimitError } from '../../errors';
import type { GatewayError } from '../../errors';
import type { RejectedDecision } from './limit-store';

export function toLimitError(decision: RejectedDecision): GatewayError {
  const who = describeScope(decision.scope);
  const options = { headers: decision.headers };
  const retry = decision.retryAfterSeconds === undefined ? '' : `; retry after ${decision.retryAfterSeconds} s`;
  switch (decision.kind) {
    case 'rpm':
      return new RateLimitError(`rate limit reached for ${who}: ${decision.limit} requests per minute${retry}`, options);
    case 'tpm':
      return new RateLimitError(
        `token rate limit reached for ${who}: ${decision.current} of ${decision.limit} tokens per minute used${retry}`,
        options,
      );
    case 'parallel':
      return new RateLimitError(
        `parallel request limit reached for ${who}: ${decision.limit} requests already in flight${retry}`,
        options,
      );
    case 'budget':
      return new BudgetExceededError(
        `budget exceeded for ${who}: current cost ${decision.current} USD (including requests in flight), ` +
          `this request may cost up to ${decision.requested} USD, max budget ${decision.limit} USD`,
        options,
      );
    case 'budget_tokens':
      return new BudgetExceededError(
        `token budget exceeded for ${who}: ${decision.current} tokens used (including requests in flight), ` +
          `this request may use up to ${decision.requested}, max budget ${decision.limit} tokens`,
        options,
      );
    default: {
      const unreachable: never = decision.kind;
      throw new Error(`unknown limit kind ${String(unreachable)}`);
    }
  }
}

const SCOPE_NAMES: Readonly<Record<string, string>> = {
  user: 'user',
  team: 'team',
  end_user: 'end user',
  customer: 'end user',
};

/** `key:<hash>:model:gpt-4o` → `key (model gpt-4o)`; `user:alice` → `user alice`. */
export function describeScope(scopeId: string): string {
  const modelAt = scopeId.indexOf(':model:');
  const base = modelAt < 0 ? scopeId : scopeId.slice(0, modelAt);
  const model = modelAt < 0 ? '' : ` (model ${scopeId.slice(modelAt + ':model:'.length)})`;
  const colon = base.indexOf(':');
  const kind = colon < 0 ? base : base.slice(0, colon);
  const name = SCOPE_NAMES[kind];
  const described = kind === 'key' ? 'key' : name === undefined ? 'this scope' : `${name} ${base.slice(colon + 1)}`;
  return `${described}${model}`;
}
