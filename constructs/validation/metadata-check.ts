// Rule `metadata`: what the API server checks about names and labels beyond the schema, and objects
// that would collide on apply.
// @see https://kubernetes.io/docs/concepts/overview/working-with-objects/names/
// @see https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set

import type { ManifestIssue } from './manifest-issue';
import { labelsAt, pointer, recordAt, stringAt } from './manifest-object';
import type { IndexedObject } from './manifest-object';

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** RBAC objects may use path-segment names such as `system:metrics-reader`. */
const PATH_SEGMENT_NAME_KINDS: ReadonlySet<string> = new Set([
  'rbac.authorization.k8s.io Role',
  'rbac.authorization.k8s.io ClusterRole',
  'rbac.authorization.k8s.io RoleBinding',
  'rbac.authorization.k8s.io ClusterRoleBinding',
]);

export function checkMetadata(objects: readonly IndexedObject[]): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const seen = new Map<string, IndexedObject>();
  for (const entry of objects) {
    const issue = (path: string, message: string): void => {
      issues.push({ object: entry.description, path, message, rule: 'metadata' });
    };
    const metadata = recordAt(entry.object, 'metadata');
    const name = stringAt(metadata, 'name');
    if (name === undefined || name === '') {
      if (stringAt(metadata, 'generateName') === undefined) issue('/metadata/name', 'missing metadata.name');
    } else {
      const problem = nameProblem(entry, name);
      if (problem !== undefined) issue('/metadata/name', problem);
      const identity = `${entry.group} ${entry.kind} ${entry.namespace} ${name}`;
      const first = seen.get(identity);
      if (first !== undefined) issue('/metadata/name', `duplicate object: ${first.description} (object #${first.index}) has the same kind, namespace and name`);
      else seen.set(identity, entry);
    }
    const namespace = stringAt(metadata, 'namespace');
    if (namespace !== undefined && !isDnsLabel(namespace)) {
      issue('/metadata/namespace', `namespace ${JSON.stringify(namespace)} must be a DNS-1123 label (lowercase alphanumerics and '-', at most 63 characters)`);
    }
    for (const [key, value] of Object.entries(labelsAt(metadata, 'labels'))) {
      const keyProblem = qualifiedNameProblem(key);
      if (keyProblem !== undefined) issue(pointer('metadata', 'labels', key), `label key ${JSON.stringify(key)} ${keyProblem}`);
      const valueProblem = labelValueProblem(value);
      if (valueProblem !== undefined) issue(pointer('metadata', 'labels', key), `label value ${JSON.stringify(value)} ${valueProblem}`);
    }
    for (const key of Object.keys(labelsAt(metadata, 'annotations'))) {
      const keyProblem = qualifiedNameProblem(key);
      if (keyProblem !== undefined) issue(pointer('metadata', 'annotations', key), `annotation key ${JSON.stringify(key)} ${keyProblem}`);
    }
  }
  return issues;
}

/** Label-set checks for pod templates (`spec.template.metadata.labels`), used by the pod rules. */
export function labelProblems(labels: Readonly<Record<string, string>>): { readonly key: string; readonly message: string }[] {
  const problems: { key: string; message: string }[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const keyProblem = qualifiedNameProblem(key);
    if (keyProblem !== undefined) problems.push({ key, message: `label key ${JSON.stringify(key)} ${keyProblem}` });
    const valueProblem = labelValueProblem(value);
    if (valueProblem !== undefined) problems.push({ key, message: `label value ${JSON.stringify(value)} ${valueProblem}` });
  }
  return problems;
}

function nameProblem(entry: IndexedObject, name: string): string | undefined {
  if (PATH_SEGMENT_NAME_KINDS.has(`${entry.group} ${entry.kind}`)) {
    return name === '.' || name === '..' || /[/%]/.test(name) ? `name ${JSON.stringify(name)} may not be '.', '..' or contain '/' or '%'` : undefined;
  }
  if (entry.group === '' && entry.kind === 'Service') {
    return name.length <= 63 && DNS_1035_LABEL.test(name)
      ? undefined
      : `Service name ${JSON.stringify(name)} must be a DNS-1035 label (start with a letter; lowercase alphanumerics and '-'; at most 63 characters)`;
  }
  if (entry.group === '' && entry.kind === 'Namespace') {
    return isDnsLabel(name) ? undefined : `Namespace name ${JSON.stringify(name)} must be a DNS-1123 label (at most 63 characters)`;
  }
  return name.length <= 253 && DNS_1123_SUBDOMAIN.test(name)
    ? undefined
    : `name ${JSON.stringify(name)} must be a DNS-1123 subdomain (lowercase alphanumerics, '-' and '.', at most 253 characters)`;
}

function isDnsLabel(value: string): boolean {
  return value.length <= 63 && DNS_1123_LABEL.test(value);
}

function qualifiedNameProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !DNS_1123_SUBDOMAIN.test(prefix))) return 'has a prefix that is not a DNS-1123 subdomain';
  if (name.length === 0 || name.length > 63) return 'must have a name part of 1 to 63 characters';
  if (!QUALIFIED_NAME_PART.test(name)) return "must have a name part of alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric";
  return undefined;
}

function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63) return 'must be at most 63 characters';
  if (!QUALIFIED_NAME_PART.test(value)) return "must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric";
  return undefined;
}
