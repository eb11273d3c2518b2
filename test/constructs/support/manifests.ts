// Test helpers for the construct tests: synthesize a chart and validate its objects with the
// platform's manifest validator (schemas, Pod Security, references, selectors).
import { resolve } from 'node:path';

import { Chart, Testing } from 'cdk8s';

import { createManifestValidator, formatManifestIssues } from '../../../constructs/validation';
import type { ExternalNames, ExternalPod } from '../../../constructs/validation';

/** The shared folder (CRDs and Kubernetes schemas) beside the repository. */
export const SHARED_DIR = resolve(import.meta.dirname, '..', '..', '..', '..', 'shared');

/** A manifest object. Assertions read deep into untyped JSON; `any` keeps those reads short. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonObject = Record<string, any>;

/** Manifest objects as plain records. */
export type Manifest = JsonObject[];

/** A fresh chart with a namespace, so names and references read like a real environment. */
export function namespacedChart(namespace = 'switchyard'): Chart {
  return new Chart(Testing.app(), 'test', { namespace });
}

/** The objects of one kind (and name, when given). */
export function objectsOf(manifest: Manifest, kind: string, name?: string): JsonObject[] {
  return manifest.filter((object) => object.kind === kind && (name === undefined || object.metadata?.name === name));
}

/** The one object of a kind; fails the test when there is not exactly one. */
export function onlyObject(manifest: Manifest, kind: string): JsonObject {
  const found = objectsOf(manifest, kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0] as JsonObject;
}

/** Options for {@link validationReport}. */
export interface ValidationOptions {
  readonly externalNames?: ExternalNames;
  readonly externalPods?: readonly ExternalPod[];
  readonly defaultNamespace?: string;
}

/** The validator's report for a set of objects: `'no manifest issues'` when all is well. */
export function validationReport(manifest: Manifest, options: ValidationOptions = {}): string {
  const validator = createManifestValidator({ sharedDir: SHARED_DIR, ...options });
  return formatManifestIssues(validator.validate(manifest));
}
