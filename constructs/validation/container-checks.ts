// Rules `resources` and `probes`.
// - Every container and init container (ephemeral containers cannot have resources) sets cpu and
//   memory in both requests and limits; requests do not exceed limits (the API server rejects that);
//   extended resources such as nvidia.com/gpu set a limit, equal to the request when both are set.
// - Operator-run containers whose resources sit in a custom resource (CloudNativePG Cluster,
//   NVIDIA NIMService, Pooler template) are held to the same rule.
// - Every container of a long-running pod (Deployment, StatefulSet, DaemonSet, ReplicaSet, restarted
//   Pod) has a readinessProbe and a livenessProbe. Job/CronJob pods and init containers (including
//   native sidecars) are exempt.
// @see https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/

import type { ManifestIssue } from './manifest-issue';
import { arrayAt, childPointer, isRecord, recordAt } from './manifest-object';
import type { IndexedObject } from './manifest-object';
import type { PodTemplate } from './pod-templates';
import { parseQuantity } from './quantity';

const REQUIRED_RESOURCES = ['cpu', 'memory'] as const;
const NATIVE_RESOURCES: ReadonlySet<string> = new Set(['cpu', 'memory', 'ephemeral-storage']);

/** Custom resources that carry a container's `resources` (ResourceRequirements) at a fixed path. */
const CUSTOM_RESOURCE_REQUIREMENTS: readonly { readonly group: string; readonly kind: string; readonly path: readonly string[]; readonly label: string }[] = [
  { group: 'postgresql.cnpg.io', kind: 'Cluster', path: ['spec', 'resources'], label: 'the postgres container' },
  { group: 'apps.nvidia.com', kind: 'NIMService', path: ['spec', 'resources'], label: 'the NIM container' },
];

export function checkResourcesAndProbes(templates: readonly PodTemplate[], objects: readonly IndexedObject[]): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  for (const template of templates) {
    for (const entry of template.containers) {
      if (entry.list === 'ephemeralContainers') continue;
      const who = `${entry.list === 'initContainers' ? 'init container' : 'container'} "${entry.name}"`;
      for (const problem of resourceProblems(entry.container.resources, childPointer(entry.path, 'resources'), who)) {
        issues.push({ object: template.owner.description, ...problem, rule: 'resources' });
      }
      if (!template.longRunning || entry.list !== 'containers') continue;
      const missing = ['readinessProbe', 'livenessProbe'].filter((probe) => !isRecord(entry.container[probe]));
      if (missing.length > 0) {
        issues.push({ object: template.owner.description, path: entry.path, message: `${who} has no ${missing.join(' and ')}`, rule: 'probes' });
      }
    }
  }
  for (const entry of objects) {
    for (const requirement of CUSTOM_RESOURCE_REQUIREMENTS) {
      if (entry.group !== requirement.group || entry.kind !== requirement.kind) continue;
      const path = `/${requirement.path.join('/')}`;
      const resources = recordAt(entry.object, ...requirement.path);
      for (const problem of resourceProblems(resources, path, requirement.label)) issues.push({ object: entry.description, ...problem, rule: 'resources' });
    }
    if (entry.group === 'postgresql.cnpg.io' && entry.kind === 'Pooler') {
      arrayAt(entry.object, 'spec', 'template', 'spec', 'containers').forEach((container, index) => {
        const path = childPointer('/spec/template/spec/containers', index, 'resources');
        const name = isRecord(container) && typeof container.name === 'string' ? container.name : `#${index}`;
        for (const problem of resourceProblems(isRecord(container) ? container.resources : undefined, path, `container "${name}"`)) {
          issues.push({ object: entry.description, ...problem, rule: 'resources' });
        }
      });
    }
  }
  return issues;
}

/** Problems with one ResourceRequirements value. */
export function resourceProblems(resources: unknown, path: string, who: string): { readonly path: string; readonly message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const requests = recordAt(resources, 'requests') ?? {};
  const limits = recordAt(resources, 'limits') ?? {};
  const missing = (['requests', 'limits'] as const).flatMap((section) =>
    REQUIRED_RESOURCES.filter((name) => (section === 'requests' ? requests : limits)[name] === undefined).map((name) => `${section}.${name}`),
  );
  if (missing.length > 0) problems.push({ path, message: `${who} must set resources ${missing.join(', ')}` });
  for (const [name, requested] of Object.entries(requests)) {
    const limit = limits[name];
    const extended = !NATIVE_RESOURCES.has(name) && !name.startsWith('hugepages-');
    if (extended && limit === undefined) {
      problems.push({ path: childPointer(path, 'limits', name), message: `${who} requests extended resource ${name} without a limit; set limits.${name}` });
      continue;
    }
    const requestedValue = parseQuantity(requested);
    const limitValue = parseQuantity(limit);
    if (requestedValue === undefined || limitValue === undefined) continue;
    if (extended && requestedValue !== limitValue) {
      problems.push({
        path: childPointer(path, 'requests', name),
        message: `${who} must request exactly its limit of extended resource ${name} (${String(requested)} vs ${String(limit)})`,
      });
    } else if (requestedValue > limitValue) {
      problems.push({
        path: childPointer(path, 'requests', name),
        message: `${who} requests more ${name} (${String(requested)}) than its limit (${String(limit)})`,
      });
    }
  }
  return problems;
}
