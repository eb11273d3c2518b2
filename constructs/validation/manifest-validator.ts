// The manifest validator: schemas (strict) plus the platform's own checks, over a whole set of
// rendered objects at once (references and selectors are checked across the set).

import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { checkResourcesAndProbes } from './container-checks';
import { loadManifestDirectory } from './load-manifests';
import type { ManifestIssue } from './manifest-issue';
import { childPointer, indexObjects } from './manifest-object';
import type { ManifestObject } from './manifest-object';
import { checkMetadata, labelProblems } from './metadata-check';
import { assertPodSecurityExceptions, checkPodSecurity } from './pod-security';
import type { PodSecurityException } from './pod-security';
import { podSourcesOf, podTemplatesOf } from './pod-templates';
import type { ExternalPod, PodTemplate } from './pod-templates';
import { checkReferences } from './references';
import type { ExternalNames } from './references';
import { checkSchemas } from './schema-check';
import { KUBERNETES_VERSIONS, schemaRegistryFor } from './schema-registry';
import type { KubernetesVersion } from './schema-registry';
import { checkSelectors } from './selector-checks';

export interface ValidatorOptions {
  /** The folder holding `crds/` and `k8s-schemas/` (the repository's `../shared`). */
  readonly sharedDir: string;
  /** Kubernetes versions whose API schemas every core object must satisfy. @default ['1.28', '1.33'] */
  readonly kubernetesVersions?: readonly KubernetesVersion[];
  /** Namespace of objects that set none. @default 'default' */
  readonly defaultNamespace?: string;
  /** Objects other tools create, so references to them resolve. @default - none */
  readonly externalNames?: ExternalNames;
  /** Pods created outside the set (e.g. by an operator) that Services and policies may select. @default - none */
  readonly externalPods?: readonly ExternalPod[];
  /** Documented per-container exceptions from the restricted Pod Security Standard. @default - none */
  readonly pssExceptions?: readonly PodSecurityException[];
}

/** The result of validating a synth output directory. */
export interface DirectoryValidation {
  /** The YAML files read, sorted. */
  readonly files: readonly string[];
  readonly objects: readonly Record<string, unknown>[];
  /** Issues, each with `source` set to the file its object came from. */
  readonly issues: readonly ManifestIssue[];
}

export interface ManifestValidator {
  /** Validates a whole set of objects (one environment's rendered manifests). */
  validate(objects: readonly ManifestObject[]): ManifestIssue[];
  /** Loads every `*.yaml` in `directory` (e.g. `dist/dev`) and validates them together. */
  validateDirectory(directory: string): DirectoryValidation;
}

/**
 * Creates a validator. Schemas are loaded and compiled lazily, once per process and shared directory,
 * so creating several validators (e.g. with different external names) is cheap.
 */
export function createManifestValidator(options: ValidatorOptions): ManifestValidator {
  const { sharedDir } = options;
  for (const folder of ['k8s-schemas', 'crds']) {
    if (!existsSync(join(sharedDir, folder))) {
      throw new Error(`sharedDir ${JSON.stringify(sharedDir)} has no ${folder}/ folder; pass the folder that holds crds/ and k8s-schemas/`);
    }
  }
  const versions = options.kubernetesVersions ?? KUBERNETES_VERSIONS;
  if (versions.length === 0) throw new Error(`kubernetesVersions is empty; list at least one of ${KUBERNETES_VERSIONS.join(', ')}`);
  for (const version of versions) {
    if (!KUBERNETES_VERSIONS.includes(version)) {
      throw new Error(`kubernetesVersions has ${JSON.stringify(version)}; supported: ${KUBERNETES_VERSIONS.join(', ')}`);
    }
  }
  const exceptions = options.pssExceptions ?? [];
  assertPodSecurityExceptions(exceptions);
  const defaultNamespace = options.defaultNamespace ?? 'default';
  const externalNames = options.externalNames ?? {};
  const externalPods = options.externalPods ?? [];
  const registry = schemaRegistryFor(sharedDir);

  const validate = (objects: readonly ManifestObject[]): ManifestIssue[] => {
    const indexed = indexObjects(objects, defaultNamespace);
    const templates = podTemplatesOf(indexed);
    const pods = podSourcesOf(indexed, externalPods, defaultNamespace);
    return [
      ...checkSchemas(indexed, registry, versions),
      ...checkMetadata(indexed),
      ...templateLabelIssues(templates),
      ...checkPodSecurity(templates, exceptions),
      ...checkResourcesAndProbes(templates, indexed),
      ...checkSelectors(indexed, templates, pods),
      ...checkReferences(indexed, templates, externalNames),
    ];
  };

  return {
    validate,
    validateDirectory(directory: string): DirectoryValidation {
      const files = loadManifestDirectory(directory);
      const objects = files.flatMap((file) => file.objects);
      const sourceByObject = new Map<string, string>();
      indexObjects(objects, defaultNamespace).forEach((entry) => {
        const file = files.find((candidate) => candidate.objects.includes(objects[entry.index] as Record<string, unknown>));
        if (file !== undefined && !sourceByObject.has(entry.description)) sourceByObject.set(entry.description, basename(file.file));
      });
      const issues = validate(objects).map((issue) => {
        const source = sourceByObject.get(issue.object);
        return source === undefined ? issue : { ...issue, source };
      });
      return { files: files.map((file) => file.file), objects, issues };
    },
  };
}

function templateLabelIssues(templates: readonly PodTemplate[]): ManifestIssue[] {
  return templates.flatMap((template) =>
    template.owner.kind === 'Pod'
      ? [] // a Pod's labels are its metadata labels, already checked
      : labelProblems(template.labels).map((problem) => ({
          object: template.owner.description,
          path: childPointer(template.metadataPath, 'labels', problem.key),
          message: problem.message,
          rule: 'metadata' as const,
        })),
  );
}
