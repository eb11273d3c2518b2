/**
 * Model groups: every `model_list` entry sharing a `model_name` is one group. Picking follows LiteLLM's
 * `simple-shuffle`: deployments of the lowest `order` first, and within an order a random pick weighted by
 * `weight` (else `rpm`, else `tpm`, else evenly). Deployments already tried in this request are skipped.
 *
 * @see https://docs.litellm.ai/docs/routing
 */
import type { Deployment } from '../config';
import type { ModelList } from '../openai';

export class ModelRegistry {
  private readonly groups = new Map<string, Deployment[]>();
  private readonly byId = new Map<string, Deployment>();
  private readonly createdAt: number;

  constructor(
    deployments: readonly Deployment[],
    private readonly random: () => number = Math.random,
    now: number = Date.now(),
  ) {
    this.createdAt = Math.floor(now / 1000);
    for (const deployment of deployments) {
      const group = this.groups.get(deployment.modelName);
      if (group) group.push(deployment);
      else this.groups.set(deployment.modelName, [deployment]);
      this.byId.set(deployment.id, deployment);
    }
  }

  has(modelName: string): boolean {
    return this.groups.has(modelName);
  }

  modelNames(): string[] {
    return [...this.groups.keys()];
  }

  group(modelName: string): readonly Deployment[] {
    return this.groups.get(modelName) ?? [];
  }

  deployment(id: string): Deployment | undefined {
    return this.byId.get(id);
  }

  /** Picks the next deployment of a group, skipping `exclude`; `undefined` when none is left. */
  pick(modelName: string, exclude?: ReadonlySet<string>): Deployment | undefined {
    const group = this.groups.get(modelName);
    if (group === undefined) return undefined;
    if (group.length === 1 && exclude === undefined) return group[0];
    let candidates = exclude ? group.filter((deployment) => !exclude.has(deployment.id)) : group;
    if (candidates.length === 0) return undefined;
    const lowestOrder = Math.min(...candidates.map(orderOf));
    candidates = candidates.filter((deployment) => orderOf(deployment) === lowestOrder);
    return weightedPick(candidates, this.random);
  }

  /** `GET /v1/models`: one entry per public model name. */
  toModelList(): ModelList {
    return {
      object: 'list',
      data: this.modelNames().map((id) => ({ id, object: 'model', created: this.createdAt, owned_by: 'switchyard' })),
    };
  }
}

function orderOf(deployment: Deployment): number {
  return deployment.order ?? Number.MAX_SAFE_INTEGER;
}

function weightOf(deployment: Deployment, key: 'weight' | 'rpm' | 'tpm'): number | undefined {
  const value = deployment[key];
  return typeof value === 'number' && value > 0 ? value : undefined;
}

function weightedPick(candidates: readonly Deployment[], random: () => number): Deployment | undefined {
  if (candidates.length <= 1) return candidates[0];
  const key = (['weight', 'rpm', 'tpm'] as const).find((k) => candidates.some((d) => weightOf(d, k) !== undefined));
  const weights = candidates.map((d) => (key === undefined ? 1 : (weightOf(d, key) ?? 0)));
  const total = weights.reduce((sum, w) => sum + w, 0);
  if (total <= 0) return candidates[Math.floor(random() * candidates.length)];
  let point = random() * total;
  for (let i = 0; i < candidates.length; i++) {
    point -= weights[i] ?? 0;
    if (point < 0) return candidates[i];
  }
  return candidates[candidates.length - 1];
}
