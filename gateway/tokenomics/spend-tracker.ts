/**
 * Turns a finished call into its cost and a spend record: who called (key, its user and team, the
 * end user from the request's `user` field, tags from `metadata.tags`), what it used, what it cost.
 */
import type { Principal } from '../auth';
import type { Deployment } from '../config';
import type { CompletionUsage } from '../openai';
import { costOfUsage, priceOfDeployment } from './cost';
import type { ModelPrice } from './model-prices';
import type { SpendLedger, SpendRecord } from './spend-ledger';

export interface CompletedCall {
  readonly requestId: string;
  readonly callType: SpendRecord['call_type'];
  readonly principal: Principal | null;
  readonly deployment: Deployment;
  readonly apiBase: string | undefined;
  readonly usage: CompletionUsage | undefined;
  /** The request's `user` field: the end user (customer). */
  readonly endUser: string | undefined;
  readonly tags: readonly string[];
  /** Epoch ms. */
  readonly startedAtMs: number;
  /** Epoch ms. */
  readonly endedAtMs: number;
  readonly status: SpendRecord['status'];
}

export class SpendTracker {
  private readonly prices = new Map<string, ModelPrice | undefined>();

  constructor(private readonly ledger: SpendLedger) {}

  /** Records the call; returns its cost in USD. */
  complete(call: CompletedCall): number {
    const { deployment, usage, principal } = call;
    let price = this.prices.get(deployment.id);
    if (price === undefined && !this.prices.has(deployment.id)) {
      price = priceOfDeployment(deployment);
      this.prices.set(deployment.id, price);
    }
    const { cost } = costOfUsage(usage, price);
    const key = principal?.kind === 'virtual_key' ? principal.key : undefined;
    this.ledger.record({
      request_id: call.requestId,
      call_type: call.callType,
      token_hash: key?.token ?? null,
      key_alias: key?.key_alias ?? null,
      user_id: key?.user_id ?? null,
      team_id: key?.team_id ?? null,
      end_user: call.endUser ?? null,
      model_group: deployment.modelName,
      deployment_id: deployment.id,
      model: deployment.model,
      provider: deployment.provider,
      api_base: call.apiBase ?? null,
      tags: call.tags,
      prompt_tokens: usage?.prompt_tokens ?? 0,
      completion_tokens: usage?.completion_tokens ?? 0,
      cached_tokens: usage?.cache_read_input_tokens ?? usage?.prompt_tokens_details?.cached_tokens ?? 0,
      total_tokens: usage?.total_tokens ?? 0,
      spend: cost,
      status: call.status,
      start_ms: call.startedAtMs,
      end_ms: call.endedAtMs,
    });
    return cost;
  }
}
