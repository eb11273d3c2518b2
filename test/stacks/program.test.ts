// The Pulumi program (stacks/index.ts) for every stack, under mocks: no CLI, no engine, no cluster.
// Each stack's program is loaded fresh with its stack file's config, then the test checks the
// resource graph, that secrets stay secret, the apply order, that the applied Kubernetes objects are
// exactly what `cdk8s synth` renders for the environment, and that they pass the validator.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import * as pulumi from '@pulumi/pulumi';
import { App } from 'cdk8s';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it, vi } from 'vitest';

import { PlatformChart } from '../../constructs/platform-chart';
import { createManifestValidator, formatManifestIssues } from '../../constructs/validation';
import type { ManifestObject } from '../../constructs/validation';
import { CHART_ID, ENVIRONMENTS, REPO_ROOT, loadPlatformSettings } from '../../stacks/settings';
import { SECRET_SIGNATURE, generatedValue, installMocks, isSerializedSecret, promiseOf, unwrapSecrets, urnName } from '../infra/pulumi-mocks';
import type { Registration } from '../infra/pulumi-mocks';
import type * as ProgramExports from '../../stacks/index';

const root = resolve(import.meta.dirname, '..', '..');
const sharedDir = resolve(root, '..', 'shared');

/** What `pulumi config set --secret` would hold; fake values, each distinctive enough to search for. */
const SECRET_CONFIG: Record<string, string> = {
  OPENAI_API_KEY: 'sk-test-openai-5f3a9c',
  ANTHROPIC_API_KEY: 'sk-ant-test-7d1e2b',
  AWS_ACCESS_KEY_ID: 'AKIATESTCACHE0001',
  AWS_SECRET_ACCESS_KEY: 'test-cache-secret-access-key-9b8c',
  oidcClientSecret: 'test-oidc-client-secret-4c2d',
  databaseUrl: 'postgresql://switchyard:test-db-password-6e1f@postgres.db.svc:5432/switchyard',
  'hfToken-llama-3-1-8b': 'hf_test_token_llama_3a7b',
  'hfToken-qwen-2-5-7b': 'hf_test_token_qwen_8c4d',
};

/** Extra secret config per stack (multi-tenant-gpu sets its salt key explicitly). */
const STACK_SECRETS: Record<string, Record<string, string>> = {
  'multi-tenant-gpu': { saltKey: 'test-explicit-salt-key-2f9e' },
};

type ProgramModule = typeof ProgramExports;

/** The stack file's config as the language host passes it: strings, objects as JSON. */
function stackConfig(environment: string): { config: Record<string, string>; secretKeys: string[] } {
  const file = parse(readFileSync(resolve(root, 'stacks', `Pulumi.${environment}.yaml`), 'utf8')) as { config: Record<string, unknown> };
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(file.config)) config[key] = typeof value === 'string' ? value : JSON.stringify(value);
  const secrets = { ...SECRET_CONFIG, ...STACK_SECRETS[environment] };
  for (const [key, value] of Object.entries(secrets)) config[`switchyard:${key}`] = value;
  return { config, secretKeys: Object.keys(secrets).map((key) => `switchyard:${key}`) };
}

async function runProgram(environment: string, config: Record<string, string>, secretKeys: string[] = []): Promise<{ program: ProgramModule; registrations: Registration[] }> {
  vi.resetModules();
  const mocks = await installMocks('switchyard', environment);
  pulumi.runtime.setAllConfig(config, secretKeys);
  const program = await import('../../stacks/index');
  await promiseOf(program.namespace);
  await mocks.settled();
  return { program, registrations: mocks.registrations };
}

const byKey = (a: ManifestObject, b: ManifestObject): number => objectKey(a).localeCompare(objectKey(b));
function objectKey(object: ManifestObject): string {
  const metadata = object.metadata as { name?: string; namespace?: string } | undefined;
  return `${String(object.apiVersion)}/${String(object.kind)}/${metadata?.namespace ?? ''}/${metadata?.name ?? ''}`;
}

describe.each(ENVIRONMENTS)('pulumi up --stack %s (under mocks)', (environment) => {
  let program: ProgramModule;
  let registrations: Registration[];
  let chart: PlatformChart;
  const secretValues = (): string[] => [
    ...Object.values({ ...SECRET_CONFIG, ...STACK_SECRETS[environment] }),
    ...registrations.filter((r) => r.type === 'random:index/randomPassword:RandomPassword').map((r) => generatedValue(r.name)),
  ];
  const find = (predicate: (registration: Registration) => boolean): Registration[] => registrations.filter(predicate);
  const k8sObjects = (): Registration[] => find((r) => r.type.startsWith('kubernetes:') && urnName(r.parent) === 'switchyard:infra:ChartResources::platform');
  const pulumiSecrets = (): Registration[] => find((r) => r.type === 'kubernetes:core/v1:Secret' && urnName(r.parent) === 'switchyard:infra:PlatformSecrets::secrets');

  beforeAll(async () => {
    const { config, secretKeys } = stackConfig(environment);
    ({ program, registrations } = await runProgram(environment, config, secretKeys));
    chart = new PlatformChart(new App(), CHART_ID, { settings: loadPlatformSettings(environment), baseDir: REPO_ROOT });
  });

  it('registers the expected resource graph', () => {
    const graph = registrations
      .map((r) => ({
        type: r.type,
        name: r.name,
        ...(r.parent === '' ? {} : { parent: urnName(r.parent) }),
        ...(r.dependencies.length === 0 ? {} : { dependsOn: r.dependencies.map(urnName).sort() }),
      }))
      .sort((a, b) => `${a.type}::${a.name}`.localeCompare(`${b.type}::${b.name}`));
    expect(graph).toMatchSnapshot();
  });

  it('applies exactly the objects cdk8s synth renders for the environment', () => {
    // GIVEN the chart `npm run synth` renders from the same stack file
    const expected = (JSON.parse(JSON.stringify(chart.toJson())) as ManifestObject[]).sort(byKey);

    // WHEN / THEN
    const applied = k8sObjects().map((r) => unwrapSecrets(r.inputs) as ManifestObject).sort(byKey);
    expect(applied).toEqual(expected);
  });

  it('creates exactly the Secrets no secret store provides, marked secret', async () => {
    const secrets = pulumiSecrets();
    // with a secret store configured, every secret comes from it
    if (chart.settings.secrets.storeName !== undefined) expect(secrets).toEqual([]);
    expect(secrets.map((r) => (r.inputs.metadata as { name: string }).name).sort()).toEqual([...chart.externalReferences.secrets].sort());
    for (const secret of secrets) {
      expect(secret.additionalSecretOutputs).toEqual(expect.arrayContaining(['data', 'stringData']));
      const stringData = secret.inputs.stringData;
      // The whole map or each value is a serialized secret.
      const values = isSerializedSecret(stringData) ? Object.values(stringData.value as Record<string, unknown>) : Object.values(stringData as Record<string, unknown>);
      expect(values.length).toBeGreaterThan(0);
      if (!isSerializedSecret(stringData)) for (const value of values) expect(isSerializedSecret(value)).toBe(true);
    }
    if (program.masterKey !== undefined) {
      expect(await pulumi.isSecret(program.masterKey)).toBe(true);
      expect(await promiseOf(program.masterKey)).toMatch(/^sk-/);
    }
  });

  it('puts no secret value into any resource but a Secret', () => {
    const values = secretValues();
    for (const registration of registrations.filter((r) => r.type !== 'kubernetes:core/v1:Secret')) {
      const text = JSON.stringify(unwrapSecrets(registration.inputs));
      for (const value of values) expect(text, `${registration.type} ${registration.name}`).not.toContain(value);
    }
  });

  it('orders namespace → secrets → database → migration Job → gateway Deployment', () => {
    const urnsOf = (predicate: (r: Registration) => boolean): string[] => k8sObjects().filter(predicate).map((r) => r.urn);
    const labels = (r: Registration): Record<string, string> => ((r.inputs.metadata as { labels?: Record<string, string> }).labels ?? {});
    const namespace = urnsOf((r) => r.type === 'kubernetes:core/v1:Namespace');
    const secrets = [...pulumiSecrets().map((r) => r.urn), ...urnsOf((r) => r.type.startsWith('kubernetes:external-secrets.io/'))];
    const database = urnsOf((r) => r.type === 'kubernetes:postgresql.cnpg.io/v1:Cluster' || r.type === 'kubernetes:postgresql.cnpg.io/v1:Pooler');
    const jobs = urnsOf((r) => r.type === 'kubernetes:batch/v1:Job' && labels(r)['app.kubernetes.io/component'] === 'migration');
    const [gateway] = k8sObjects().filter((r) => r.type === 'kubernetes:apps/v1:Deployment' && labels(r)['app.kubernetes.io/component'] === 'gateway');
    expect(gateway).toBeDefined();

    for (const r of k8sObjects().filter((object) => object.type !== 'kubernetes:core/v1:Namespace')) expect(r.dependencies).toEqual(expect.arrayContaining(namespace));
    for (const r of pulumiSecrets()) expect(r.dependencies).toEqual(expect.arrayContaining(namespace));
    for (const urn of [...database, ...jobs, gateway?.urn]) {
      expect(registrations.find((r) => r.urn === urn)?.dependencies).toEqual(expect.arrayContaining(secrets));
    }
    for (const urn of jobs) expect(registrations.find((r) => r.urn === urn)?.dependencies).toEqual(expect.arrayContaining(database));
    expect(gateway?.dependencies).toEqual(expect.arrayContaining([...database, ...jobs]));
  });

  it('renders objects that pass the schema and platform validation, with the Pulumi-created Secrets', () => {
    const references = chart.externalReferences;
    const validator = createManifestValidator({
      sharedDir,
      defaultNamespace: chart.settings.namespace,
      externalNames: { secrets: [], secretStores: [...references.secretStores], clusterSecretStores: [...references.clusterSecretStores] },
      externalPods: chart.externalPods,
    });
    const objects = [...k8sObjects(), ...pulumiSecrets()].map((r) => unwrapSecrets(r.inputs) as ManifestObject);
    const issues = validator.validate(objects);
    expect(issues, formatManifestIssues(issues)).toEqual([]);
  });

  it('exports the gateway URL, the admin UI URL and the namespace', async () => {
    const url = await promiseOf(program.gatewayUrl);
    expect(url).toMatch(/^https?:\/\//);
    expect(await promiseOf(program.adminUiUrl)).toBe(`${url}/ui`);
    expect(await promiseOf(program.namespace)).toBe(chart.settings.namespace);
  });
});

describe('database credentials', () => {
  const clusterOf = (registrations: Registration[]): Registration | undefined => registrations.find((r) => r.type === 'kubernetes:postgresql.cnpg.io/v1:Cluster');
  const credentialsSecretOf = (registrations: Registration[]): Registration | undefined =>
    registrations.find((r) => r.type === 'kubernetes:core/v1:Secret' && (r.inputs.metadata as { name: string }).name === 'switchyard-postgres-credentials');

  it('generates the CloudNativePG owner password into a basic-auth Secret the Cluster bootstraps from (dev)', async () => {
    // GIVEN the dev stack, whose database names credentials without a secret store
    const { config, secretKeys } = stackConfig('dev');

    // WHEN
    const { registrations } = await runProgram('dev', config, secretKeys);

    // THEN Pulumi creates the Secret with the owner's name and a random password, marked secret
    const secret = credentialsSecretOf(registrations);
    expect(secret?.inputs.type).toBe('kubernetes.io/basic-auth');
    const random = registrations.find((r) => r.type === 'random:index/randomPassword:RandomPassword' && r.name.includes('postgres-credentials'));
    expect(random).toBeDefined();
    expect(unwrapSecrets(secret?.inputs.stringData)).toEqual({ username: 'switchyard', password: generatedValue(random?.name ?? '') });
    expect(JSON.stringify(secret?.inputs.stringData)).toContain(SECRET_SIGNATURE);
    // and the Cluster bootstraps from it, after it exists
    const cluster = clusterOf(registrations);
    expect((cluster?.inputs.spec as { bootstrap: unknown }).bootstrap).toEqual({
      initdb: { database: 'switchyard', owner: 'switchyard', secret: { name: 'switchyard-postgres-credentials' } },
    });
    expect(cluster?.dependencies).toContain(secret?.urn);
  });

  it('takes the password from databasePassword when it is set', async () => {
    const { config, secretKeys } = stackConfig('dev');
    const { registrations } = await runProgram('dev', { ...config, 'switchyard:databasePassword': 'test-given-db-password-81ac' }, [...secretKeys, 'switchyard:databasePassword']);
    expect(unwrapSecrets(credentialsSecretOf(registrations)?.inputs.stringData)).toEqual({ username: 'switchyard', password: 'test-given-db-password-81ac' });
    expect(registrations.some((r) => r.type === 'random:index/randomPassword:RandomPassword' && r.name.includes('postgres-credentials'))).toBe(false);
  });

  it('syncs the credentials from 1Password as a basic-auth Secret and creates none (gitops-1password)', async () => {
    const { config, secretKeys } = stackConfig('gitops-1password');
    const { registrations } = await runProgram('gitops-1password', config, secretKeys);
    expect(credentialsSecretOf(registrations)).toBeUndefined();
    const externalSecret = registrations.find((r) => r.type === 'kubernetes:external-secrets.io/v1:ExternalSecret' && (r.inputs.metadata as { name: string }).name === 'switchyard-postgres-credentials');
    const spec = externalSecret?.inputs.spec as { target: { template?: { type?: string } }; data: unknown[] };
    expect(spec.target.template?.type).toBe('kubernetes.io/basic-auth');
    expect(spec.data).toEqual([
      { secretKey: 'username', remoteRef: { key: 'switchyard-postgres', property: 'username' } },
      { secretKey: 'password', remoteRef: { key: 'switchyard-postgres', property: 'password' } },
    ]);
    expect(clusterOf(registrations)?.dependencies).toContain(externalSecret?.urn);
  });
});

describe('pulumi up with bad settings', () => {
  it('fails before any resource when a setting is wrong, naming the key and the stack file', async () => {
    // GIVEN dev's settings with a misspelt value
    const { config } = stackConfig('dev');
    const settings = JSON.parse(config['switchyard:platform'] ?? '{}') as { gateway: Record<string, unknown> };
    settings.gateway.replicas = 'two';

    // WHEN / THEN
    vi.resetModules();
    const mocks = await installMocks('switchyard', 'broken');
    pulumi.runtime.setAllConfig({ ...config, 'switchyard:platform': JSON.stringify(settings) });
    await expect(import('../../stacks/index')).rejects.toThrow(/stacks\/Pulumi\.broken\.yaml: switchyard:platform\.gateway\.replicas: invalid input: expected number/);
    await mocks.settled();
    expect(mocks.registrations).toEqual([]);
  });

  it('fails when the settings are missing', async () => {
    vi.resetModules();
    await installMocks('switchyard', 'empty');
    pulumi.runtime.setAllConfig({});
    await expect(import('../../stacks/index')).rejects.toThrow('stacks/Pulumi.empty.yaml: config.switchyard:platform is missing');
  });

  it('refuses a key without a remoteKey when a secret store is configured: Pulumi then creates no Secret', async () => {
    // GIVEN vault-eso with its master key taken out of Vault
    const { config } = stackConfig('vault-eso');
    const settings = JSON.parse(config['switchyard:platform'] ?? '{}') as { gateway: { masterKey: Record<string, unknown> } };
    settings.gateway.masterKey = { secret: 'switchyard-master-key', key: 'LITELLM_MASTER_KEY' };

    // WHEN / THEN
    vi.resetModules();
    const mocks = await installMocks('switchyard', 'vault-eso');
    pulumi.runtime.setAllConfig({ ...config, 'switchyard:platform': JSON.stringify(settings) });
    await expect(import('../../stacks/index')).rejects.toThrow(
      'stacks/Pulumi.vault-eso.yaml: switchyard:platform.secrets.storeName is vault, so every secret is synced from it and Pulumi creates none; give these keys a remoteKey: switchyard-master-key/LITELLM_MASTER_KEY',
    );
    await mocks.settled();
    expect(mocks.registrations.filter((r) => r.type === 'kubernetes:core/v1:Secret')).toEqual([]);
  });

  it('fails when a provider key has neither a remoteKey nor a secret config value', async () => {
    const { config } = stackConfig('dev');
    vi.resetModules();
    await installMocks('switchyard', 'dev');
    pulumi.runtime.setAllConfig({ 'switchyard:platform': config['switchyard:platform'] ?? '' });
    await expect(import('../../stacks/index')).rejects.toThrow(/OPENAI_API_KEY/);
  });
});

describe('pulumi up with operators and an image build', () => {
  it('installs the operators before every custom resource and builds the image before the gateway', async () => {
    // GIVEN dev with CloudNativePG installed by the stack and buildImage on
    const { config, secretKeys } = stackConfig('dev');
    const operators = [{ name: 'cnpg', chart: 'cloudnative-pg', repository: 'https://charts.example.com/cnpg', version: '0.26.0', namespace: 'cnpg-system' }];

    // WHEN
    const { registrations } = await runProgram('dev', { ...config, 'switchyard:operators': JSON.stringify(operators), 'switchyard:buildImage': 'true' }, secretKeys);

    // THEN
    const release = registrations.find((r) => r.type === 'kubernetes:helm.sh/v3:Release');
    expect(release?.inputs).toMatchObject({ name: 'cnpg', chart: 'cloudnative-pg', namespace: 'cnpg-system', createNamespace: true });
    expect(urnName(release?.parent ?? '')).toBe('switchyard:infra:OperatorReleases::operators');
    const cluster = registrations.find((r) => r.type === 'kubernetes:postgresql.cnpg.io/v1:Cluster');
    expect(cluster?.dependencies).toContain(release?.urn);
    const configMaps = registrations.filter((r) => r.type === 'kubernetes:core/v1:ConfigMap');
    for (const configMap of configMaps) expect(configMap.dependencies).not.toContain(release?.urn);
    const build = registrations.find((r) => r.type === 'docker-build:index:Image');
    expect(build?.inputs).toMatchObject({ push: true, tags: ['switchyard-gateway:0.1.0'] });
    const gateway = registrations.find((r) => r.type === 'kubernetes:apps/v1:Deployment' && r.name === 'platform-deployment-switchyard-gateway');
    expect(gateway?.dependencies).toContain(build?.urn);
    // The chart still renders the plain reference from the settings, never the build's output.
    expect(JSON.stringify(gateway?.inputs)).toContain('"image":"switchyard-gateway:0.1.0"');
  });

  it('fails when an operator entry is wrong, naming the key and the stack file', async () => {
    const { config, secretKeys } = stackConfig('dev');
    vi.resetModules();
    await installMocks('switchyard', 'dev');
    pulumi.runtime.setAllConfig({ ...config, 'switchyard:operators': JSON.stringify([{ name: 'cnpg', chart: 'cloudnative-pg', namespace: 'cnpg-system' }]) }, secretKeys);
    await expect(import('../../stacks/index')).rejects.toThrow(/stacks\/Pulumi\.dev\.yaml: switchyard:operators\[0\]\.repository: /);
  });
});
