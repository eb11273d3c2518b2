// Loads and compiles the schemas, lazily and once per process:
// - the Kubernetes OpenAPI definitions for each Kubernetes version (`<sharedDir>/k8s-schemas/`), mapped
//   from apiVersion + kind through `x-kubernetes-group-version-kind`;
// - the CRDs (`<sharedDir>/crds/**`), one compiled validator per group/version/kind.
// A validator is compiled the first time its kind is validated and kept for every later call, and the
// registry itself is shared by all validators created for the same sharedDir.

import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Ajv } from 'ajv';
import type { SchemaValidateFunction, ValidateFunction } from 'ajv';
import { CrdCatalog } from './crd-catalog';
import { arrayAt, isRecord, splitApiVersion, stringAt } from './manifest-object';
import { KNOWN_FORMATS, registerKubernetesFormats } from './schema-formats';
import { shareRepeatedSubschemas, toStrictCrdSchema, toStrictDefinitions } from './schema-transform';

/** Kubernetes versions whose API definitions are vendored in `<sharedDir>/k8s-schemas/`. */
export type KubernetesVersion = '1.28' | '1.33';

/** Every supported Kubernetes version, oldest first. */
export const KUBERNETES_VERSIONS: readonly KubernetesVersion[] = ['1.28', '1.33'];

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/** What the registry knows about a custom resource's apiVersion and kind (`file` is relative to sharedDir). */
export type CustomResourceSchema =
  | { readonly status: 'found'; readonly validate: ValidateFunction; readonly scope: string; readonly file: string }
  | { readonly status: 'not-served'; readonly servedVersions: readonly string[]; readonly file: string }
  | { readonly status: 'unknown' };

interface CoreSchemaSet {
  readonly schemaId: string;
  /** `apps/v1 Deployment` → `io.k8s.api.apps.v1.Deployment`. */
  readonly definitionByKind: ReadonlyMap<string, string>;
}

export class SchemaRegistry {
  readonly #sharedDir: string;
  readonly #ajv: Ajv;
  readonly #coreSets = new Map<KubernetesVersion, CoreSchemaSet>();
  readonly #coreValidators = new Map<string, ValidateFunction | undefined>();
  readonly #customValidators = new Map<string, CustomResourceSchema>();
  readonly #crds: CrdCatalog;

  constructor(sharedDir: string) {
    this.#sharedDir = sharedDir;
    this.#crds = new CrdCatalog(join(sharedDir, 'crds'));
    this.#ajv = new Ajv({
      allErrors: true,
      strict: false,
      // The vendored schemas are trusted data; checking 2 MB of them against the meta-schema costs time.
      validateSchema: false,
      // Kubernetes patterns are Go RE2 syntax, which is closer to non-unicode JavaScript regexps.
      unicodeRegExp: false,
      inlineRefs: false,
      // Ajv's code optimisation passes roughly double compile time for these large schemas and gain
      // little at validation time for ~60 objects.
      code: { optimize: false },
    });
    registerKubernetesFormats(this.#ajv);
    this.#ajv.addKeyword({ keyword: 'x-kubernetes-list-map-keys', type: 'array', schemaType: 'array', errors: true, validate: validateListMapKeys });
    this.#ajv.addKeyword({ keyword: 'x-kubernetes-list-type', type: 'array', schemaType: 'string', errors: true, validate: validateListSet });
  }

  /** The validator for a core kind in one Kubernetes version, or undefined when that version does not serve it. */
  coreValidator(version: KubernetesVersion, apiVersion: string, kind: string): ValidateFunction | undefined {
    const key = `${version} ${apiVersion} ${kind}`;
    if (this.#coreValidators.has(key)) return this.#coreValidators.get(key);
    const set = this.#coreSet(version);
    const definition = set.definitionByKind.get(`${apiVersion} ${kind}`);
    const validate = definition === undefined ? undefined : this.#ajv.getSchema(`${set.schemaId}#/definitions/${definition}`);
    this.#coreValidators.set(key, validate);
    return validate;
  }

  /** The ObjectMeta validator of one Kubernetes version (used for custom resources' metadata). */
  objectMetaValidator(version: KubernetesVersion): ValidateFunction {
    const set = this.#coreSet(version);
    const validate = this.#ajv.getSchema(`${set.schemaId}#/definitions/${OBJECT_META}`);
    if (validate === undefined) throw new Error(`the Kubernetes ${version} definitions have no ${OBJECT_META}`);
    return validate;
  }

  /** The CRD schema for a custom resource's apiVersion and kind. */
  customResource(apiVersion: string, kind: string): CustomResourceSchema {
    const key = `${apiVersion} ${kind}`;
    const cached = this.#customValidators.get(key);
    if (cached !== undefined) return cached;
    const { group, version } = splitApiVersion(apiVersion);
    const crd = group === '' ? undefined : this.#crds.find(group, kind);
    let result: CustomResourceSchema = { status: 'unknown' };
    if (crd !== undefined) {
      const entry = crd.versions.find((candidate) => candidate.version === version && candidate.served);
      if (entry === undefined) {
        const file = relative(this.#sharedDir, crd.versions[0]?.file ?? '');
        result = { status: 'not-served', servedVersions: crd.versions.filter((candidate) => candidate.served).map((candidate) => candidate.version), file };
      } else {
        const validate = this.#ajv.compile(shareRepeatedSubschemas(toStrictCrdSchema(entry.openApiV3Schema, { knownFormats: KNOWN_FORMATS })));
        result = { status: 'found', validate, scope: entry.scope, file: relative(this.#sharedDir, entry.file) };
      }
    }
    this.#customValidators.set(key, result);
    return result;
  }

  #coreSet(version: KubernetesVersion): CoreSchemaSet {
    const loaded = this.#coreSets.get(version);
    if (loaded !== undefined) return loaded;
    const file = join(this.#sharedDir, 'k8s-schemas', `v${version}.0-definitions.json`);
    if (!existsSync(file)) throw new Error(`the Kubernetes ${version} definitions are missing: expected ${file} (sharedDir must hold k8s-schemas/)`);
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    const definitions = isRecord(parsed) && isRecord(parsed.definitions) ? parsed.definitions : {};
    const definitionByKind = new Map<string, string>();
    for (const [name, definition] of Object.entries(definitions)) {
      for (const gvk of arrayAt(definition, 'x-kubernetes-group-version-kind')) {
        const group = stringAt(gvk, 'group') ?? '';
        const gvkVersion = stringAt(gvk, 'version');
        const kind = stringAt(gvk, 'kind');
        if (gvkVersion === undefined || kind === undefined) continue;
        const key = `${group === '' ? '' : `${group}/`}${gvkVersion} ${kind}`;
        // Shared meta types (DeleteOptions, WatchEvent, …) list many groups; the first definition wins.
        if (!definitionByKind.has(key)) definitionByKind.set(key, name);
      }
    }
    const schemaId = `kubernetes-${version}`;
    this.#ajv.addSchema({ $id: schemaId, definitions: toStrictDefinitions(definitions, { knownFormats: KNOWN_FORMATS }) });
    const set: CoreSchemaSet = { schemaId, definitionByKind };
    this.#coreSets.set(version, set);
    return set;
  }
}

const registries = new Map<string, SchemaRegistry>();

/** The process-wide registry for a shared directory (schemas are loaded and compiled once). */
export function schemaRegistryFor(sharedDir: string): SchemaRegistry {
  const key = resolve(sharedDir);
  let registry = registries.get(key);
  if (registry === undefined) {
    registry = new SchemaRegistry(key);
    registries.set(key, registry);
  }
  return registry;
}

/** Duplicate keys in a `x-kubernetes-list-type: map` list, which server-side apply (Pulumi's default) rejects. */
const validateListMapKeys: SchemaValidateFunction = (keys: unknown, data: unknown) => {
  validateListMapKeys.errors = [];
  if (!Array.isArray(keys) || !Array.isArray(data)) return true;
  const names = keys.filter((key): key is string => typeof key === 'string');
  const seen = new Set<string>();
  data.forEach((item, index) => {
    // `protocol` keys (container, Service and endpoint ports) default to TCP before keys are compared.
    const values = names.map((name) => (isRecord(item) ? (item[name] ?? (name === 'protocol' ? 'TCP' : null)) : null));
    const identity = JSON.stringify(values);
    if (seen.has(identity)) {
      const described = names.map((name, position) => `${name}=${JSON.stringify(values[position])}`).join(', ');
      validateListMapKeys.errors?.push({
        keyword: 'x-kubernetes-list-map-keys',
        message: `duplicate entry with ${described} (keys of this list must be unique; server-side apply rejects duplicates)`,
        params: { index },
      });
    }
    seen.add(identity);
  });
  return validateListMapKeys.errors.length === 0;
};

/** Duplicate items in a `x-kubernetes-list-type: set` list. */
const validateListSet: SchemaValidateFunction = (listType: unknown, data: unknown) => {
  validateListSet.errors = [];
  if (listType !== 'set' || !Array.isArray(data)) return true;
  const seen = new Set<string>();
  data.forEach((item, index) => {
    const identity = JSON.stringify(item);
    if (seen.has(identity)) {
      validateListSet.errors?.push({ keyword: 'x-kubernetes-list-type', message: `duplicate entry ${identity} in a set`, params: { index } });
    }
    seen.add(identity);
  });
  return validateListSet.errors.length === 0;
};
