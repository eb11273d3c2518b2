/**
 * The Pulumi program (`pulumi up --stack <env>`, package.json "main"): reads the environment's
 * settings from `stacks/Pulumi.<env>.yaml` (`switchyard:platform`, the same object `cdk8s synth`
 * renders), creates the Secrets no secret store provides, builds or references the gateway image,
 * synthesizes the same PlatformChart and applies its objects in order. This is the only code that
 * reads `pulumi.Config`; components get plain typed args, and only plain names (Secret names, the
 * image reference) cross into the chart.
 *
 * Config (namespace `switchyard`):
 *   platform                 the settings object (required)
 *   buildImage               build gateway/Dockerfile and push it as gateway.image (default false)
 *   operators                optional list of Helm releases to install first, each
 *                            { name, chart, repository, version?, namespace, values? }; every custom
 *                            resource of the chart waits for them (default: none, already installed)
 *   masterKey, saltKey       optional secrets; generated with @pulumi/random when unset
 *   databasePassword         optional secret: the CloudNativePG owner's password when the stack sets
 *                            database.credentials without a remoteKey; generated when unset
 *   <ENV NAME> of each provider key (e.g. OPENAI_API_KEY), oidcClientSecret, databaseUrl,
 *   migrationDatabaseUrl, backupAccessKeyId, backupSecretAccessKey, hfToken-<server>,
 *   ngcApiKey-<server>, imagePullSecret-<server>
 *                            secrets (`pulumi config set --secret`), required when the key has no
 *                            remoteKey (External Secrets)
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import * as pulumi from '@pulumi/pulumi';
import { App } from 'cdk8s';
import { z } from 'zod';

import { PlatformChart } from '../constructs/platform-chart';
import { DEFAULT_DATABASE_OWNER } from '../constructs/postgres';
import { databaseCredentialKeys } from '../constructs/platform-settings';
import type { PlatformSettings, SecretKeySettings } from '../constructs/platform-settings';
import { ChartResources, GatewayImage, OperatorReleases, PlatformSecrets } from '../infra';
import type { ChartObject, PlatformSecretKeyArgs } from '../infra';
import { CHART_ID, PULUMI_PROJECT, REPO_ROOT, SettingsError, parsePlatformSettings, validatePlatformSettings } from './settings';

const stack = pulumi.getStack();
const stackFile = `stacks/Pulumi.${stack}.yaml`;
const config = new pulumi.Config(PULUMI_PROJECT);

/** The settings from config; when the stack file shows the same problem, its message adds line and column. */
function readSettings(): PlatformSettings {
  try {
    return validatePlatformSettings(config.getObject<unknown>('platform'), stackFile);
  } catch (error) {
    const path = resolve(import.meta.dirname, `Pulumi.${stack}.yaml`);
    if (error instanceof SettingsError && existsSync(path)) parsePlatformSettings(readFileSync(path, 'utf8'), stackFile);
    throw error;
  }
}

const settings = readSettings();
const buildImage = config.getBoolean('buildImage') ?? false;

const operatorsSchema = z.array(
  z.strictObject({
    name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a release name such as cnpg'),
    chart: z.string().min(1),
    repository: z.string().min(1),
    version: z.string().min(1).optional(),
    namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a namespace name such as cnpg-system'),
    values: z.record(z.string(), z.unknown()).optional(),
  }),
);
const operatorsParsed = operatorsSchema.safeParse(config.getObject<unknown>('operators') ?? []);
if (!operatorsParsed.success) {
  throw new SettingsError(operatorsParsed.error.issues.map((issue) => `${stackFile}: ${PULUMI_PROJECT}:operators${issue.path.map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${String(segment)}`)).join('')}: ${issue.message}`));
}

/** Where each referenced Secret key's value comes from, when Pulumi creates it. */
function secretSources(platform: PlatformSettings): { ref: SecretKeySettings; source: Omit<PlatformSecretKeyArgs, 'secret' | 'key'> }[] {
  const sources: { ref: SecretKeySettings; source: Omit<PlatformSecretKeyArgs, 'secret' | 'key'> }[] = [];
  const fromConfig = (ref: SecretKeySettings | undefined, name: string): void => {
    // A key External Secrets syncs (remoteKey) needs no config value.
    if (ref !== undefined && ref.remoteKey === undefined) sources.push({ ref, source: { value: config.requireSecret(name) } });
  };
  const generated = (ref: SecretKeySettings | undefined, name: string, generate: 'master-key' | 'password'): void => {
    if (ref === undefined || ref.remoteKey !== undefined) return;
    const value = config.getSecret(name);
    sources.push({ ref, source: value === undefined ? { generate } : { value } });
  };
  const gateway = platform.gateway;
  generated(gateway.masterKey, 'masterKey', 'master-key');
  generated(gateway.saltKey, 'saltKey', 'password');
  fromConfig(gateway.oidcClientSecret, 'oidcClientSecret');
  for (const key of gateway.providerKeys) fromConfig(key, key.env ?? key.key);
  const database = platform.database;
  if (database?.type === 'external') {
    fromConfig(database.url, 'databaseUrl');
    fromConfig(database.migrationUrl, 'migrationDatabaseUrl');
  } else if (database?.type === 'cloudnative-pg') {
    // With credentials and no secret store, the owner's password is generated here (or taken from
    // databasePassword) into a basic-auth Secret CloudNativePG bootstraps from; without credentials,
    // CloudNativePG generates <cluster>-app itself.
    if (database.credentials !== undefined && database.credentials.remoteKey === undefined) {
      const { username, password } = databaseCredentialKeys(database.credentials);
      const basicAuth = { secretType: 'kubernetes.io/basic-auth' };
      sources.push({ ref: username, source: { value: database.owner ?? DEFAULT_DATABASE_OWNER, ...basicAuth } });
      const given = config.getSecret('databasePassword');
      sources.push({ ref: password, source: given === undefined ? { generate: 'password', ...basicAuth } : { value: given, ...basicAuth } });
    }
    fromConfig(database.backup?.accessKeyId, 'backupAccessKeyId');
    fromConfig(database.backup?.secretAccessKey, 'backupSecretAccessKey');
  }
  generated(platform.valkey?.password, 'valkeyPassword', 'password');
  generated(platform.monitoring?.metricsBearerToken, 'metricsBearerToken', 'password');
  for (const server of platform.vllm) fromConfig(server.hfToken, `hfToken-${server.name}`);
  for (const server of platform.nim) {
    fromConfig(server.ngcApiKey, `ngcApiKey-${server.name}`);
    fromConfig(server.imagePullSecret, `imagePullSecret-${server.name}`);
  }
  return sources;
}

// The chart first: it is plain data, so a bad model list fails before any resource exists.
const chart = new PlatformChart(new App(), CHART_ID, { settings, baseDir: REPO_ROOT });
const objects = chart.toJson() as ChartObject[];

// Secrets without a remoteKey are created here, once per key, under the names the chart references.
const created = new Set(chart.externalReferences.secrets);
const keys = new Map<string, PlatformSecretKeyArgs>();
for (const { ref, source } of secretSources(settings)) {
  if (ref.remoteKey !== undefined || !created.has(ref.secret)) continue;
  const id = `${ref.secret}/${ref.key}`;
  if (!keys.has(id)) keys.set(id, { secret: ref.secret, key: ref.key, ...source });
}
// With a secret store, every secret comes from it: Pulumi creates none (the store is the one place
// secrets are kept and rotated). A key without a remoteKey there is a mistake in the stack file.
if (settings.secrets.storeName !== undefined && keys.size > 0) {
  throw new SettingsError([
    `${stackFile}: ${PULUMI_PROJECT}:platform.secrets.storeName is ${settings.secrets.storeName}, so every secret is synced from it and Pulumi creates none; ` +
      `give these keys a remoteKey: ${[...keys.keys()].join(', ')}`,
  ]);
}
const image = new GatewayImage('gateway-image', {
  image: settings.gateway.image,
  build: buildImage,
  ...(buildImage ? { contextPath: resolve(import.meta.dirname, '..') } : {}),
});

const operators = operatorsParsed.data.length === 0 ? undefined : new OperatorReleases('operators', { releases: operatorsParsed.data });

// The Secrets go into the chart's Namespace, and the chart's workloads wait for the Secrets: the
// chart is applied first with a promise of the Secrets, which are then created in its Namespace.
let secretsCreated: (resources: pulumi.Resource[]) => void = () => undefined;
const platform = new ChartResources('platform', {
  objects,
  secrets: pulumi.output(new Promise<pulumi.Resource[]>((resolveSecrets) => (secretsCreated = resolveSecrets))),
  operators: operators === undefined ? [] : [...operators.releases],
  gatewayDependencies: image.buildResource === undefined ? [] : [image.buildResource],
});
const secrets = new PlatformSecrets('secrets', { namespace: platform.namespace?.metadata.name ?? settings.namespace, keys: [...keys.values()] });
secretsCreated(Object.values(secrets.secrets));

/** The gateway's external URL: the ingress host or route hostname, else the in-cluster Service. */
function gatewayUrlOf(platformSettings: PlatformSettings): string {
  const ingress = platformSettings.ingress;
  if (ingress?.type === 'ingress') return `${ingress.tls ? 'https' : 'http'}://${ingress.host}`;
  if (ingress?.type === 'httproute' && ingress.hostnames?.[0] !== undefined) return `https://${ingress.hostnames[0]}`;
  return `http://${chart.gateway.service.name}.${platformSettings.namespace}.svc.cluster.local:${chart.gateway.servicePort}`;
}

const masterKeyRef = settings.gateway.masterKey;

/** The gateway's URL (OpenAI-compatible API; API docs at the root). */
export const gatewayUrl = pulumi.output(gatewayUrlOf(settings));
/** The admin UI. */
export const adminUiUrl = pulumi.interpolate`${gatewayUrl}/ui`;
/** The namespace everything runs in. */
export const namespace = platform.namespace?.metadata.name ?? pulumi.output(settings.namespace);
/** The gateway's master key (secret), when Pulumi created it; with External Secrets it stays in the store. */
export const masterKey =
  masterKeyRef === undefined || masterKeyRef.remoteKey !== undefined
    ? undefined
    : pulumi.secret(secrets.values.apply((values) => values[`${masterKeyRef.secret}/${masterKeyRef.key}`]));
/** The gateway image reference (with its digest when built here). */
export const gatewayImage = image.ref;
