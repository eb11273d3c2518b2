// Loading a LiteLLM-format config.yaml: read it and its includes, validate with the schema, warn
// about keys Switchyard ignores, resolve `os.environ/NAME` references, and report every problem
// at once with file:line:column.

import { readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve as resolvePath } from 'node:path';

import { isMap, isScalar, isSeq } from 'yaml';

import { ConfigError, formatConfigPath, formatIssue } from './config-issue';
import type { ConfigIssue, ConfigIssueSeverity, ConfigPath } from './config-issue';
import { findIgnoredKeys } from './config-keys';
import { describeValue } from './field-values';
import { resolveDeployments, resolveEnvironmentVariables, resolveSettings } from './resolve';
import type { Deployment, DeploymentSource, GatewaySettings, ResolveContext } from './resolve';
import { gatewayConfigSchema } from './schema';
import type { GatewayConfig } from './schema';
import { locate, parseSource } from './yaml-source';
import type { SourceFile } from './yaml-source';

/** What loading needs from the caller. */
export interface LoadConfigOptions {
  /**
   * The environment `os.environ/NAME` references resolve from (the caller passes `process.env`;
   * this module never reads it). Variables set here win over `environment_variables:` in the
   * file, as in LiteLLM, which only fills in names the process environment lacks.
   */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Options for {@link parseConfigText}. */
export interface ParseConfigTextOptions extends LoadConfigOptions {
  /**
   * The folder `include:` paths are relative to.
   * @default - the folder of `fileName`
   */
  readonly baseDir?: string;
  /**
   * `include:` entries of this text, exactly as written, that exist only where the gateway runs (a
   * file mounted from a Secret) and are therefore not read now. Their content is checked when the
   * gateway starts; every other include is read and checked here.
   * @default - none: every include is read
   */
  readonly deferredIncludes?: readonly string[];
  /**
   * Included files given as text instead of read from disk, keyed by absolute path (a config and the
   * files beside it rendered together, before any of them is written).
   * @default - every include is read from disk
   */
  readonly files?: Readonly<Record<string, string>>;
}

/** A loaded config. */
export interface LoadedConfig {
  /** The validated config, includes merged; `os.environ/NAME` references are not resolved. */
  readonly config: GatewayConfig;
  /** One per `model_list` entry (includes too), in order, with references resolved. */
  readonly deployments: Deployment[];
  readonly settings: GatewaySettings;
  /** Every warning, in file order. */
  readonly warnings: ConfigIssue[];
  /** Absolute paths of the main file and every included file, main first (for watching). */
  readonly files: string[];
  /**
   * `environment_variables:`, resolved, for the caller to apply to its environment. A name the
   * caller's environment already has keeps that value (LiteLLM never overrides the process
   * environment with this section).
   */
  readonly environmentVariables: Record<string, string>;
}

/** Where a merged value came from. */
interface Origin {
  readonly source: SourceFile;
  readonly path: ConfigPath;
}

/** A config with its includes merged, remembering which file wrote what. */
interface MergedConfig {
  readonly source: SourceFile;
  readonly value: Record<string, unknown>;
  /** For each top-level key, where it was written. */
  readonly keyOrigins: Map<string, Origin>;
  /** For each top-level list, where each item was written (lists from includes are appended). */
  readonly itemOrigins: Map<string, Origin[]>;
}

interface Ancestor {
  readonly realPath: string;
  readonly displayName: string;
}

/** Nesting deeper than this is surely a mistake (or a symlink loop). */
const MAX_INCLUDE_DEPTH = 16;

class LoadState {
  readonly issues: ConfigIssue[] = [];
  readonly sources: SourceFile[] = [];

  constructor(
    /** `include:` entries of the main file, as written, that are not read now (see `deferredIncludes`). */
    readonly deferredIncludes: ReadonlySet<string> = new Set(),
    /** Included files given as text, by absolute path (see `files`). */
    readonly files: Readonly<Record<string, string>> = {},
  ) {}

  add(source: SourceFile, path: ConfigPath, message: string, severity: ConfigIssueSeverity, target: 'key' | 'value' = 'value'): void {
    const position = locate(source, path, target);
    this.issues.push({ file: source.displayName, ...position, path: formatConfigPath(path), message, severity });
  }

  /** Issues sorted by file (in reading order), then line and column. */
  sorted(): ConfigIssue[] {
    const order = new Map<string, number>();
    this.sources.forEach((source, index) => {
      if (!order.has(source.displayName)) order.set(source.displayName, index);
    });
    return [...this.issues].sort(
      (a, b) =>
        (order.get(a.file) ?? -1) - (order.get(b.file) ?? -1) || a.line - b.line || a.column - b.column,
    );
  }

  hasErrors(): boolean {
    return this.issues.some((issue) => issue.severity === 'error');
  }
}

function realPathOf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

/** Parses one file and, depth first, the files it includes. */
function loadMerged(
  text: string,
  displayName: string,
  absolutePath: string,
  state: LoadState,
  ancestors: readonly Ancestor[],
): MergedConfig | undefined {
  const { source, issues } = parseSource(text, displayName, absolutePath);
  state.sources.push(source);
  state.issues.push(...issues);
  if (issues.some((issue) => issue.severity === 'error')) return undefined;

  const contents = source.document.contents;
  if (contents === null || (isScalar(contents) && (contents.value === null || contents.value === ''))) {
    state.add(source, [], 'the file is empty; add a model_list (see models.example.yaml)', 'error');
    return undefined;
  }
  if (!isMap(contents)) {
    const hint = isSeq(contents) ? '; did you forget model_list: above the list?' : '';
    state.add(
      source,
      [],
      `expected a mapping of model_list, litellm_settings, router_settings, general_settings, … at the top level, got ${describeValue(source.document.toJS())}${hint}`,
      'error',
    );
    return undefined;
  }
  let value: unknown;
  try {
    value = source.document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    state.add(source, [], `invalid YAML: ${error instanceof Error ? error.message : String(error)}`, 'error');
    return undefined;
  }
  if (!isMapping(value)) return undefined;

  const merged: MergedConfig = { source, value: {}, keyOrigins: new Map(), itemOrigins: new Map() };
  for (const [key, member] of Object.entries(value)) {
    if (key === 'include') continue;
    merged.value[key] = member;
    merged.keyOrigins.set(key, { source, path: [key] });
    if (Array.isArray(member)) {
      merged.itemOrigins.set(key, member.map((_, index) => ({ source, path: [key, index] })));
    }
  }

  const include = value['include'];
  if (include === undefined || include === null) return merged;
  if (!Array.isArray(include)) {
    const example = typeof include === 'string' ? include : 'models.yaml';
    state.add(source, ['include'], `must be a list of file paths, e.g. include: [${example}]`, 'error');
    return merged;
  }
  const self: Ancestor = { realPath: realPathOf(absolutePath), displayName };
  include.forEach((entry: unknown, index) => {
    const entryPath: ConfigPath = ['include', index];
    if (typeof entry !== 'string' || entry.trim() === '') {
      state.add(source, entryPath, `expected a file path, got ${describeValue(entry)}`, 'error');
      return;
    }
    if (ancestors.length === 0 && state.deferredIncludes.has(entry)) return;
    const childAbsolute = resolvePath(dirname(absolutePath), entry);
    const childDisplay = isAbsolute(entry) ? entry : join(dirname(displayName), entry);
    const chain = [...ancestors, self];
    const childReal = realPathOf(childAbsolute);
    const cycleStart = chain.findIndex((ancestor) => ancestor.realPath === childReal);
    if (cycleStart >= 0) {
      const loop = [...chain.slice(cycleStart).map((ancestor) => ancestor.displayName), childDisplay];
      state.add(source, entryPath, `include cycle: ${loop.join(' → ')}; remove one of these includes`, 'error');
      return;
    }
    if (chain.length >= MAX_INCLUDE_DEPTH) {
      state.add(source, entryPath, `includes are nested more than ${MAX_INCLUDE_DEPTH} deep; ${childDisplay} is not read`, 'error');
      return;
    }
    let childText: string;
    try {
      childText = state.files[childAbsolute] ?? readFileSync(childAbsolute, 'utf8');
    } catch (error) {
      const code = errorCode(error);
      const problem =
        code === 'ENOENT' ? 'not found' : code === 'EISDIR' ? 'is a folder, not a file' : `cannot be read (${code ?? 'unknown error'})`;
      state.add(source, entryPath, `included file ${childDisplay} ${problem}`, 'error');
      return;
    }
    const child = loadMerged(childText, childDisplay, childAbsolute, state, chain);
    if (child !== undefined) mergeInto(merged, child, state);
  });
  return merged;
}

/**
 * Merges an included file into the including one the way LiteLLM's `_process_includes` does: a
 * list whose key both files have is appended to (that is how `model_list` entries add up); any
 * other key from the included file replaces the including file's, which is reported as a warning
 * because it is rarely what was meant.
 *
 * @see https://docs.litellm.ai/docs/proxy/config_management
 */
function mergeInto(target: MergedConfig, child: MergedConfig, state: LoadState): void {
  for (const [key, value] of Object.entries(child.value)) {
    const existing = target.value[key];
    const childOrigin = child.keyOrigins.get(key) ?? { source: child.source, path: [key] };
    if (Array.isArray(value) && Array.isArray(existing)) {
      existing.push(...(value as unknown[]));
      target.itemOrigins.get(key)?.push(...(child.itemOrigins.get(key) ?? []));
      continue;
    }
    if (key in target.value) {
      const replaced = target.keyOrigins.get(key)?.source.displayName ?? target.source.displayName;
      state.add(
        childOrigin.source,
        childOrigin.path,
        `replaces ${key} from ${replaced}: an included file's ${key} wins over the including file's, as in LiteLLM (only lists are appended)`,
        'warning',
        'key',
      );
    }
    target.value[key] = value;
    target.keyOrigins.set(key, childOrigin);
    target.itemOrigins.set(key, child.itemOrigins.get(key) ?? []);
  }
}

/** Maps a path in the merged config to the file and in-file path that wrote it. */
function originOf(merged: MergedConfig, path: ConfigPath): Origin {
  const [head, index, ...rest] = path;
  if (typeof head !== 'string') return { source: merged.source, path };
  const items = merged.itemOrigins.get(head);
  if (items !== undefined && typeof index === 'number') {
    const item = items[index];
    if (item !== undefined) return { source: item.source, path: [...item.path, ...rest] };
  }
  const origin = merged.keyOrigins.get(head);
  return origin === undefined ? { source: merged.source, path } : { source: origin.source, path: [...origin.path, ...path.slice(1)] };
}

function valueAt(root: unknown, path: ConfigPath): unknown {
  let current: unknown = root;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

const EXPECTED_NAMES: Readonly<Record<string, string>> = {
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
  map: 'a mapping',
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
};

const REQUIRED_HINTS: Readonly<Record<string, string>> = {
  litellm_params: 'is required: add litellm_params with at least model: provider/model',
};

interface SchemaIssue {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly expected?: string;
}

/** A zod issue in the user's words. Custom issues already are; built-in ones are reworded here. */
function schemaIssueMessage(issue: SchemaIssue, root: unknown): string {
  if (issue.code === 'custom') return issue.message;
  const path = issue.path as ConfigPath;
  const value = valueAt(root, path);
  if (issue.code === 'invalid_type') {
    const last = path[path.length - 1];
    if (value === undefined || (value === null && typeof last === 'string')) {
      return (typeof last === 'string' ? REQUIRED_HINTS[last] : undefined) ?? 'is required';
    }
    const expected = EXPECTED_NAMES[issue.expected ?? ''] ?? issue.expected ?? 'another type';
    return `expected ${expected}, got ${describeValue(value)}`;
  }
  return issue.message.charAt(0).toLowerCase() + issue.message.slice(1);
}

function loadFromText(
  text: string,
  displayName: string,
  absolutePath: string,
  options: LoadConfigOptions & Pick<ParseConfigTextOptions, 'deferredIncludes' | 'files'>,
): LoadedConfig {
  const state = new LoadState(new Set(options.deferredIncludes ?? []), options.files ?? {});
  const merged = loadMerged(text, displayName, absolutePath, state, []);
  if (merged === undefined || state.hasErrors()) throw new ConfigError(state.sorted());

  const report = (path: ConfigPath, message: string, severity: ConfigIssueSeverity, target: 'key' | 'value' = 'value'): void => {
    const origin = originOf(merged, path);
    state.add(origin.source, origin.path, message, severity, target);
  };

  const parsed = gatewayConfigSchema.safeParse(merged.value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
      report(path, schemaIssueMessage(issue, merged.value), 'error');
    }
  }
  for (const finding of findIgnoredKeys(merged.value)) report(finding.path, finding.message, 'warning', 'key');
  const modelList = merged.value['model_list'];
  if (modelList === undefined || modelList === null || (Array.isArray(modelList) && modelList.length === 0)) {
    report(['model_list'], 'no models are configured; add deployments to model_list', 'warning', 'key');
  }
  if (!parsed.success || state.hasErrors()) throw new ConfigError(state.sorted());

  const config = parsed.data;
  const settingsMissing: { name: string; path: ConfigPath }[] = [];
  const environmentVariables = resolveEnvironmentVariables(config, options.env, report, settingsMissing);
  const context: ResolveContext = {
    environment: environmentVariables,
    processEnvironment: options.env,
    report,
    sourceOf(path: ConfigPath): DeploymentSource {
      const origin = originOf(merged, path);
      return { file: origin.source.displayName, ...locate(origin.source, origin.path, 'value') };
    },
    compare(a: ConfigPath, b: ConfigPath): number {
      const [first, second] = [a, b].map((path) => {
        const origin = originOf(merged, path);
        return { file: state.sources.indexOf(origin.source), ...locate(origin.source, origin.path, 'value') };
      });
      return first!.file - second!.file || first!.line - second!.line || first!.column - second!.column;
    },
  };
  const deployments = resolveDeployments(config, context);
  const settings = resolveSettings(config, context, settingsMissing);
  if (state.hasErrors()) throw new ConfigError(state.sorted());

  const files: string[] = [];
  for (const source of state.sources) {
    if (!files.includes(source.absolutePath)) files.push(source.absolutePath);
  }
  return {
    config,
    deployments,
    settings,
    warnings: state.sorted(),
    files,
    environmentVariables,
  };
}

/**
 * Parses config text that did not come from disk (or did, and the caller read it). `fileName` is
 * what issues show; `include:` paths resolve against `options.baseDir`.
 *
 * @throws ConfigError with every error found (and the warnings) when the config is not usable.
 */
export function parseConfigText(text: string, fileName: string, options: ParseConfigTextOptions): LoadedConfig {
  const baseDir = options.baseDir ?? dirname(resolvePath(fileName));
  const absolutePath = resolvePath(baseDir, basename(fileName));
  return loadFromText(text, fileName, absolutePath, options);
}

/**
 * Reads and loads a config file and the files it includes. Synchronous: it runs once at startup
 * (and at synth), before anything else can use the config.
 *
 * @throws ConfigError with every error found (and the warnings) when the config is not usable.
 */
export function loadConfigFile(path: string, options: LoadConfigOptions): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = errorCode(error);
    const problem = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a folder, not a file' : `cannot be read (${code ?? 'unknown error'})`;
    throw new ConfigError([{ file: path, line: 0, column: 0, path: '', message: problem, severity: 'error' }]);
  }
  return loadFromText(text, path, resolvePath(path), options);
}

/**
 * Checks a config file for `switchyard config check FILE`: every error and warning, formatted one
 * per line, and whether the file is usable.
 */
export function checkConfigFile(
  path: string,
  env: Readonly<Record<string, string | undefined>>,
): { ok: boolean; lines: string[] } {
  try {
    const loaded = loadConfigFile(path, { env });
    return { ok: true, lines: loaded.warnings.map(formatIssue) };
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, lines: error.issues.map(formatIssue) };
    throw error;
  }
}
