// Turns the published Kubernetes OpenAPI definitions and CRD openAPIV3Schemas into strict JSON
// Schemas for ajv.
//
// Strict means what the API server's strict field validation (`fieldValidation=Strict`) means:
// a field the schema does not declare is an error. Neither source says so itself (the definitions
// never set `additionalProperties: false`; CRDs rely on pruning), so every object schema that lists
// `properties` and sets no `additionalProperties` gets `additionalProperties: false`, except
// - nodes marked `x-kubernetes-preserve-unknown-fields: true`,
// - nodes inside `allOf`/`anyOf`/`oneOf`/`not` (there `properties` only add value checks to the
//   structural schema around them),
// - free-form maps (labels, annotations, requests), which already carry `additionalProperties: {...}`,
// - types with no `properties` at all (Time, RawExtension, JSON, FieldsV1, IntOrString, Quantity).
//
// Kubernetes extensions are mapped to plain JSON Schema: `format: int-or-string` and
// `x-kubernetes-int-or-string` accept an integer or a string, `nullable` adds `null`,
// `x-kubernetes-embedded-resource` allows apiVersion/kind/metadata. `x-kubernetes-list-type` and
// `x-kubernetes-list-map-keys` stay and are checked by keywords registered in schema-registry.ts.
// Descriptions, examples and CEL rules (`x-kubernetes-validations`, not evaluated) are dropped.

import { isRecord } from './manifest-object';

export type JsonSchema = Record<string, unknown>;

const INT_OR_STRING: JsonSchema = { type: ['integer', 'string'] };
const QUANTITY: JsonSchema = { type: ['string', 'number'], format: 'quantity' };

/** Definitions replaced outright: their published shapes are `oneOf`s that give poor error messages. */
const REPLACED_DEFINITIONS: Readonly<Record<string, JsonSchema>> = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': INT_OR_STRING,
  'io.k8s.apimachinery.pkg.api.resource.Quantity': QUANTITY,
};

/** Removed keys: documentation, and CEL rules we do not evaluate. */
const DROPPED_KEYS: ReadonlySet<string> = new Set(['description', 'example', 'x-kubernetes-validations']);

export interface StrictSchemaOptions {
  /** Formats ajv knows; any other `format` is removed (the API server ignores unknown formats). */
  readonly knownFormats: ReadonlySet<string>;
}

/** A strict copy of a swagger-style `definitions` map (`io.k8s.api.apps.v1.Deployment` → schema). */
export function toStrictDefinitions(definitions: Readonly<Record<string, unknown>>, options: StrictSchemaOptions): Record<string, JsonSchema> {
  const strict: Record<string, JsonSchema> = {};
  for (const [name, definition] of Object.entries(definitions)) {
    strict[name] = REPLACED_DEFINITIONS[name] ?? toStrictSchema(definition, options);
  }
  return strict;
}

/**
 * A strict copy of a CRD version's `openAPIV3Schema`. The root `metadata` is left open here: the
 * validator checks it against the Kubernetes ObjectMeta definition instead, as the API server does.
 */
export function toStrictCrdSchema(openApiV3Schema: unknown, options: StrictSchemaOptions): JsonSchema {
  if (!isRecord(openApiV3Schema)) return {};
  const properties = isRecord(openApiV3Schema.properties) ? openApiV3Schema.properties : {};
  const metadata = isRecord(properties.metadata) ? properties.metadata : { type: 'object' };
  const root = { ...openApiV3Schema, properties: { ...properties, metadata: { ...metadata, 'x-kubernetes-preserve-unknown-fields': true } } };
  return toStrictSchema(root, options);
}

/** A strict copy of one schema node and everything below it. */
export function toStrictSchema(schema: unknown, options: StrictSchemaOptions): JsonSchema {
  return strictNode(schema, false, options);
}

function strictNode(schema: unknown, inJunctor: boolean, options: StrictSchemaOptions): JsonSchema {
  if (!isRecord(schema)) return {};
  const node: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DROPPED_KEYS.has(key)) continue;
    switch (key) {
      case 'properties':
      case 'patternProperties':
        node[key] = isRecord(value) ? mapValues(value, (child) => strictNode(child, inJunctor, options)) : value;
        break;
      case 'additionalProperties':
        node[key] = isRecord(value) ? strictNode(value, inJunctor, options) : value;
        break;
      case 'items':
        node[key] = Array.isArray(value) ? value.map((child) => strictNode(child, inJunctor, options)) : strictNode(value, inJunctor, options);
        break;
      case 'allOf':
      case 'anyOf':
      case 'oneOf':
        node[key] = Array.isArray(value) ? value.map((child) => strictNode(child, true, options)) : value;
        break;
      case 'not':
        node[key] = strictNode(value, true, options);
        break;
      default:
        node[key] = value;
    }
  }

  if (node['x-kubernetes-int-or-string'] === true || node.format === 'int-or-string') {
    delete node.anyOf;
    delete node.oneOf;
    delete node.format;
    node.type = ['integer', 'string'];
  }
  if (node.nullable === true) {
    if (typeof node.type === 'string') node.type = [node.type, 'null'];
    else if (Array.isArray(node.type) && !node.type.includes('null')) node.type = [...node.type, 'null'];
    if (Array.isArray(node.enum) && !node.enum.includes(null)) node.enum = [...node.enum, null];
  }
  delete node.nullable;
  if (typeof node.format === 'string' && !options.knownFormats.has(node.format)) delete node.format;
  if (typeof node.pattern === 'string' && !isUsablePattern(node.pattern)) {
    // Go RE2 syntax JavaScript cannot compile, e.g. `(?i)`; the check is skipped rather than guessed.
    delete node.pattern;
  }
  if (node['x-kubernetes-embedded-resource'] === true) {
    node.properties = {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      ...(isRecord(node.properties) ? node.properties : {}),
    };
  }
  if (!inJunctor && isRecord(node.properties) && node.additionalProperties === undefined && node['x-kubernetes-preserve-unknown-fields'] !== true) {
    node.additionalProperties = false;
  }
  return node;
}

/** Nodes a subschema needs (itself and everything below) before it is worth sharing. */
const MIN_SHARED_SIZE = 5;
/** Marks an interned child while repeated subschemas are counted. */
const INTERNED = '\u0000interned';

/**
 * Replaces subschemas that occur more than once by `$ref`s to one copy under `definitions`. CRDs
 * inline every shared Go type (label selectors, affinity terms, resource requirements, secret key
 * selectors, …), so without this ajv generates code for each copy; sharing roughly halves compile
 * time for the large CRDs (CNPG Cluster and Pooler, ESO SecretStore). Validation results and
 * instance paths are unchanged.
 */
export function shareRepeatedSubschemas(schema: JsonSchema): JsonSchema {
  const idsByKey = new Map<string, number>();
  const nodes: { readonly shallow: JsonSchema; readonly size: number }[] = [];
  const uses: number[] = [];
  const intern = (node: JsonSchema): number => {
    let size = 1;
    const shallow = mapSubschemas(node, (child) => {
      const childId = intern(child);
      size += nodes[childId]?.size ?? 0;
      return { [INTERNED]: childId };
    });
    const key = JSON.stringify(shallow);
    let id = idsByKey.get(key);
    if (id === undefined) {
      id = nodes.length;
      idsByKey.set(key, id);
      nodes.push({ shallow, size });
      uses.push(0);
    }
    uses[id] = (uses[id] ?? 0) + 1;
    return id;
  };
  const definitions: Record<string, JsonSchema> = {};
  const build = (id: number): JsonSchema =>
    mapSubschemas(nodes[id]?.shallow ?? {}, (reference) => {
      const childId = Number(reference[INTERNED]);
      if ((uses[childId] ?? 0) < 2 || (nodes[childId]?.size ?? 0) < MIN_SHARED_SIZE) return build(childId);
      const name = `shared${childId}`;
      if (definitions[name] === undefined) {
        definitions[name] = {}; // reserve the name before recursing
        definitions[name] = build(childId);
      }
      return { $ref: `#/definitions/${name}` };
    });
  const root = build(intern(schema));
  return Object.keys(definitions).length === 0 ? root : { ...root, definitions };
}


/** A copy of `node` with each direct subschema replaced by `map(subschema)`. */
function mapSubschemas(node: JsonSchema, map: (child: JsonSchema) => JsonSchema): JsonSchema {
  const mapped: JsonSchema = { ...node };
  for (const key of ['properties', 'patternProperties']) {
    const value = node[key];
    if (isRecord(value)) mapped[key] = mapValues(value, (child) => map(isRecord(child) ? child : {}));
  }
  for (const key of ['additionalProperties', 'not']) {
    const value = node[key];
    if (isRecord(value)) mapped[key] = map(value);
  }
  if (isRecord(node.items)) mapped.items = map(node.items);
  else if (Array.isArray(node.items)) mapped.items = node.items.map((child) => map(isRecord(child) ? child : {}));
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    const value = node[key];
    if (Array.isArray(value)) mapped[key] = value.map((child) => map(isRecord(child) ? child : {}));
  }
  return mapped;
}

function mapValues(record: Record<string, unknown>, map: (value: unknown) => JsonSchema): Record<string, JsonSchema> {
  const mapped: Record<string, JsonSchema> = {};
  for (const [key, value] of Object.entries(record)) mapped[key] = map(value);
  return mapped;
}

function isUsablePattern(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}
