// Where pods come from: the pod templates of workload objects in the set, the pods that operators
// create for custom resources (CloudNativePG Cluster and Pooler, Gateway API Gateway), and pods
// declared by the caller.
// Services, NetworkPolicies, PodDisruptionBudgets and monitors are matched against these.

import { arrayAt, childPointer, isRecord, labelsAt, recordAt, stringAt, valueAt } from './manifest-object';
import type { IndexedObject, Labels } from './manifest-object';

/** Which list of the pod spec a container is in. */
export type ContainerList = 'containers' | 'initContainers' | 'ephemeralContainers';

export interface PodContainer {
  readonly name: string;
  readonly list: ContainerList;
  readonly container: Readonly<Record<string, unknown>>;
  /** JSON pointer to the container inside its owner object. */
  readonly path: string;
  /** An init container with `restartPolicy: Always` (a native sidecar). */
  readonly sidecar: boolean;
}

/** A named container port, for named targetPorts and NetworkPolicy ports. */
export interface PodPort {
  readonly name?: string;
  readonly containerPort: number;
  readonly protocol: string;
}

/** A pod template of a workload object in the set. */
export interface PodTemplate {
  readonly owner: IndexedObject;
  readonly namespace: string;
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly spec: Readonly<Record<string, unknown>>;
  /** JSON pointer to the pod spec inside the owner, e.g. `/spec/template/spec`. */
  readonly specPath: string;
  /** JSON pointer to the pod metadata inside the owner, e.g. `/spec/template/metadata`. */
  readonly metadataPath: string;
  /** Pods that are meant to keep running (not Job or CronJob pods). */
  readonly longRunning: boolean;
  readonly containers: readonly PodContainer[];
  readonly ports: readonly PodPort[];
}

/** Pods created outside the set's pod templates, e.g. by an operator, that selectors may target. */
export interface ExternalPod {
  /** @default - the validator's default namespace */
  readonly namespace?: string;
  readonly labels: Labels;
  /** Container ports, for named ports. @default - none */
  readonly ports?: readonly PodPort[];
  /** What creates these pods, shown in messages. */
  readonly description: string;
}

/** Anything that yields pods with labels: a template, an operator's pods, or a declared external pod. */
export interface PodSource {
  readonly namespace: string;
  readonly labels: Labels;
  /** Undefined when the container ports are not known. */
  readonly ports: readonly PodPort[] | undefined;
  readonly description: string;
  /** The object whose pods these are (undefined for declared external pods). */
  readonly owner?: IndexedObject;
  readonly template?: PodTemplate;
}

interface TemplateLocation {
  readonly metadata: readonly string[];
  readonly spec: readonly string[];
  readonly longRunning: boolean;
}

const TEMPLATE_LOCATIONS: Readonly<Record<string, TemplateLocation>> = {
  ' Pod': { metadata: ['metadata'], spec: ['spec'], longRunning: true },
  ' ReplicationController': { metadata: ['spec', 'template', 'metadata'], spec: ['spec', 'template', 'spec'], longRunning: true },
  ' PodTemplate': { metadata: ['template', 'metadata'], spec: ['template', 'spec'], longRunning: true },
  'apps Deployment': { metadata: ['spec', 'template', 'metadata'], spec: ['spec', 'template', 'spec'], longRunning: true },
  'apps ReplicaSet': { metadata: ['spec', 'template', 'metadata'], spec: ['spec', 'template', 'spec'], longRunning: true },
  'apps StatefulSet': { metadata: ['spec', 'template', 'metadata'], spec: ['spec', 'template', 'spec'], longRunning: true },
  'apps DaemonSet': { metadata: ['spec', 'template', 'metadata'], spec: ['spec', 'template', 'spec'], longRunning: true },
  'batch Job': { metadata: ['spec', 'template', 'metadata'], spec: ['spec', 'template', 'spec'], longRunning: false },
  'batch CronJob': {
    metadata: ['spec', 'jobTemplate', 'spec', 'template', 'metadata'],
    spec: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
    longRunning: false,
  },
};

const CNPG_GROUP = 'postgresql.cnpg.io';
const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';

/** The pod template of one object, or undefined when the object has none. */
export function podTemplateOf(owner: IndexedObject): PodTemplate | undefined {
  const location = TEMPLATE_LOCATIONS[`${owner.group} ${owner.kind}`];
  if (location === undefined) return undefined;
  const spec = recordAt(owner.object, ...location.spec);
  if (spec === undefined) return undefined;
  const specPath = `/${location.spec.join('/')}`;
  const metadataPath = `/${location.metadata.join('/')}`;
  // A bare Pod that is not restarted behaves like a Job pod.
  const restartPolicy = stringAt(spec, 'restartPolicy');
  const longRunning = location.longRunning && !(owner.kind === 'Pod' && restartPolicy !== undefined && restartPolicy !== 'Always');
  const containers = (['containers', 'initContainers', 'ephemeralContainers'] as const).flatMap((list) =>
    arrayAt(spec, list).flatMap((container, index): PodContainer[] =>
      isRecord(container)
        ? [
            {
              name: stringAt(container, 'name') ?? `#${index}`,
              list,
              container,
              path: childPointer(specPath, list, index),
              sidecar: list === 'initContainers' && container.restartPolicy === 'Always',
            },
          ]
        : [],
    ),
  );
  return {
    owner,
    namespace: owner.namespace,
    labels: labelsAt(owner.object, ...location.metadata, 'labels'),
    annotations: labelsAt(owner.object, ...location.metadata, 'annotations'),
    spec,
    specPath,
    metadataPath,
    longRunning,
    containers,
    ports: containers.filter((entry) => entry.list !== 'ephemeralContainers').flatMap((entry) => containerPorts(entry.container)),
  };
}

/** Every pod template in the set. */
export function podTemplatesOf(objects: readonly IndexedObject[]): PodTemplate[] {
  return objects.flatMap((owner) => {
    const template = podTemplateOf(owner);
    return template === undefined ? [] : [template];
  });
}

/** Pod templates, operator-created pods and declared external pods, for selector matching. */
export function podSourcesOf(objects: readonly IndexedObject[], externalPods: readonly ExternalPod[], defaultNamespace: string): PodSource[] {
  const sources: PodSource[] = podTemplatesOf(objects).map((template) => ({
    namespace: template.namespace,
    labels: template.labels,
    ports: template.ports,
    description: `pods of ${template.owner.description}`,
    owner: template.owner,
    template,
  }));
  for (const entry of objects) {
    if (entry.group === CNPG_GROUP && entry.kind === 'Cluster') sources.push(...cnpgClusterPods(entry));
    if (entry.group === CNPG_GROUP && entry.kind === 'Pooler') sources.push(cnpgPoolerPods(entry));
    if (entry.group === GATEWAY_API_GROUP && entry.kind === 'Gateway') sources.push(gatewayPods(entry));
  }
  for (const pod of externalPods) {
    sources.push({ namespace: pod.namespace ?? defaultNamespace, labels: pod.labels, ports: pod.ports, description: pod.description });
  }
  return sources;
}

function containerPorts(container: Readonly<Record<string, unknown>>): PodPort[] {
  return arrayAt(container, 'ports').flatMap((port): PodPort[] => {
    const containerPort = valueAt(port, 'containerPort');
    if (typeof containerPort !== 'number') return [];
    const name = stringAt(port, 'name');
    return [{ ...(name === undefined ? {} : { name }), containerPort, protocol: stringAt(port, 'protocol') ?? 'TCP' }];
  });
}

/**
 * CloudNativePG instance pods: labelled `cnpg.io/cluster`, `cnpg.io/podRole: instance` and
 * `cnpg.io/instanceRole` (`primary`, or `replica` when there is more than one instance), plus
 * `spec.inheritedMetadata.labels`; container ports `postgresql` 5432, `metrics` 9187, `status` 8000.
 * @see https://cloudnative-pg.io/documentation/current/labels_annotations/
 */
function cnpgClusterPods(cluster: IndexedObject): PodSource[] {
  const instances = valueAt(cluster.object, 'spec', 'instances');
  const roles = typeof instances === 'number' && instances > 1 ? ['primary', 'replica'] : ['primary'];
  const inherited = labelsAt(cluster.object, 'spec', 'inheritedMetadata', 'labels');
  const ports: PodPort[] = [
    { name: 'postgresql', containerPort: 5432, protocol: 'TCP' },
    { name: 'metrics', containerPort: 9187, protocol: 'TCP' },
    { name: 'status', containerPort: 8000, protocol: 'TCP' },
  ];
  return roles.map((role) => ({
    namespace: cluster.namespace,
    labels: { ...inherited, 'cnpg.io/cluster': cluster.name, 'cnpg.io/podRole': 'instance', 'cnpg.io/instanceRole': role, role },
    ports,
    description: `${role} instance pods of ${cluster.description} (created by CloudNativePG)`,
    owner: cluster,
  }));
}

/**
 * CloudNativePG PgBouncer pods: labelled `cnpg.io/poolerName` and `cnpg.io/podRole: pooler`, plus the
 * template's labels; container ports `pgbouncer` 5432 and `metrics` 9127.
 */
function cnpgPoolerPods(pooler: IndexedObject): PodSource {
  return {
    namespace: pooler.namespace,
    labels: { ...labelsAt(pooler.object, 'spec', 'template', 'metadata', 'labels'), 'cnpg.io/poolerName': pooler.name, 'cnpg.io/podRole': 'pooler' },
    ports: [
      { name: 'pgbouncer', containerPort: 5432, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9127, protocol: 'TCP' },
    ],
    description: `pods of ${pooler.description} (created by CloudNativePG)`,
    owner: pooler,
  };
}

/**
 * The proxy pods a Gateway API implementation deploys for an in-cluster Gateway, labelled
 * `gateway.networking.k8s.io/gateway-name` as GEP-1762 asks; their ports are implementation-specific.
 * @see https://gateway-api.sigs.k8s.io/geps/gep-1762/
 */
function gatewayPods(gateway: IndexedObject): PodSource {
  return {
    namespace: gateway.namespace,
    labels: { 'gateway.networking.k8s.io/gateway-name': gateway.name },
    ports: undefined,
    description: `proxy pods of ${gateway.description} (created by the Gateway API implementation)`,
    owner: gateway,
  };
}
