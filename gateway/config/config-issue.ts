// One problem found in a config file, with where it is and how to render it.

/** How bad a {@link ConfigIssue} is: errors stop the load, warnings are reported and the load goes on. */
export type ConfigIssueSeverity = 'error' | 'warning';

/** A problem in a config file, located by file, line, column and config path. */
export interface ConfigIssue {
  /** The file as the caller named it (or, for an included file, joined onto the including file's folder). */
  readonly file: string;
  /** 1-based line; `0` when the problem has no position (for example a file that cannot be read). */
  readonly line: number;
  /** 1-based column; `0` when the problem has no position. */
  readonly column: number;
  /** The config path in the user's words, e.g. `model_list[2].litellm_params.rpm`; empty for the whole file. */
  readonly path: string;
  /** Lowercase, names the bad value when it is safe to show, and says the fix. */
  readonly message: string;
  readonly severity: ConfigIssueSeverity;
}

/** A config path: map keys and list indexes, as in zod's `issue.path`. */
export type ConfigPath = readonly (string | number)[];

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/** Renders `['model_list', 2, 'litellm_params', 'rpm']` as `model_list[2].litellm_params.rpm`. */
export function formatConfigPath(path: ConfigPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') {
      text += `[${segment}]`;
    } else if (PLAIN_KEY.test(segment)) {
      text += text === '' ? segment : `.${segment}`;
    } else {
      text += `[${JSON.stringify(segment)}]`;
    }
  }
  return text;
}

/**
 * Renders an issue on one line, the way compilers do:
 * `models.yaml:14:7 model_list[2].litellm_params.model: must be provider/model, …`.
 * Warnings carry a `warning:` label; a position of `0` is left out (`models.yaml: file not found`).
 */
export function formatIssue(issue: ConfigIssue): string {
  const location = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.column}` : `${issue.file}:`;
  const label = issue.severity === 'warning' ? 'warning: ' : '';
  const subject = issue.path === '' ? '' : ` ${issue.path}:`;
  return `${location}${subject} ${label}${issue.message}`;
}

/**
 * Thrown when a config has at least one error. `issues` holds every problem found — errors and
 * warnings, in file order — so a CLI can show them all; `message` lists the errors, one per line.
 */
export class ConfigError extends Error {
  readonly issues: ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const errors = issues.filter((issue) => issue.severity === 'error');
    super(errors.map(formatIssue).join('\n'));
    this.name = 'ConfigError';
    this.issues = [...issues];
  }
}
