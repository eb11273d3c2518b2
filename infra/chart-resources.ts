// Applies the objects of a synthesized cdk8s chart as individual Kubernetes resources, so each object
// is its own resource in the Pulumi state (and visible to tests under mocks, unlike the provider-side
// `yaml.v2.ConfigGroup`), in dependency order:
//
//   Namespace → Secrets (Pulumi-created and ExternalSecrets) → everything else → database (CloudNativePG)
//   → migration Job → gateway Deployment
//
// Core kinds become their typed `@pulumi/kubernetes` classes; every other kind (CRDs) becomes a
// `k8s.apiextensions.CustomResource`.

import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';

/** One rendered Kubernetes object, as `chart.toJson()` returns it. */
export interface ChartObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name?: string; readonly namespace?: string; readonly labels?: Record<string, string> };
  readonly [field: string]: unknown;
}

/** Arguments of a {@link ChartResources}. */
export interface ChartResourcesArgs {
  /**
   * The chart's objects (`chart.toJson()`), plain values known at preview time. Every object needs a
   * `metadata.name`, so the names match what `cdk8s synth` renders.
   */
  readonly objects: readonly ChartObject[];
  /**
   * Resources every object except the Namespace waits for: the Secrets Pulumi created for the chart.
   * @default - none
   */
  readonly secrets?: pulumi.Input<pulumi.Resource[]>;
  /**
   * Resources every custom resource (a kind not built into Kubernetes) waits for: the operators that
   * install its CRD, e.g. an {@link OperatorReleases}' releases.
   * @default - none (the operators are already installed)
   */
  readonly operators?: pulumi.Input<pulumi.Resource[]>;
  /**
   * Resources the gateway Deployment waits for, such as the image build and push.
   * @default - none
   */
  readonly gatewayDependencies?: pulumi.Input<pulumi.Resource[]>;
}

/** The role of an object in the apply order. */
export type ChartObjectStage = 'namespace' | 'secret' | 'database' | 'migration' | 'gateway' | 'other';

const COMPONENT_LABEL = 'app.kubernetes.io/component';

/** Where an object sits in the apply order (pure; exported for tests). */
export function chartObjectStage(object: ChartObject): ChartObjectStage {
  const component = object.metadata.labels?.[COMPONENT_LABEL];
  if (object.apiVersion === 'v1' && object.kind === 'Namespace') return 'namespace';
  if (object.kind === 'Secret' || (object.kind === 'ExternalSecret' && object.apiVersion.startsWith('external-secrets.io/'))) return 'secret';
  if (object.apiVersion.startsWith('postgresql.cnpg.io/') && (object.kind === 'Cluster' || object.kind === 'Pooler')) return 'database';
  if (object.kind === 'Job' && component === 'migration') return 'migration';
  if (object.kind === 'Deployment' && component === 'gateway') return 'gateway';
  return 'other';
}

type Factory = (name: string, object: ChartObject, options: pulumi.CustomResourceOptions) => pulumi.CustomResource;

/* eslint-disable @typescript-eslint/no-explicit-any -- the rendered object is the typed args' JSON form */
const CORE_KINDS: Record<string, Factory> = {
  'v1/Namespace': (name, object, options) => new k8s.core.v1.Namespace(name, object as any, options),
  'v1/Secret': (name, object, options) => new k8s.core.v1.Secret(name, object as any, options),
  'v1/ConfigMap': (name, object, options) => new k8s.core.v1.ConfigMap(name, object as any, options),
  'v1/Service': (name, object, options) => new k8s.core.v1.Service(name, object as any, options),
  'v1/ServiceAccount': (name, object, options) => new k8s.core.v1.ServiceAccount(name, object as any, options),
  'v1/PersistentVolumeClaim': (name, object, options) => new k8s.core.v1.PersistentVolumeClaim(name, object as any, options),
  'apps/v1/Deployment': (name, object, options) => new k8s.apps.v1.Deployment(name, object as any, options),
  'apps/v1/StatefulSet': (name, object, options) => new k8s.apps.v1.StatefulSet(name, object as any, options),
  'batch/v1/Job': (name, object, options) => new k8s.batch.v1.Job(name, object as any, options),
  'policy/v1/PodDisruptionBudget': (name, object, options) => new k8s.policy.v1.PodDisruptionBudget(name, object as any, options),
  'autoscaling/v2/HorizontalPodAutoscaler': (name, object, options) => new k8s.autoscaling.v2.HorizontalPodAutoscaler(name, object as any, options),
  'networking.k8s.io/v1/Ingress': (name, object, options) => new k8s.networking.v1.Ingress(name, object as any, options),
  'networking.k8s.io/v1/NetworkPolicy': (name, object, options) => new k8s.networking.v1.NetworkPolicy(name, object as any, options),
  'rbac.authorization.k8s.io/v1/Role': (name, object, options) => new k8s.rbac.v1.Role(name, object as any, options),
  'rbac.authorization.k8s.io/v1/RoleBinding': (name, object, options) => new k8s.rbac.v1.RoleBinding(name, object as any, options),
};
/* eslint-enable @typescript-eslint/no-explicit-any */

function createObject(name: string, object: ChartObject, options: pulumi.CustomResourceOptions): pulumi.CustomResource {
  const factory = CORE_KINDS[`${object.apiVersion}/${object.kind}`];
  if (factory !== undefined) return factory(name, object, options);
  return new k8s.apiextensions.CustomResource(name, object as k8s.apiextensions.CustomResourceArgs, options);
}

/** The objects of one synthesized chart, applied in order. */
export class ChartResources extends pulumi.ComponentResource {
  /** Every applied object, keyed `<apiVersion>/<kind>/<name>`. */
  readonly resources: Readonly<Record<string, pulumi.CustomResource>>;
  /** The Namespace, when the chart renders one. */
  readonly namespace?: k8s.core.v1.Namespace;
  /** The `<apiVersion>/<kind>/<name>` keys of the applied objects, in apply order. */
  readonly objectKeys: pulumi.Output<string[]>;

  constructor(name: string, args: ChartResourcesArgs, opts?: pulumi.ComponentResourceOptions) {
    super('switchyard:infra:ChartResources', name, {}, opts);

    const byStage = new Map<ChartObjectStage, ChartObject[]>();
    const seen = new Set<string>();
    for (const object of args.objects) {
      const objectName = object.metadata.name;
      if (objectName === undefined || objectName === '') {
        throw new pulumi.ResourceError(`chart object ${object.apiVersion} ${object.kind} has no metadata.name; give every object a name so pulumi up and cdk8s synth render the same names`, this);
      }
      const key = `${object.apiVersion}/${object.kind}/${objectName}`;
      if (seen.has(key)) throw new pulumi.ResourceError(`chart object ${key} appears twice; object names must be unique per kind`, this);
      seen.add(key);
      const stage = chartObjectStage(object);
      byStage.set(stage, [...(byStage.get(stage) ?? []), object]);
    }

    const resources: Record<string, pulumi.CustomResource> = {};
    const after = (...groups: pulumi.Input<pulumi.Resource[]>[]): pulumi.Output<pulumi.Resource[]> =>
      pulumi.all(groups).apply((lists) => lists.flat());
    const operators = args.operators ?? [];
    const apply = (stage: ChartObjectStage, dependsOn: pulumi.Input<pulumi.Resource[]>): pulumi.CustomResource[] =>
      (byStage.get(stage) ?? []).map((object) => {
        const key = `${object.apiVersion}/${object.kind}/${object.metadata.name}`;
        const custom = CORE_KINDS[`${object.apiVersion}/${object.kind}`] === undefined;
        const resource = createObject(`${name}-${object.kind.toLowerCase()}-${object.metadata.name}`, object, {
          parent: this,
          dependsOn: custom ? after(dependsOn, operators) : dependsOn,
        });
        resources[key] = resource;
        return resource;
      });

    const namespaces = apply('namespace', []);
    const secrets = apply('secret', namespaces);
    const ready = after(namespaces, secrets, args.secrets ?? []);
    apply('other', ready);
    const database = apply('database', ready);
    const migrations = apply('migration', after(ready, database));
    apply('gateway', after(ready, database, migrations, args.gatewayDependencies ?? []));

    this.resources = resources;
    this.namespace = namespaces[0] as k8s.core.v1.Namespace | undefined;
    this.objectKeys = pulumi.output(Object.keys(resources));
    this.registerOutputs({ objectKeys: this.objectKeys });
  }
}
