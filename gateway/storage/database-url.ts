/**
 * The Postgres URL from environment variables, in LiteLLM's names: `DATABASE_URL`, else one built from
 * `DATABASE_HOST` (`host` or `host:port`), `DATABASE_USERNAME`, `DATABASE_PASSWORD` and `DATABASE_NAME`,
 * with the user name and password percent-encoded, so a password from a secret store may hold any
 * character. A pure function of the environment object it is given (only `main.ts` reads `process.env`).
 *
 * @see https://docs.litellm.ai/docs/proxy/prod
 */

/** Database variables that are set but cannot be used. The message names variables, never a password. */
export class DatabaseConfigurationError extends Error {
  override readonly name = 'DatabaseConfigurationError';
}

const PARTS = ['DATABASE_HOST', 'DATABASE_USERNAME', 'DATABASE_NAME'] as const;

export function databaseUrlFromEnvironment(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const url = nonEmpty(env.DATABASE_URL);
  if (url !== undefined) return url;
  const present = PARTS.filter((name) => nonEmpty(env[name]) !== undefined);
  if (present.length === 0) return undefined;
  if (present.length < PARTS.length) {
    const missing = PARTS.filter((name) => !present.includes(name));
    throw new DatabaseConfigurationError(
      `${present.join(', ')} ${present.length === 1 ? 'is' : 'are'} set but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not; ` +
        'set DATABASE_URL, or all of DATABASE_HOST, DATABASE_USERNAME, DATABASE_PASSWORD and DATABASE_NAME',
    );
  }
  const host = nonEmpty(env.DATABASE_HOST) as string;
  if (/[/@?#\s]/.test(host)) throw new DatabaseConfigurationError('DATABASE_HOST must be a host name or host:port, without a scheme, path or credentials');
  const user = encodeURIComponent(nonEmpty(env.DATABASE_USERNAME) as string);
  const password = env.DATABASE_PASSWORD === undefined || env.DATABASE_PASSWORD === '' ? '' : `:${encodeURIComponent(env.DATABASE_PASSWORD)}`;
  const name = encodeURIComponent(nonEmpty(env.DATABASE_NAME) as string);
  return `postgresql://${user}${password}@${host}/${name}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
