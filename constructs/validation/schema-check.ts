// Rule `schema`: every object against its schema, strictly.
// Core kinds are checked against each requested Kubernetes version's definitions; custom resources
// against their CRD, with `metadata` checked against each version's ObjectMeta. An error found in
// only some versions says so (`(Kubernetes 1.28 only)`).

import type { ErrorObject } from 'ajv';
import type { ManifestIssue } from './manifest-issue';
import { childPointer, isRecord } from './manifest-object';
import type { IndexedObject } from './manifest-object';
import type { KubernetesVersion, SchemaRegistry } from './schema-registry';

interface Finding {
  readonly path: string;
  readonly message: string;
  readonly versions: Set<KubernetesVersion>;
}

export function checkSchemas(objects: readonly IndexedObject[], registry: SchemaRegistry, versions: readonly KubernetesVersion[]): ManifestIssue[] {
  return objects.flatMap((entry) => checkObjectSchema(entry, registry, versions));
}

function checkObjectSchema(entry: IndexedObject, registry: SchemaRegistry, versions: readonly KubernetesVersion[]): ManifestIssue[] {
  const issue = (path: string, message: string): ManifestIssue => ({ object: entry.description, path, message, rule: 'schema' });
  if (entry.apiVersion === '') return [issue('/apiVersion', 'missing apiVersion')];
  if (entry.kind === '') return [issue('/kind', 'missing kind')];

  const findings = new Map<string, Finding>();
  const record = (version: KubernetesVersion, errors: readonly ErrorObject[] | null | undefined, prefix = ''): void => {
    for (const error of errors ?? []) {
      const { path, message } = describeSchemaError(error, valueAtPointer(entry.object, `${prefix}${error.instancePath}`));
      const key = `${prefix}${path}\u0000${message}`;
      const finding = findings.get(key);
      if (finding === undefined) findings.set(key, { path: `${prefix}${path}`, message, versions: new Set([version]) });
      else finding.versions.add(version);
    }
  };
  const issues: ManifestIssue[] = [];

  const served = versions.filter((version) => registry.coreValidator(version, entry.apiVersion, entry.kind) !== undefined);
  if (served.length > 0) {
    for (const version of served) {
      const validate = registry.coreValidator(version, entry.apiVersion, entry.kind);
      if (validate !== undefined && !validate(entry.object)) record(version, validate.errors);
    }
    const missing = versions.filter((version) => !served.includes(version));
    if (missing.length > 0) {
      issues.push(issue('/apiVersion', `${entry.apiVersion} ${entry.kind} is not served by Kubernetes ${missing.join(', ')} (only by ${served.join(', ')})`));
    }
  } else {
    const custom = registry.customResource(entry.apiVersion, entry.kind);
    switch (custom.status) {
      case 'found': {
        const passes = custom.validate(entry.object);
        for (const version of versions) {
          if (!passes) record(version, custom.validate.errors);
          const metadata = entry.object.metadata;
          if (!isRecord(metadata)) continue;
          const validateMetadata = registry.objectMetaValidator(version);
          if (!validateMetadata(metadata)) record(version, validateMetadata.errors, '/metadata');
        }
        break;
      }
      case 'not-served':
        issues.push(
          issue(
            '/apiVersion',
            `${entry.apiVersion} ${entry.kind} is not served by its CRD (${custom.file}); served: ${custom.servedVersions.join(', ') || 'none'}`,
          ),
        );
        break;
      case 'unknown':
        issues.push(
          issue(
            '/apiVersion',
            `no schema for ${entry.apiVersion} ${entry.kind}: not a Kubernetes ${versions.join('/')} kind, and no CRD under crds/ defines it`,
          ),
        );
        break;
      default: {
        const unreachable: never = custom;
        throw new Error(`unexpected schema lookup ${JSON.stringify(unreachable)}`);
      }
    }
  }

  // Sorted by path, so that an object's issues read top to bottom whatever order ajv found them in.
  for (const finding of [...findings.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const onlySome = finding.versions.size < versions.length;
    const suffix = onlySome ? ` (Kubernetes ${[...finding.versions].sort().join(', ')} only)` : '';
    issues.push(issue(finding.path, `${finding.message}${suffix}`));
  }
  return issues;
}

/** Turns one ajv error, and the value it is about, into a field path and a message in Kubernetes' words. */
export function describeSchemaError(error: ErrorObject, data: unknown): { readonly path: string; readonly message: string } {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const field = String(params.additionalProperty);
      return { path: childPointer(error.instancePath, field), message: `unknown field "${field}"` };
    }
    case 'required': {
      const field = String(params.missingProperty);
      return { path: childPointer(error.instancePath, field), message: `missing required field "${field}"` };
    }
    case 'type': {
      const types = Array.isArray(params.type) ? params.type.join(' or ') : String(params.type).split(',').join(' or ');
      return { path: error.instancePath, message: `must be ${types}, got ${describeValue(data)}` };
    }
    case 'enum': {
      const allowed = Array.isArray(params.allowedValues) ? params.allowedValues.map((value) => JSON.stringify(value)).join(', ') : '';
      return { path: error.instancePath, message: `must be one of ${allowed}, got ${describeValue(data)}` };
    }
    case 'format':
      return { path: error.instancePath, message: `must be a valid ${String(params.format)}, got ${describeValue(data)}` };
    case 'x-kubernetes-list-map-keys':
    case 'x-kubernetes-list-type':
      return { path: childPointer(error.instancePath, Number(params.index)), message: error.message ?? 'duplicate entry' };
    default:
      return { path: error.instancePath, message: `${error.message ?? error.keyword}${data === undefined ? '' : `, got ${describeValue(data)}`}` };
  }
}

/** The value a JSON pointer designates (ajv reports where, not what, unless compiled in verbose mode). */
function valueAtPointer(root: unknown, path: string): unknown {
  if (path === '') return root;
  let current = root;
  for (const raw of path.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current)) current = current[Number(segment)];
    else if (isRecord(current)) current = current[segment];
    else return undefined;
  }
  return current;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return `string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}
