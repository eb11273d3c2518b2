// Reading rendered manifests: multi-document YAML text, or a `cdk8s synth` output directory
// (`dist/<env>/*.yaml`).

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { arrayAt, isRecord } from './manifest-object';

/** The objects of one YAML file. */
export interface ManifestFile {
  /** Path of the file. */
  readonly file: string;
  readonly objects: readonly Record<string, unknown>[];
}

/**
 * Parses multi-document YAML into objects. Empty documents are skipped and `v1 List` objects are
 * flattened into their items. Throws on a YAML error or a document that is not a mapping, naming
 * `source` and the line.
 */
export function loadManifestsFromYaml(text: string, source = '<yaml>'): Record<string, unknown>[] {
  const objects: Record<string, unknown>[] = [];
  parseAllDocuments(text).forEach((document, index) => {
    const [error] = document.errors;
    if (error !== undefined) throw new Error(`${source}: document ${index + 1}: ${error.message}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) return;
    if (!isRecord(value)) throw new Error(`${source}: document ${index + 1} is not a mapping (a Kubernetes object must be one)`);
    if (value.apiVersion === 'v1' && value.kind === 'List') {
      for (const item of arrayAt(value, 'items')) {
        if (!isRecord(item)) throw new Error(`${source}: document ${index + 1} is a List with an item that is not a mapping`);
        objects.push(item);
      }
      return;
    }
    objects.push(value);
  });
  return objects;
}

/** Every `*.yaml`/`*.yml` file directly in `directory`, sorted by name, with its objects. */
export function loadManifestDirectory(directory: string): ManifestFile[] {
  return readdirSync(directory, { withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const file = join(directory, name);
      return { file, objects: loadManifestsFromYaml(readFileSync(file, 'utf8'), file) };
    });
}
