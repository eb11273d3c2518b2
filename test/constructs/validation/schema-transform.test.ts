import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { scanCrdHeader } from '../../../constructs/validation/crd-catalog';
import { KNOWN_FORMATS } from '../../../constructs/validation/schema-formats';
import { shareRepeatedSubschemas, toStrictCrdSchema, toStrictDefinitions, toStrictSchema } from '../../../constructs/validation/schema-transform';
import { sharedDir } from './support';

const options = { knownFormats: KNOWN_FORMATS };

describe('toStrictSchema', () => {
  it('closes object schemas that list properties', () => {
    expect(toStrictSchema({ type: 'object', description: 'x', properties: { a: { type: 'string', description: 'y' } } }, options)).toEqual({
      type: 'object',
      properties: { a: { type: 'string' } },
      additionalProperties: false,
    });
  });

  it('leaves free-form maps, preserve-unknown-fields nodes and junctor branches open', () => {
    const schema = toStrictSchema(
      {
        type: 'object',
        properties: {
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          config: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { a: { type: 'string' } } },
          address: { type: 'object', properties: { type: { type: 'string' } }, oneOf: [{ properties: { type: { enum: ['IPAddress'] } } }] },
        },
      },
      options,
    );
    expect(schema.properties).toEqual({
      labels: { type: 'object', additionalProperties: { type: 'string' } },
      config: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { a: { type: 'string' } } },
      address: { type: 'object', properties: { type: { type: 'string' } }, oneOf: [{ properties: { type: { enum: ['IPAddress'] } } }], additionalProperties: false },
    });
  });

  it('maps Kubernetes extensions to JSON Schema', () => {
    expect(toStrictSchema({ 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] }, options)).toEqual({
      'x-kubernetes-int-or-string': true,
      type: ['integer', 'string'],
    });
    expect(toStrictSchema({ type: 'string', format: 'int-or-string' }, options)).toEqual({ type: ['integer', 'string'] });
    expect(toStrictSchema({ type: 'string', nullable: true, enum: ['a'] }, options)).toEqual({ type: ['string', 'null'], enum: ['a', null] });
    expect(toStrictSchema({ type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object' } } }, options).properties).toEqual({
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: { type: 'object' },
    });
  });

  it('drops unknown formats, RE2-only patterns and CEL rules', () => {
    const schema = { type: 'string', format: 'uri-reference', pattern: '^(?i)(abort|warn)?$', 'x-kubernetes-validations': [{ rule: 'self != ""' }] };
    expect(toStrictSchema(schema, options)).toEqual({ type: 'string' });
    expect(toStrictSchema({ type: 'integer', format: 'int32' }, options)).toEqual({ type: 'integer', format: 'int32' });
  });

  it("leaves a CRD's root metadata to the ObjectMeta check", () => {
    const schema = toStrictCrdSchema({ type: 'object', properties: { metadata: { type: 'object' }, spec: { type: 'object', properties: {} } } }, options);
    expect(schema.properties).toEqual({
      metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      spec: { type: 'object', properties: {}, additionalProperties: false },
    });
  });

  it('replaces IntOrString and Quantity definitions', () => {
    const definitions = toStrictDefinitions(
      {
        'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { oneOf: [{ type: 'string' }, { type: 'integer' }] },
        'io.k8s.apimachinery.pkg.api.resource.Quantity': { oneOf: [] },
      },
      options,
    );
    expect(definitions).toEqual({
      'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { type: ['integer', 'string'] },
      'io.k8s.apimachinery.pkg.api.resource.Quantity': { type: ['string', 'number'], format: 'quantity' },
    });
  });
});

describe('shareRepeatedSubschemas', () => {
  const selector = {
    type: 'object',
    properties: {
      matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
      matchExpressions: {
        type: 'array',
        items: { type: 'object', required: ['key', 'operator'], properties: { key: { type: 'string' }, operator: { type: 'string' } } },
      },
    },
  };
  const schema = toStrictSchema({ type: 'object', properties: { podSelector: selector, namespaceSelector: selector, name: { type: 'string' } } }, options);

  it('hoists a repeated subtree into one shared definition', () => {
    const shared = shareRepeatedSubschemas(schema);
    const properties = shared.properties as Record<string, unknown>;
    expect(properties.podSelector).toEqual(properties.namespaceSelector);
    expect(properties.podSelector).toEqual({ $ref: expect.stringMatching(/^#\/definitions\/shared\d+$/) });
    expect(Object.keys(shared.definitions as object)).toHaveLength(1);
    expect(properties.name).toEqual({ type: 'string' });
  });

  it('validates exactly as the original schema', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const original = ajv.compile(schema);
    const shared = ajv.compile(shareRepeatedSubschemas(schema));
    const samples = [
      { podSelector: { matchLabels: { a: 'b' } }, namespaceSelector: {} },
      { podSelector: { matchExpressions: [{ key: 'a' }] }, namespaceSelector: { bogus: 1 } },
      { podSelector: { matchLabels: { a: 1 } }, name: 3 },
    ];
    for (const sample of samples) {
      const expected = original(sample);
      expect(shared(sample)).toBe(expected);
      expect(shared.errors?.map((error) => [error.instancePath, error.message])).toEqual(original.errors?.map((error) => [error.instancePath, error.message]));
    }
  });
});

describe('scanCrdHeader', () => {
  it("reads every vendored CRD's group and kind from its header", () => {
    const files: string[] = [];
    const walk = (directory: string): void => {
      for (const entry of readdirSync(directory, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(join(directory, entry.name));
        else if (entry.name.endsWith('.yaml')) files.push(join(directory, entry.name));
      }
    };
    walk(join(sharedDir, 'crds'));
    expect(files.length).toBeGreaterThan(30);
    for (const file of files) {
      const header = scanCrdHeader(readFileSync(file, 'utf8'));
      // files are named <group>_<plural>.yaml by controller-gen
      expect(header?.group, file).toBe(basename(file).split('_')[0]);
      expect(header?.kind, file).toMatch(/^[A-Z][A-Za-z]+$/);
    }
  });

  it('gives up on text without the controller-gen header shape', () => {
    expect(scanCrdHeader('kind: CustomResourceDefinition\nspec:\n  names: {kind: Widget}\n  group: example.com\n')).toBeUndefined();
    expect(scanCrdHeader('kind: ConfigMap\n')).toBeUndefined();
  });
});
