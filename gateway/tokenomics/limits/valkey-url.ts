/**
 * Where Valkey is, from environment variables: `VALKEY_URL`, else `REDIS_URL`, else LiteLLM's `REDIS_HOST`,
 * `REDIS_PORT`, `REDIS_USERNAME`, `REDIS_PASSWORD` and `REDIS_SSL`. A pure function of the environment object
 * it is given (only `main.ts` reads `process.env`).
 *
 * @see https://docs.litellm.ai/docs/proxy/caching
 */
export function valkeyUrlFromEnvironment(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const url = nonEmpty(env.VALKEY_URL) ?? nonEmpty(env.REDIS_URL);
  if (url !== undefined) return url;
  const host = nonEmpty(env.REDIS_HOST);
  if (host === undefined) return undefined;
  const port = nonEmpty(env.REDIS_PORT) ?? '6379';
  const username = nonEmpty(env.REDIS_USERNAME);
  const password = nonEmpty(env.REDIS_PASSWORD);
  const ssl = /^(1|true|yes|on)$/i.test(env.REDIS_SSL?.trim() ?? '');
  const auth =
    password === undefined
      ? username === undefined
        ? ''
        : `${encodeURIComponent(username)}@`
      : `${encodeURIComponent(username ?? '')}:${encodeURIComponent(password)}@`;
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `${ssl ? 'rediss' : 'redis'}://${auth}${hostPart}:${port}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
