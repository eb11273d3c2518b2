/**
 * Starts the gateway in-process on a loopback port from a config text, the way `main.ts` does, for tests
 * that need a real listening server (streaming, client SDKs).
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { KeyManagement, OrgManagement, SpendReports } from '../../gateway/admin';
import { GatewayAuthenticator } from '../../gateway/auth';
import { parseConfigText } from '../../gateway/config';
import { createGatewayApp } from '../../gateway/http';
import { ModelRegistry, ModelRouter, UpstreamClient } from '../../gateway/routing';
import { KeyRepository } from '../../gateway/storage';
import type { Database } from '../../gateway/storage';
import { Admission, CachedEndUsers, SpendTracker, priceOfDeployment } from '../../gateway/tokenomics';
import type { LimitStore, SpendLedger } from '../../gateway/tokenomics';
import { startFakeUpstream } from './fake-upstream';
import type { FakeUpstream } from './fake-upstream';

export interface RunningGateway {
  readonly url: string;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

export interface GatewayHarnessOptions {
  readonly env?: Record<string, string | undefined>;
  readonly masterKey?: string;
  readonly bodyLimitBytes?: number;
  /** A migrated database: enables virtual keys and the management API. */
  readonly database?: Database;
  /** Records each call's spend. */
  readonly ledger?: SpendLedger;
  /** Enforces rate limits and budgets with this store. */
  readonly limits?: LimitStore;
  /** The clock the authenticator and key service use. */
  readonly now?: () => number;
}

export function buildGateway(
  configText: string,
  options: GatewayHarnessOptions = {},
): { app: FastifyInstance; client: UpstreamClient; authenticator: GatewayAuthenticator } {
  const loaded = parseConfigText(configText, 'test-config.yaml', { env: options.env ?? {} });
  const client = new UpstreamClient();
  const router = new ModelRouter({ registry: new ModelRegistry(loaded.deployments), client, settings: loaded.settings });
  const masterKey = options.masterKey ?? loaded.settings.masterKey;
  const database = options.database;
  const authenticator = new GatewayAuthenticator({
    ...(masterKey ? { masterKey } : {}),
    ...(database ? { keys: () => Promise.resolve(new KeyRepository(database)) } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const now = options.now;
  const keys = database ? new KeyManagement(database, authenticator, now ? () => new Date(now()) : undefined) : undefined;
  const app = createGatewayApp({
    router,
    authenticator,
    keys: () => Promise.resolve(keys),
    reports: () => Promise.resolve(database ? new SpendReports(database) : undefined),
    org: () => Promise.resolve(database && keys ? new OrgManagement(database, keys, now ? () => new Date(now()) : undefined) : undefined),
    ...(options.ledger ? { spend: new SpendTracker(options.ledger) } : {}),
    ...(options.limits ? { admission: admissionFor(options.limits, router, database) } : {}),
    ...(options.bodyLimitBytes !== undefined ? { bodyLimitBytes: options.bodyLimitBytes } : {}),
  });
  return { app, client, authenticator };
}

/** Admission priced like main.ts: the most expensive deployment of the group. */
function admissionFor(store: LimitStore, router: ModelRouter, database: Database | undefined): Admission {
  return new Admission({
    store,
    ...(database ? { endUsers: new CachedEndUsers(async () => database) } : {}),
    priceOfGroup: (group) =>
      router.registry
        .group(group)
        .map(priceOfDeployment)
        .filter((price) => price !== undefined)
        .sort((a, b) => b.outputPerToken + b.inputPerToken - (a.outputPerToken + a.inputPerToken))[0],
  });
}

export async function startGateway(configText: string, options: GatewayHarnessOptions = {}): Promise<RunningGateway> {
  const { app, client } = buildGateway(configText, options);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    close: async () => {
      await app.close();
      await client.close();
    },
  };
}

/** A gateway whose model list points at a fresh fake upstream: one deployment per scenario, named after it. */
export async function startGatewayOnFakeUpstream(scenarios: readonly string[]): Promise<{ gateway: RunningGateway; upstream: FakeUpstream; close(): Promise<void> }> {
  const upstream = await startFakeUpstream();
  const models = scenarios.map((scenario) => `  - model_name: ${scenario}\n    litellm_params: { model: openai/${scenario}, api_base: ${upstream.url}/v1 }`);
  const gateway = await startGateway(`model_list:\n${models.join('\n')}\n`);
  return {
    gateway,
    upstream,
    close: async () => {
      await gateway.close();
      await upstream.close();
    },
  };
}
