// Finds the CustomResourceDefinitions under `<sharedDir>/crds/**` and hands out one version's schema
// on demand.
//
// Parsing all vendored CRDs (~5 MB of YAML) takes well over a second, so the catalog first reads only
// each file's header (`spec.group` and `spec.names.kind`, which controller-gen writes at the top) and
// parses a file fully the first time one of its kinds is validated. A file whose header does not have
// that shape is parsed fully at once.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { arrayAt, isRecord, stringAt } from './manifest-object';

/** One version of one CRD. */
export interface CrdVersion {
  readonly group: string;
  readonly kind: string;
  readonly version: string;
  readonly served: boolean;
  readonly scope: string;
  readonly openApiV3Schema: unknown;
  readonly file: string;
}

/** The versions a CRD file defines for a group and kind. */
export interface CrdKind {
  readonly group: string;
  readonly kind: string;
  readonly versions: readonly CrdVersion[];
}

const HEADER_BYTES = 16_384;
const GROUP_LINE = /^ {2}group:[ \t]*['"]?([^'"\s]+)['"]?[ \t\r]*$/m;
const NAMES_KIND = /^ {2}names:[ \t\r]*\n(?:^ {4}.*\n)*?^ {4}kind:[ \t]*['"]?([^'"\s]+)['"]?[ \t\r]*$/m;
const CRD_KIND_LINE = /^kind:[ \t]*CustomResourceDefinition[ \t\r]*$/gm;

export class CrdCatalog {
  readonly #directory: string;
  /** `group/kind` → files that define it (usually one). */
  #filesByKind: Map<string, string[]> | undefined;
  readonly #kindsByFile = new Map<string, CrdKind[]>();

  constructor(directory: string) {
    this.#directory = directory;
  }

  /** The CRD for `group` and `kind`, or undefined when no vendored file defines it. */
  find(group: string, kind: string): CrdKind | undefined {
    const files = this.#index().get(`${group}/${kind}`) ?? [];
    const versions: CrdVersion[] = [];
    for (const file of files) {
      for (const crd of this.#parse(file)) {
        if (crd.group === group && crd.kind === kind) versions.push(...crd.versions);
      }
    }
    return versions.length === 0 ? undefined : { group, kind, versions };
  }

  #index(): Map<string, string[]> {
    if (this.#filesByKind !== undefined) return this.#filesByKind;
    const index = new Map<string, string[]>();
    const add = (key: string, file: string): void => {
      const files = index.get(key);
      if (files === undefined) index.set(key, [file]);
      else if (!files.includes(file)) files.push(file);
    };
    for (const file of listYamlFiles(this.#directory)) {
      const text = readFileSync(file, 'utf8');
      const header = scanCrdHeader(text);
      if (header !== undefined) {
        add(`${header.group}/${header.kind}`, file);
        continue;
      }
      for (const crd of this.#parse(file, text)) add(`${crd.group}/${crd.kind}`, file);
    }
    this.#filesByKind = index;
    return index;
  }

  #parse(file: string, text?: string): CrdKind[] {
    const cached = this.#kindsByFile.get(file);
    if (cached !== undefined) return cached;
    const kinds: CrdKind[] = [];
    for (const document of parseAllDocuments(text ?? readFileSync(file, 'utf8'))) {
      const crd: unknown = document.toJS({ maxAliasCount: -1 });
      if (stringAt(crd, 'kind') !== 'CustomResourceDefinition') continue;
      const group = stringAt(crd, 'spec', 'group');
      const kind = stringAt(crd, 'spec', 'names', 'kind');
      if (group === undefined || kind === undefined) continue;
      const scope = stringAt(crd, 'spec', 'scope') ?? 'Namespaced';
      const versions = arrayAt(crd, 'spec', 'versions').flatMap((entry): CrdVersion[] => {
        const version = stringAt(entry, 'name');
        if (version === undefined || !isRecord(entry)) return [];
        const openApiV3Schema = isRecord(entry.schema) ? entry.schema.openAPIV3Schema : undefined;
        return [{ group, kind, version, served: entry.served === true, scope, openApiV3Schema, file }];
      });
      kinds.push({ group, kind, versions });
    }
    this.#kindsByFile.set(file, kinds);
    return kinds;
  }
}

/** `spec.group` and `spec.names.kind` from a single-document controller-gen CRD header, if it has that shape. */
export function scanCrdHeader(text: string): { readonly group: string; readonly kind: string } | undefined {
  if ((text.match(CRD_KIND_LINE) ?? []).length !== 1) return undefined;
  const header = text.slice(0, HEADER_BYTES);
  const group = GROUP_LINE.exec(header)?.[1];
  const kind = NAMES_KIND.exec(header)?.[1];
  return group === undefined || kind === undefined ? undefined : { group, kind };
}

function listYamlFiles(directory: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) files.push(...listYamlFiles(path));
    else if (entry.isFile() && /\.ya?ml$/.test(entry.name)) files.push(path);
  }
  return files.sort();
}
