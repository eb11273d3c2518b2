/**
 * Per-environment platform settings, read from the Pulumi stack files (`stacks/Pulumi.<env>.yaml`,
 * `Pulumi.yaml` sets `stackConfigDir: stacks`). The settings object sits under the namespaced key
 * `switchyard:platform`, which the Pulumi program reads with `config.requireObject('platform')`;
 * `cdk8s synth` reads the same file with this module, so both render the same objects.
 *
 * A wrong or missing setting fails with the stack file, line and key:
 *   stacks/Pulumi.prod.yaml:14:17 switchyard:platform.gateway.replicas: expected a number, got "two"
 */
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Node } from 'yaml';

import { platformSettingsSchema } from '../constructs/platform-settings';
import type { PlatformSettings } from '../constructs/platform-settings';

/** The Pulumi project name, the namespace of the config key. */
export const PULUMI_PROJECT = 'switchyard';
/** The config key holding the settings object. */
export const PLATFORM_CONFIG_KEY = `${PULUMI_PROJECT}:platform`;
/** The environments with a stack file, rendered by `npm run synth` when none is named. */
export const ENVIRONMENTS = ['dev', 'staging', 'prod', 'private-cloud', 'gitops-1password', 'vault-eso', 'multi-tenant-gpu', 'sso-keycloak'] as const;
/** The chart's id, and so the prefix of every object name (`switchyard-gateway`, …); the same for `cdk8s synth` and `pulumi up`. */
export const CHART_ID = 'switchyard';
/** The folder of the stack files. */
export const STACKS_DIR = resolve(import.meta.dirname);
/** The repository root: `gateway.includeFiles` paths are relative to it. */
export const REPO_ROOT = resolve(import.meta.dirname, '..');

/** Thrown when a stack file's settings are missing or invalid; `message` has one line per problem. */
export class SettingsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'SettingsError';
  }
}

/** The stack file of an environment. */
export function stackFilePath(environment: string, stacksDir: string = STACKS_DIR): string {
  if (!/^[a-z0-9][-a-z0-9]*$/.test(environment)) throw new Error(`environment must be a stack name such as dev or prod, got ${JSON.stringify(environment)}`);
  return join(stacksDir, `Pulumi.${environment}.yaml`);
}

type PathSegment = string | number;

function formatPath(path: readonly PathSegment[]): string {
  return path.reduce<string>((text, segment) => (typeof segment === 'number' ? `${text}[${segment}]` : `${text}.${segment}`), PLATFORM_CONFIG_KEY);
}

/** The deepest node of the document along `path` (the key itself when it is missing). */
function nodeAt(root: unknown, path: readonly PathSegment[]): Node | undefined {
  let current: unknown = root;
  let found: Node | undefined = isMap(current) || isSeq(current) || isScalar(current) ? (current as Node) : undefined;
  for (const segment of path) {
    if (isMap(current)) {
      const pair = current.items.find((item) => isScalar(item.key) && item.key.value === segment);
      if (pair === undefined) return found;
      found = (pair.value as Node | null) ?? (pair.key as Node);
      current = pair.value;
    } else if (isSeq(current) && typeof segment === 'number') {
      const item = current.items[segment];
      if (item === undefined) return found;
      found = item as Node;
      current = item;
    } else {
      return found;
    }
  }
  return found;
}

/** The key node of `key` in the mapping at `path`. */
function keyNodeAt(root: unknown, path: readonly PathSegment[], key: string | undefined): Node | undefined {
  const mapping = nodeAt(root, path);
  if (key === undefined || !isMap(mapping)) return undefined;
  const pair = mapping.items.find((item) => isScalar(item.key) && item.key.value === key);
  return pair === undefined ? undefined : (pair.key as Node);
}

/**
 * Reads the settings from stack-file text. `fileName` is what messages show.
 *
 * @throws SettingsError naming file, line, column and key for every problem.
 */
export function parsePlatformSettings(text: string, fileName: string): PlatformSettings {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter });
  const where = (node: Node | undefined): string => {
    const offset = node?.range?.[0];
    if (offset === undefined) return `${fileName}:`;
    const { line, col } = lineCounter.linePos(offset);
    return `${fileName}:${line}:${col}`;
  };
  if (document.errors.length > 0) {
    throw new SettingsError(document.errors.map((error) => `${fileName}:${error.linePos?.[0].line ?? 0}:${error.linePos?.[0].col ?? 0} ${error.message.split('\n')[0]}`));
  }
  const config = document.get('config', true) as Node | undefined;
  const settingsNode = isMap(config) ? (config.get(PLATFORM_CONFIG_KEY, true) as Node | undefined) : undefined;
  if (settingsNode === undefined) {
    throw new SettingsError([`${where(config)} config.${PLATFORM_CONFIG_KEY} is missing; add the platform settings under config: ${PLATFORM_CONFIG_KEY}:`]);
  }
  const settings = (document.toJS() as { config: Record<string, unknown> }).config[PLATFORM_CONFIG_KEY];
  const parsed = platformSettingsSchema.safeParse(settings);
  if (parsed.success) return parsed.data;
  throw new SettingsError(
    parsed.error.issues.map((issue) => {
      const path = issue.path.filter((segment): segment is PathSegment => typeof segment !== 'symbol');
      const message = issue.message.charAt(0).toLowerCase() + issue.message.slice(1);
      // An unknown key is shown where it is written, not where its parent starts.
      const node = issue.code === 'unrecognized_keys' ? (keyNodeAt(settingsNode, path, issue.keys[0]) ?? nodeAt(settingsNode, path)) : nodeAt(settingsNode, path);
      return `${where(node)} ${formatPath(path)}: ${message}`;
    }),
  );
}

/**
 * Validates settings already read from config (the Pulumi program's `config.getObject('platform')`).
 * `fileName` is the stack file messages name; there is no line information here.
 *
 * @throws SettingsError naming the stack file and the key of every problem.
 */
export function validatePlatformSettings(value: unknown, fileName: string): PlatformSettings {
  if (value === undefined || value === null) {
    throw new SettingsError([`${fileName}: config.${PLATFORM_CONFIG_KEY} is missing; add the platform settings under config: ${PLATFORM_CONFIG_KEY}:`]);
  }
  const parsed = platformSettingsSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new SettingsError(
    parsed.error.issues.map((issue) => {
      const path = issue.path.filter((segment): segment is PathSegment => typeof segment !== 'symbol');
      const message = issue.message.charAt(0).toLowerCase() + issue.message.slice(1);
      return `${fileName}: ${formatPath(path)}: ${message}`;
    }),
  );
}

/** Reads an environment's settings from its stack file. */
export function loadPlatformSettings(environment: string, stacksDir: string = STACKS_DIR): PlatformSettings {
  const path = stackFilePath(environment, stacksDir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new SettingsError([`${relative(process.cwd(), path)}: no stack file for environment ${environment}; create it or pick one of ${ENVIRONMENTS.join(', ')}`]);
  }
  return parsePlatformSettings(text, relative(process.cwd(), path));
}
