/**
 * Where Valkey is, from environment variables, in LiteLLM's names:
 *   - `VALKEY_URL`, else `REDIS_URL`: one server (`redis://` or `rediss://`);
 *   - `REDIS_SENTINEL_NODES` (a JSON list of `[host, port]` pairs, or `host:port,host:port`) with
 *     `REDIS_SERVICE_NAME` (the master set), `REDIS_PASSWORD` (the data nodes') and
 *     `REDIS_SENTINEL_PASSWORD` (the sentinels'): Sentinel, which follows the master across failovers;
 *   - `REDIS_HOST`, `REDIS_PORT`, `REDIS_USERNAME`, `REDIS_PASSWORD`, `REDIS_SSL`: one server.
 * A pure function of the environment object it is given (only `main.ts` reads `process.env`).
 *
 * @see https://docs.litellm.ai/docs/proxy/caching
 */

/** One Valkey server, by URL. */
export interface ValkeyUrlConnection {
  readonly url: string;
}

/** A Sentinel-managed master set. */
export interface ValkeySentinelConnection {
  readonly sentinels: readonly { readonly host: string; readonly port: number }[];
  /** The master set's name (`REDIS_SERVICE_NAME`). */
  readonly name: string;
  readonly username?: string;
  /** The data nodes' password. */
  readonly password?: string;
  /** The sentinels' password. */
  readonly sentinelPassword?: string;
  /** TLS to the data nodes and the sentinels. */
  readonly tls?: boolean;
}

export type ValkeyConnection = ValkeyUrlConnection | ValkeySentinelConnection;

/** A Valkey variable that is set but cannot be used. The message names the variable, never a password. */
export class ValkeyConfigurationError extends Error {
  override readonly name = 'ValkeyConfigurationError';
}

type Env = Readonly<Record<string, string | undefined>>;

export function valkeyConnectionFromEnvironment(env: Env): ValkeyConnection | undefined {
  const url = nonEmpty(env.VALKEY_URL) ?? nonEmpty(env.REDIS_URL);
  if (url !== undefined) return { url };
  const username = nonEmpty(env.REDIS_USERNAME);
  const password = nonEmpty(env.REDIS_PASSWORD);
  const tls = /^(1|true|yes|on)$/i.test(env.REDIS_SSL?.trim() ?? '');

  const sentinelNodes = nonEmpty(env.REDIS_SENTINEL_NODES);
  if (sentinelNodes !== undefined) {
    const name = nonEmpty(env.REDIS_SERVICE_NAME);
    if (name === undefined) {
      throw new ValkeyConfigurationError('REDIS_SENTINEL_NODES is set but REDIS_SERVICE_NAME is not; set it to the master set the sentinels monitor (e.g. mymaster)');
    }
    const sentinelPassword = nonEmpty(env.REDIS_SENTINEL_PASSWORD);
    return {
      sentinels: parseSentinelNodes(sentinelNodes),
      name,
      ...(username === undefined ? {} : { username }),
      ...(password === undefined ? {} : { password }),
      ...(sentinelPassword === undefined ? {} : { sentinelPassword }),
      ...(tls ? { tls } : {}),
    };
  }

  const host = nonEmpty(env.REDIS_HOST);
  if (host === undefined) return undefined;
  const port = nonEmpty(env.REDIS_PORT) ?? '6379';
  const auth =
    password === undefined
      ? username === undefined
        ? ''
        : `${encodeURIComponent(username)}@`
      : `${encodeURIComponent(username ?? '')}:${encodeURIComponent(password)}@`;
  return { url: `${tls ? 'rediss' : 'redis'}://${auth}${bracketed(host)}:${port}` };
}

/** Where the connection goes, for logs: never a password. */
export function describeValkeyConnection(connection: ValkeyConnection): string {
  if ('url' in connection) {
    try {
      const parsed = new URL(connection.url);
      return `${parsed.protocol}//${bracketed(parsed.hostname.replace(/^\[|\]$/g, ''))}:${parsed.port || '6379'}${parsed.pathname === '/' ? '' : parsed.pathname}`;
    } catch {
      return 'an unparsable URL';
    }
  }
  return `master set ${connection.name} via sentinels ${connection.sentinels.map((node) => `${bracketed(node.host)}:${node.port}`).join(', ')}`;
}

function parseSentinelNodes(text: string): { host: string; port: number }[] {
  const fail = (why: string): never => {
    throw new ValkeyConfigurationError(
      `REDIS_SENTINEL_NODES ${why}; write a JSON list of [host, port] pairs, e.g. [["valkey-0.valkey", 26379]], or host:port,host:port`,
    );
  };
  let entries: unknown[];
  if (text.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      entries = Array.isArray(parsed) ? parsed : fail('is not a list');
    } catch (error) {
      if (error instanceof ValkeyConfigurationError) throw error;
      return fail('is not valid JSON');
    }
  } else {
    entries = text.split(',').map((item) => {
      const trimmed = item.trim();
      const colon = trimmed.lastIndexOf(':');
      return colon <= 0 ? fail(`has an entry without a port (${JSON.stringify(trimmed)})`) : [trimmed.slice(0, colon).replace(/^\[|\]$/g, ''), trimmed.slice(colon + 1)];
    });
  }
  if (entries.length === 0) fail('is empty');
  return entries.map((entry, index) => {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string' || entry[0].trim() === '') {
      return fail(`entry ${index} is not a [host, port] pair`);
    }
    const port = typeof entry[1] === 'number' ? entry[1] : Number(String(entry[1]).trim());
    if (!Number.isInteger(port) || port < 1 || port > 65535) return fail(`entry ${index} has no valid port`);
    return { host: entry[0].trim(), port };
  });
}

function bracketed(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
