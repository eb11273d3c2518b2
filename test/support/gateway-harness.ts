/**
 * Starts the gateway in-process on a loopback port from a config text, the way `main.ts` does, for tests
 * that need a real listening server (streaming, client SDKs).
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { MasterKeyAuthenticator } from '../../gateway/auth';
import { parseConfigText } from '../../gateway/config';
import { createGatewayApp } from '../../gateway/http';
import { ModelRegistry, ModelRouter, UpstreamClient } from '../../gateway/routing';

export interface RunningGateway {
  readonly url: string;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

export interface GatewayHarnessOptions {
  readonly env?: Record<string, string | undefined>;
  readonly masterKey?: string;
  readonly bodyLimitBytes?: number;
}

export function buildGateway(configText: string, options: GatewayHarnessOptions = {}): { app: FastifyInstance; client: UpstreamClient } {
  const loaded = parseConfigText(configText, 'test-config.yaml', { env: options.env ?? {} });
  const client = new UpstreamClient();
  const router = new ModelRouter({ registry: new ModelRegistry(loaded.deployments), client, settings: loaded.settings });
  const app = createGatewayApp({
    router,
    authenticator: new MasterKeyAuthenticator(options.masterKey ?? loaded.settings.masterKey),
    ...(options.bodyLimitBytes !== undefined ? { bodyLimitBytes: options.bodyLimitBytes } : {}),
  });
  return { app, client };
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
