/**
 * The cost of one call from its usage: uncached input, cache reads, cache writes and output, each at
 * its price. Prices come from the deployment (`input_cost_per_token` / `output_cost_per_token`, also via
 * `model_info`) or else the list-price table; a model with neither costs 0 and says so.
 */
import type { Deployment } from '../config';
import type { CompletionUsage } from '../openai';
import { findModelPrice } from './model-prices';
import type { ModelPrice } from './model-prices';

export interface CallCost {
  /** USD. */
  readonly cost: number;
  /** `false` when no price was known for the model (cost 0). */
  readonly priced: boolean;
}

export function priceOfDeployment(deployment: Deployment): ModelPrice | undefined {
  if (deployment.inputCostPerToken !== undefined || deployment.outputCostPerToken !== undefined) {
    return { inputPerToken: deployment.inputCostPerToken ?? 0, outputPerToken: deployment.outputCostPerToken ?? 0 };
  }
  const baseModel = deployment.modelInfo.base_model;
  return findModelPrice(typeof baseModel === 'string' ? baseModel : deployment.model);
}

export function costOfUsage(usage: CompletionUsage | undefined, price: ModelPrice | undefined): CallCost {
  if (usage === undefined || price === undefined) return { cost: 0, priced: price !== undefined };
  const cacheRead = usage.cache_read_input_tokens ?? usage.prompt_tokens_details?.cached_tokens ?? 0;
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  const uncached = Math.max(0, usage.prompt_tokens - cacheRead - cacheWrite);
  const cost =
    uncached * price.inputPerToken +
    cacheRead * (price.cachedInputPerToken ?? price.inputPerToken) +
    cacheWrite * (price.cacheWritePerToken ?? price.inputPerToken) +
    usage.completion_tokens * price.outputPerToken;
  return { cost, priced: true };
}
