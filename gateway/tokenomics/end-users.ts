/**
 * End users (LiteLLM "customers": the `user` field of a request) and their limits, which come from the
 * end user's budget. Looked up once per end user and cached briefly, like keys; unknown end users have no
 * limits (LiteLLM creates them on first spend).
 */
import type { Database, OwnerLimits } from '../storage';

export interface EndUserLookup {
  find(endUserId: string): Promise<OwnerLimits | undefined>;
}

interface CacheEntry {
  readonly limits: OwnerLimits | undefined;
  readonly until: number;
}

const MAX_CACHED = 100_000;

export class CachedEndUsers implements EndUserLookup {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    private readonly database: () => Promise<Database | undefined>,
    private readonly ttlMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  async find(endUserId: string): Promise<OwnerLimits | undefined> {
    const cached = this.cache.get(endUserId);
    if (cached !== undefined && cached.until > this.now()) return cached.limits;
    const database = await this.database();
    if (database === undefined) return undefined;
    const { rows } = await database.query<OwnerLimits>(
      `SELECT e.user_id AS id, e.blocked, '{}'::text[] AS models, b.max_budget, b.max_budget_tokens, e.spend, e.spend_tokens,
         e.budget_reset_at, b.rpm_limit, b.tpm_limit, b.max_parallel_requests,
         '{}'::jsonb AS model_rpm_limit, '{}'::jsonb AS model_tpm_limit
       FROM end_users e LEFT JOIN budgets b ON b.budget_id = e.budget_id WHERE e.user_id = $1`,
      [endUserId],
    );
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(endUserId, { limits: rows[0], until: this.now() + this.ttlMs });
    return rows[0];
  }
}
