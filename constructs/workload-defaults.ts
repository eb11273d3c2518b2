// Shared defaults for every pod the constructs render: the restricted Pod Security Standard, the
// recommended `app.kubernetes.io/*` labels, and the few pod-spec fields cdk8s-plus 28 has no API for
// (topology spread constraints, extended resources such as `nvidia.com/gpu`, gRPC probes), which are
// added with JSON patches on the generated object.
//
// @see https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted
// @see https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/

import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import type { ApiObjectMetadataDefinition } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { IConstruct } from 'constructs';

/** The numeric non-root user the gateway image runs as (see gateway/Dockerfile). */
export const GATEWAY_UID = 65532;

/** The value of `app.kubernetes.io/part-of` on every object. */
export const PART_OF = 'switchyard';

/** Options for {@link restrictedContainerSecurityContext}. */
export interface RestrictedContainerOptions {
  /**
   * The numeric user the container runs as.
   * @default - the image's user (which must be numeric and non-root; runAsNonRoot is always set)
   */
  readonly user?: number;
  /**
   * The numeric group the container runs as.
   * @default - same as `user`
   */
  readonly group?: number;
  /**
   * Whether the root filesystem is mounted read-only. The restricted standard does not require it;
   * every container here keeps it on and mounts emptyDirs where it writes.
   * @default true
   */
  readonly readOnlyRootFilesystem?: boolean;
}

/**
 * A container security context that passes the restricted Pod Security Standard: non-root, no
 * privilege escalation, every capability dropped, the runtime's default seccomp profile.
 */
export function restrictedContainerSecurityContext(options: RestrictedContainerOptions = {}): kplus.ContainerSecurityContextProps {
  return {
    ensureNonRoot: true,
    privileged: false,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: options.readOnlyRootFilesystem ?? true,
    capabilities: { drop: [kplus.Capability.ALL] },
    seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
    ...(options.user === undefined ? {} : { user: options.user, group: options.group ?? options.user }),
  };
}

/**
 * A pod security context for the restricted standard. `fsGroup` makes mounted volumes (PVCs,
 * emptyDirs) writable by the container's group.
 */
export function restrictedPodSecurityContext(user: number, fsGroup: number = user): kplus.PodSecurityContextProps {
  return {
    ensureNonRoot: true,
    user,
    group: user,
    fsGroup,
    fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH,
  };
}

/** The recommended labels of one component. */
export function componentLabels(name: string, component: string, instance: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/instance': instance,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': PART_OF,
  };
}

/** Anything with Kubernetes metadata: an L2 resource or an L1/CRD `ApiObject`. */
export interface HasMetadata {
  readonly metadata: ApiObjectMetadataDefinition;
}

/** Adds labels to objects' metadata and, for workloads, to their pod templates. */
export function addLabels(labels: Record<string, string>, ...targets: HasMetadata[]): void {
  for (const target of targets) {
    for (const [key, value] of Object.entries(labels)) {
      target.metadata.addLabel(key, value);
      if (target instanceof kplus.Workload) target.podMetadata.addLabel(key, value);
    }
  }
}

/**
 * A quantity for a JSON patch on a cdk8s-plus object. The patch applies before the generated L1's
 * `toJson`, which reads quantities as `Quantity` objects (`{ value }`), so a plain string would be lost.
 */
export function patchQuantity(quantity: string): kplus.k8s.Quantity {
  return kplus.k8s.Quantity.fromString(quantity);
}

/** Escapes one JSON-pointer segment (`nvidia.com/gpu` → `nvidia.com~1gpu`). */
function pointerSegment(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The JSON-pointer prefix of the pod spec inside a workload object. */
function podSpecPath(workload: kplus.Workload): string {
  return workload instanceof kplus.Job || workload instanceof kplus.Deployment || workload instanceof kplus.StatefulSet
    ? '/spec/template/spec'
    : '/spec';
}

/**
 * Spreads a workload's pods over zones and nodes (`topologySpreadConstraints`, which cdk8s-plus 28
 * does not model; its `scheduling.spread()` renders pod anti-affinity instead). `ScheduleAnyway`, so a
 * single-zone cluster still schedules every replica.
 *
 * @see https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/
 */
export function addTopologySpread(workload: kplus.Workload, maxSkew = 1): void {
  const labelSelector = { matchLabels: workload.matchLabels };
  ApiObject.of(workload).addJsonPatch(
    JsonPatch.add(`${podSpecPath(workload)}/topologySpreadConstraints`, [
      { maxSkew, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector },
      { maxSkew, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector },
    ]),
  );
}

/**
 * Requests an extended resource (e.g. `nvidia.com/gpu`) for one container. Extended resources are
 * set as limits; Kubernetes copies them to requests.
 *
 * @see https://kubernetes.io/docs/tasks/manage-gpus/scheduling-gpus/
 */
export function addExtendedResource(workload: kplus.Workload, containerIndex: number, resource: string, quantity: number): void {
  ApiObject.of(workload).addJsonPatch(
    JsonPatch.add(
      `${podSpecPath(workload)}/containers/${containerIndex}/resources/limits/${pointerSegment(resource)}`,
      patchQuantity(String(quantity)),
    ),
  );
}

/** Sets one pod-spec field cdk8s-plus does not model (`runtimeClassName`, …). */
export function setPodSpecField(workload: kplus.Workload, field: string, value: unknown): void {
  ApiObject.of(workload).addJsonPatch(JsonPatch.add(`${podSpecPath(workload)}/${pointerSegment(field)}`, value));
}

/** Replaces one probe of one container with a raw probe (for gRPC probes, which cdk8s-plus lacks). */
export function setContainerProbe(
  workload: kplus.Workload,
  containerIndex: number,
  probe: 'livenessProbe' | 'readinessProbe' | 'startupProbe',
  value: Record<string, unknown>,
): void {
  ApiObject.of(workload).addJsonPatch(JsonPatch.add(`${podSpecPath(workload)}/containers/${containerIndex}/${probe}`, value));
}

/**
 * The in-cluster DNS name of a Service: `<name>.<namespace>.svc` when the chart sets a namespace (so
 * it resolves from any namespace), else the bare name (which resolves within the same namespace).
 */
export function serviceHost(scope: IConstruct, serviceName: string): string {
  const namespace = Chart.of(scope).namespace;
  return namespace === undefined ? serviceName : `${serviceName}.${namespace}.svc`;
}
