// A parsed YAML file that can say where a config path is written (line and column).

import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node, Pair, YAMLError } from 'yaml';

import type { ConfigIssue, ConfigIssueSeverity, ConfigPath } from './config-issue';

/** One config file as read. */
export interface SourceFile {
  /** The name issues show: as the caller gave it, or joined onto the including file's folder. */
  readonly displayName: string;
  /** Where it was read from (or, for text passed in, would have been). */
  readonly absolutePath: string;
  readonly document: Document.Parsed;
  readonly lineCounter: LineCounter;
}

/** A 1-based line and column. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/**
 * Parses YAML the way LiteLLM's loader reads it, as far as it matters for configs: `<<` merge keys
 * work (pyyaml supports them), duplicate keys are an error (pyyaml would silently keep the last),
 * and scalars follow YAML 1.2 (`api_version: 2024-02-01` stays a string).
 */
export function parseSource(
  text: string,
  displayName: string,
  absolutePath: string,
): { source: SourceFile; issues: ConfigIssue[] } {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: true });
  const source: SourceFile = { displayName, absolutePath, document, lineCounter };
  const toIssue = (error: YAMLError, severity: ConfigIssueSeverity): ConfigIssue => {
    const position = positionAt(source, error.pos[0]);
    return { file: displayName, ...position, path: '', message: `invalid YAML: ${yamlErrorMessage(error, text)}`, severity };
  };
  const issues = [
    ...document.errors.map((error) => toIssue(error, 'error')),
    ...document.warnings.map((warning) => toIssue(warning, 'warning')),
  ];
  return { source, issues };
}

/** The parser's message, reworded for the errors people make most. */
function yamlErrorMessage(error: YAMLError, text: string): string {
  switch (error.code) {
    case 'DUPLICATE_KEY': {
      const key = /^\s*(.+?)\s*:(\s|$)/.exec(text.slice(error.pos[0]))?.[1];
      return key === undefined
        ? 'a key appears twice in the same mapping; keep one'
        : `the key ${key} appears twice in the same mapping; keep one`;
    }
    case 'MULTIPLE_DOCS':
      return 'the file holds more than one YAML document (a --- line); a config is one document';
    case 'TAB_AS_INDENT':
      return 'tabs are not allowed as indentation; indent with spaces';
    default:
      return error.message.charAt(0).toLowerCase() + error.message.slice(1);
  }
}

function positionAt(source: SourceFile, offset: number): Position {
  const { line, col } = source.lineCounter.linePos(offset);
  return { line, column: col };
}

function nodeStart(node: unknown): number | undefined {
  if (typeof node !== 'object' || node === null || !('range' in node)) return undefined;
  const range = (node as Node).range;
  return range === undefined || range === null ? undefined : range[0];
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && (typeof key.value === 'symbol' || key.value === '<<');
}

function keyMatches(key: unknown, segment: string | number): boolean {
  const value = isScalar(key) ? key.value : key;
  return (typeof value === 'string' || typeof value === 'number') && String(value) === String(segment);
}

/** The pair for `segment` in a map, looking through `<<: *anchor` merges as pyyaml would. */
function findPair(document: Document.Parsed, map: unknown, segment: string | number, depth = 0): Pair | undefined {
  const target = isAlias(map) ? map.resolve(document) : map;
  if (!isMap(target) || depth > 20) return undefined;
  const direct = target.items.find((pair) => keyMatches(pair.key, segment));
  if (direct !== undefined) return direct;
  for (const pair of target.items) {
    if (!isMergeKey(pair.key)) continue;
    const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
    for (const mergeSource of sources) {
      const found = findPair(document, mergeSource, segment, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * Where `path` is written in `source`. `'value'` points at the value (or at its key when the value
 * is empty), `'key'` at the key. A path that does not exist points at the closest written part: for
 * a missing key, the key of the map that lacks it (`litellm_params:`), or the map itself.
 */
export function locate(source: SourceFile, path: ConfigPath, target: 'key' | 'value'): Position {
  const { document } = source;
  let node: unknown = document.contents;
  let keyNode: unknown;
  for (const segment of path) {
    const current = isAlias(node) ? node.resolve(document) : node;
    let next: unknown;
    let nextKey: unknown;
    let found = false;
    if (isMap(current)) {
      const pair = findPair(document, current, segment);
      if (pair !== undefined) {
        found = true;
        next = pair.value;
        nextKey = pair.key;
      }
    } else if (isSeq(current) && typeof segment === 'number' && segment < current.items.length) {
      found = true;
      next = current.items[segment];
    }
    if (!found) {
      const offset = nodeStart(keyNode) ?? nodeStart(current) ?? 0;
      return positionAt(source, offset);
    }
    node = next;
    keyNode = nextKey;
  }
  const first = target === 'key' ? keyNode : node;
  const second = target === 'key' ? node : keyNode;
  const offset = nodeStart(first) ?? nodeStart(second) ?? nodeStart(document.contents) ?? 0;
  return positionAt(source, offset);
}
