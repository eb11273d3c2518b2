// Plain-object helpers shared by the validator's rules: safe field access on untyped manifests,
// object identity (apiVersion, kind, namespace, name) and JSON-pointer paths.

/** A rendered Kubernetes object as parsed from YAML or produced by `Testing.synth()`. */
export type ManifestObject = Readonly<Record<string, unknown>>;

/** A label (or annotation) map. */
export type Labels = Readonly<Record<string, string>>;

/** An object of the set, with its identity worked out once. */
export interface IndexedObject {
  readonly object: ManifestObject;
  /** Position in the input array. */
  readonly index: number;
  readonly apiVersion: string;
  /** API group: '' for the core group (`v1`). */
  readonly group: string;
  readonly kind: string;
  readonly name: string;
  /** `metadata.namespace`, or the validator's default namespace when the object leaves it out. */
  readonly namespace: string;
  /** Human-readable identity used in issues, e.g. `apps/v1 Deployment switchyard/gateway`. */
  readonly description: string;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at `keys` below `value`, or undefined when any step is missing or not an object. */
export function valueAt(value: unknown, ...keys: readonly string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

export function recordAt(value: unknown, ...keys: readonly string[]): Record<string, unknown> | undefined {
  const found = valueAt(value, ...keys);
  return isRecord(found) ? found : undefined;
}

/** The array at `keys`, or an empty array when it is missing or not an array. */
export function arrayAt(value: unknown, ...keys: readonly string[]): readonly unknown[] {
  const found = valueAt(value, ...keys);
  return Array.isArray(found) ? found : [];
}

export function stringAt(value: unknown, ...keys: readonly string[]): string | undefined {
  const found = valueAt(value, ...keys);
  return typeof found === 'string' ? found : undefined;
}

/** A string map (labels, annotations, Service selector); non-string values are left out. */
export function labelsAt(value: unknown, ...keys: readonly string[]): Labels {
  const found = recordAt(value, ...keys);
  const labels: Record<string, string> = {};
  if (found === undefined) return labels;
  for (const [key, entry] of Object.entries(found)) {
    if (typeof entry === 'string') labels[key] = entry;
  }
  return labels;
}

/** Splits `apps/v1` into group `apps` and version `v1`; `v1` is the core group ''. */
export function splitApiVersion(apiVersion: string): { readonly group: string; readonly version: string } {
  const slash = apiVersion.lastIndexOf('/');
  return slash === -1 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** `apps/v1 Deployment ns/name` (namespace only when the object sets one). */
export function describeManifestObject(object: unknown, index?: number): string {
  const apiVersion = stringAt(object, 'apiVersion') ?? '<no apiVersion>';
  const kind = stringAt(object, 'kind') ?? '<no kind>';
  const name = stringAt(object, 'metadata', 'name') ?? (index === undefined ? '<no name>' : `<no name, object #${index}>`);
  const namespace = stringAt(object, 'metadata', 'namespace');
  return `${apiVersion} ${kind} ${namespace === undefined ? '' : `${namespace}/`}${name}`;
}

export function indexObjects(objects: readonly ManifestObject[], defaultNamespace: string): IndexedObject[] {
  return objects.map((object, index) => {
    const apiVersion = stringAt(object, 'apiVersion') ?? '';
    return {
      object,
      index,
      apiVersion,
      group: splitApiVersion(apiVersion).group,
      kind: stringAt(object, 'kind') ?? '',
      name: stringAt(object, 'metadata', 'name') ?? '',
      namespace: stringAt(object, 'metadata', 'namespace') ?? defaultNamespace,
      description: describeManifestObject(object, index),
    };
  });
}

/** Escapes one JSON-pointer segment (RFC 6901). */
export function escapePointerSegment(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Builds a JSON pointer such as `/spec/template/spec/containers/0/image`. */
export function pointer(...segments: readonly (string | number)[]): string {
  return segments.map((segment) => `/${escapePointerSegment(segment)}`).join('');
}

/** Appends segments to an existing pointer. */
export function childPointer(base: string, ...segments: readonly (string | number)[]): string {
  return `${base}${pointer(...segments)}`;
}
