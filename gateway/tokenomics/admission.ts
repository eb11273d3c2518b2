/**
 * Admission on the request path: before a call, the caller's limits (the virtual key's, its team's, its
 * user's and the end user's — the request's `user`, limited by their budget — RPM, TPM, parallel requests and USD/token budgets, and their per-model RPM/TPM) are checked and reserved in one
 * atomic step; after it, the reservation is settled with the real cost and tokens, or released when the
 * call failed. The worst case reserved is an upper bound of the prompt's tokens (the request body's size)
 * plus `max_tokens` (or a default output cap) at the most expensive deployment of the model group, so
 * retries cannot overshoot either.
 */
import type { Principal } from '../auth';
import { PermissionDeniedError } from '../errors';
import type { EndUserLookup } from './end-users';
import type { ModelPrice } from './model-prices';
import { limitScopeFromRecord, modelLimitScope, toLimitError, worstCaseCost, worstCaseTokens } from './limits';
import type { LimitScope, LimitStore, LimitTicket } from './limits';

/** What admission reads from a request body. */
export interface AdmissionRequest {
  readonly model: string;
  /** The end user (customer) the call is for. */
  readonly user?: string | null;
  readonly max_tokens?: number | null;
  readonly max_completion_tokens?: number | null;
}

export interface Admitted {
  readonly ticket: LimitTicket;
  /** `x-ratelimit-*` headers for the response. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface AdmissionOptions {
  readonly store: LimitStore;
  /** The highest price among a model group's deployments (undefined: unpriced, not budgetable). */
  readonly priceOfGroup: (modelGroup: string) => ModelPrice | undefined;
  /**
   * Output tokens assumed when a request sets no `max_tokens`.
   * @default 4096
   */
  readonly defaultMaxOutputTokens?: number;
  /**
   * End users' limits (from their budgets).
   * @default - end users are not limited
   */
  readonly endUsers?: EndUserLookup;
}

function hasLimits(scope: LimitScope): boolean {
  return (
    scope.rpm != null || scope.tpm != null || scope.maxParallel != null || scope.maxBudget != null || scope.maxBudgetTokens != null
  );
}

/**
 * An upper bound of the prompt's tokens: the size of the request body, in bytes when the client declared
 * it, else in characters of its JSON. Everything the provider counts as prompt (messages, tool
 * definitions, the response format's schema) is in the body, a token covers at least one character, and
 * the body's keys and quotes cover the chat template's few tokens per message, so a reservation made from
 * it is never below what the provider will count (one that could be too low would let a burst overshoot
 * the budget). The declared size costs nothing to read; serialising the body is the fallback.
 */
function promptUpperBound(request: AdmissionRequest, bodyBytes: number | undefined): number {
  if (bodyBytes !== undefined && Number.isSafeInteger(bodyBytes) && bodyBytes > 0) return bodyBytes;
  return JSON.stringify(request).length;
}

/** The virtual key of a principal, as the auth cache holds it. */
type KeyPrincipalRecord = Extract<Principal, { kind: 'virtual_key' }>['key'];

const MAX_MODELS_PER_KEY = 64;
const NO_SCOPES: readonly LimitScope[] = Object.freeze([]);

export class Admission {
  private readonly defaultMaxOutputTokens: number;
  private readonly keyScopes = new WeakMap<KeyPrincipalRecord, Map<string, readonly LimitScope[]>>();

  constructor(private readonly options: AdmissionOptions) {
    this.defaultMaxOutputTokens = options.defaultMaxOutputTokens ?? 4096;
  }

  /**
   * Admits the call or throws the limit error (429, or 400 `budget_exceeded`). Answers `undefined` at once,
   * without a promise, when nothing can limit the call (no key scopes and no end user to look up): the
   * master key's calls and unlimited keys then reach the upstream a turn sooner. `bodyBytes` is the request
   * body's size (its `content-length`), when known.
   */
  admit(principal: Principal | null, request: AdmissionRequest, requestId: string, bodyBytes?: number): Promise<Admitted | undefined> | undefined {
    // The cached list itself when only the key's scopes apply: the limit store keeps its work per list.
    const scopes: readonly LimitScope[] = principal?.kind === 'virtual_key' ? this.scopesOf(principal.key, request.model) : NO_SCOPES;
    const endUserId = request.user && this.options.endUsers ? request.user : undefined;
    if (scopes.length === 0 && endUserId === undefined) return undefined;
    return this.admitWithin(scopes, endUserId, request, requestId, bodyBytes);
  }

  private async admitWithin(
    keyScopes: readonly LimitScope[],
    endUserId: string | undefined,
    request: AdmissionRequest,
    requestId: string,
    bodyBytes: number | undefined,
  ): Promise<Admitted | undefined> {
    let scopes = keyScopes;
    if (endUserId !== undefined && this.options.endUsers) {
      const endUser = await this.options.endUsers.find(endUserId);
      if (endUser?.blocked) {
        throw new PermissionDeniedError(`end user '${endUserId}' is blocked`, { code: 'end_user_blocked', param: 'user' });
      }
      if (endUser) {
        const endUserScope = limitScopeFromRecord(`end_user:${endUser.id}`, endUser);
        if (hasLimits(endUserScope)) scopes = [...scopes, endUserScope];
      }
    }
    if (scopes.length === 0) return undefined;

    const prompt = promptUpperBound(request, bodyBytes);
    const output = request.max_tokens ?? request.max_completion_tokens ?? this.defaultMaxOutputTokens;
    const decision = await this.options.store.admit({
      scopes,
      worstCaseTokens: worstCaseTokens(prompt, output, this.defaultMaxOutputTokens),
      worstCaseCost: worstCaseCost(prompt, output, this.options.priceOfGroup(request.model)),
      nowMs: Date.now(),
      requestId,
    });
    if (!decision.admitted) throw toLimitError(decision);
    return { ticket: decision.ticket, headers: decision.headers };
  }

  /**
   * The scopes of a key and its team and user for one model. Built once per cached key record and model
   * (the record is replaced when the auth cache refreshes it, so its limits never go stale here), which
   * also lets the limit store reuse its per-scope work.
   */
  private scopesOf(key: KeyPrincipalRecord, model: string): readonly LimitScope[] {
    let byModel = this.keyScopes.get(key);
    if (byModel === undefined) {
      byModel = new Map();
      this.keyScopes.set(key, byModel);
    }
    let scopes = byModel.get(model);
    if (scopes === undefined) {
      const built: LimitScope[] = [];
      const keyScopeId = `key:${key.token}`;
      const keyScope = limitScopeFromRecord(keyScopeId, key);
      if (hasLimits(keyScope)) built.push(keyScope);
      const perModel = modelLimitScope(keyScopeId, key, model);
      if (perModel !== undefined) built.push(perModel);
      // The key's team and user carry limits and budgets of their own, shared by all their keys.
      for (const [kind, owner] of [['team', 'team' in key ? key.team : null], ['user', 'user' in key ? key.user : null]] as const) {
        if (!owner) continue;
        const ownerScope = limitScopeFromRecord(`${kind}:${owner.id}`, owner);
        if (hasLimits(ownerScope)) built.push(ownerScope);
        const ownerPerModel = modelLimitScope(`${kind}:${owner.id}`, owner, model);
        if (ownerPerModel !== undefined) built.push(ownerPerModel);
      }
      // A client sending many model names cannot grow this without bound.
      if (byModel.size >= MAX_MODELS_PER_KEY) byModel.clear();
      byModel.set(model, built);
      scopes = built;
    }
    return scopes;
  }

  settle(admitted: Admitted, cost: number, tokens: number): Promise<void> {
    return this.options.store.settle(admitted.ticket, { cost, tokens }, Date.now());
  }

  release(admitted: Admitted): Promise<void> {
    return this.options.store.release(admitted.ticket, Date.now());
  }
}
