// Helpers shared by the config tests.
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, formatIssue, parseConfigText } from '../../../gateway/config';
import type { ConfigIssue } from '../../../gateway/config';

/** The fixtures folder, relative to the working directory, so issue strings carry no machine path. */
export const FIXTURES = relative(process.cwd(), join(dirname(fileURLToPath(import.meta.url)), '__fixtures__'));

/** The repository root, relative to the working directory. */
export const REPO_ROOT = relative(process.cwd(), join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')) || '.';

/** Runs `load`, expects a ConfigError, and returns its issues. */
export function issuesOf(load: () => unknown): ConfigIssue[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigError, but the config loaded');
}

/** Every issue `load` throws, formatted. */
export function formattedIssuesOf(load: () => unknown): string[] {
  return issuesOf(load).map(formatIssue);
}

/** Every error (not warning) `load` throws, formatted. */
export function formattedErrorsOf(load: () => unknown): string[] {
  return issuesOf(load)
    .filter((issue) => issue.severity === 'error')
    .map(formatIssue);
}

/** Parses YAML text as `test.yaml` with the given environment. */
export function parse(text: string, env: Record<string, string | undefined> = {}) {
  return parseConfigText(text, 'test.yaml', { env });
}
