import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';

import { PlatformChart, parseCpu, parseSize } from '../../constructs/platform-chart';
import type { PlatformSettingsInput } from '../../constructs/platform-settings';
import { ENVIRONMENTS, REPO_ROOT, loadPlatformSettings } from '../../stacks/settings';
import { objectsOf, onlyObject, validationReport } from './support/manifests';
import type { Manifest } from './support/manifests';

/** Renders one environment from its stack file. */
function renderEnvironment(environment: string): { chart: PlatformChart; manifest: Manifest } {
  const chart = new PlatformChart(Testing.app(), 'switchyard', { settings: loadPlatformSettings(environment), baseDir: REPO_ROOT });
  return { chart, manifest: Testing.synth(chart) };
}

const MINIMAL: PlatformSettingsInput = {
  namespace: 'llm',
  gateway: { image: 'switchyard-gateway:0.1.0', models: [{ name: 'a', model: 'openai/a' }] },
};

describe('PlatformChart environments', () => {
  it.each(ENVIRONMENTS)('renders %s from its stack file, every object valid (schemas, Pod Security, references, selectors)', (environment) => {
    // GIVEN / WHEN
    const { chart, manifest } = renderEnvironment(environment);

    // THEN
    expect(manifest).toMatchSnapshot();
    const report = validationReport(manifest, {
      defaultNamespace: chart.settings.namespace,
      externalNames: chart.externalReferences,
      externalPods: chart.externalPods,
    });
    expect(report).toBe('no manifest issues');
  });

  it('dev: one gateway replica, a small Postgres, standalone Valkey, no GPU', () => {
    // WHEN
    const { manifest } = renderEnvironment('dev');

    // THEN
    expect(objectsOf(manifest, 'Deployment', 'switchyard-gateway')[0]?.spec.replicas).toBe(1);
    expect(objectsOf(manifest, 'HorizontalPodAutoscaler')).toEqual([]);
    expect(onlyObject(manifest, 'Cluster').spec.instances).toBe(1);
    expect(objectsOf(manifest, 'Pooler')).toEqual([]);
    expect(onlyObject(manifest, 'StatefulSet').spec.replicas).toBe(1);
    expect(JSON.stringify(manifest)).not.toContain('nvidia.com/gpu');
    expect(objectsOf(manifest, 'ExternalSecret')).toEqual([]);
  });

  it('gitops-1password: every secret and the model list from 1Password, the cluster Ollama reachable', () => {
    // WHEN
    const { chart, manifest } = renderEnvironment('gitops-1password');

    // THEN Pulumi or anyone else creates no Secret: each is an ExternalSecret against 1Password
    expect(chart.externalReferences.secrets).toEqual([]);
    const synced = objectsOf(manifest, 'ExternalSecret').map((object) => object.metadata.name).sort();
    expect(synced).toEqual(
      ['switchyard-master-key', 'switchyard-model-list', 'switchyard-postgres-credentials', 'switchyard-provider-keys', 'switchyard-salt-key', 'switchyard-tracing', 'switchyard-valkey'].sort(),
    );
    for (const object of objectsOf(manifest, 'ExternalSecret')) expect(object.spec.secretStoreRef).toEqual({ kind: 'ClusterSecretStore', name: 'onepassword' });
    // the model list is included from the synced Secret, mounted in the gateway pod
    const config = objectsOf(manifest, 'ConfigMap').find((object) => object.data?.['models.yaml'] !== undefined)?.data['models.yaml'] as string;
    expect(config).toContain('include:\n  - /etc/switchyard-include/switchyard-model-list/models.yaml');
    const pod = objectsOf(manifest, 'Deployment', 'switchyard-gateway')[0]?.spec.template.spec;
    expect(pod.volumes).toEqual(expect.arrayContaining([{ name: 'include-0', secret: { secretName: 'switchyard-model-list', items: [{ key: 'models.yaml', path: 'models.yaml' }] } }]));
    // CloudNativePG bootstraps its owner from the synced basic-auth Secret
    expect(onlyObject(manifest, 'Cluster').spec.bootstrap.initdb.secret).toEqual({ name: 'switchyard-postgres-credentials' });
    // and the gateway may call Ollama in its namespace on 11434
    const policy = objectsOf(manifest, 'NetworkPolicy').find((object) => object.metadata.name.includes('gateway') && !object.metadata.name.includes('migration'));
    expect(policy?.spec.egress).toContainEqual({
      ports: [{ port: 11434, protocol: 'TCP' }],
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ollama' } }, podSelector: {} }],
    });
  });

  it('vault-eso: the model list in its own models.yaml from the repository, included by config.yaml', () => {
    const { chart, manifest } = renderEnvironment('vault-eso');
    const data = objectsOf(manifest, 'ConfigMap').find((object) => object.data?.['config.yaml'] !== undefined)?.data as Record<string, string>;
    expect(Object.keys(data).sort()).toEqual(['config.yaml', 'models.yaml']);
    expect(data['config.yaml']).toContain('include:\n  - models.yaml\n');
    expect(data['config.yaml']).not.toContain('model_list');
    expect(data['models.yaml']).toBe(readFileSync(join(REPO_ROOT, 'stacks/vault-eso/models.yaml'), 'utf8'));
    expect(chart.gateway.config.envReferences).toEqual(['ANTHROPIC_API_KEY', 'LITELLM_MASTER_KEY', 'OPENAI_API_KEY']);
  });

  it('names the setting when an included file is missing', () => {
    const settings: PlatformSettingsInput = { ...MINIMAL, gateway: { ...MINIMAL.gateway, includeFiles: ['stacks/nope/models.yaml'] } };
    expect(() => new PlatformChart(Testing.app(), 'switchyard', { settings, baseDir: REPO_ROOT })).toThrow('gateway.includeFiles[0]: stacks/nope/models.yaml not found');
  });

  it('prod: HA everywhere and GPU vLLM behind an InferencePool the gateway routes to', () => {
    // WHEN
    const { chart, manifest } = renderEnvironment('prod');

    // THEN
    expect(onlyObject(manifest, 'HorizontalPodAutoscaler').spec).toEqual(expect.objectContaining({ minReplicas: 3, maxReplicas: 12 }));
    expect(onlyObject(manifest, 'Cluster').spec.instances).toBe(3);
    expect(onlyObject(manifest, 'Pooler').spec.instances).toBe(2);
    expect(onlyObject(manifest, 'ScheduledBackup').spec.method).toBe('plugin');
    expect(onlyObject(manifest, 'StatefulSet').spec.replicas).toBe(3);
    expect(onlyObject(manifest, 'InferencePool').metadata.name).toBe('switchyard-llama-3-1-8b-pool');
    expect(chart.gateway.config.text).toContain('      model: hosted_vllm/llama-3.1-8b-instruct\n      api_base: http://inference-gateway.switchyard.svc/v1\n');
    expect(objectsOf(manifest, 'ExternalSecret').map((secret) => secret.metadata.name)).toEqual([
      'switchyard-master-key',
      'switchyard-salt-key',
      'switchyard-oidc',
      'switchyard-provider-keys',
      'switchyard-valkey',
      'switchyard-hf-token',
    ]);
    expect(chart.externalReferences).toEqual({ secrets: [], secretStores: [], clusterSecretStores: ['vault'] });
  });

  it('names objects after the chart, without hashes', () => {
    const { manifest } = renderEnvironment('dev');
    expect(manifest.map((object) => `${object.kind}/${object.metadata.name}`)).toContain('Deployment/switchyard-gateway');
    expect(manifest.map((object) => `${object.kind}/${object.metadata.name}`)).toContain('Service/switchyard-gateway');
  });

  it('creates the namespace with the restricted Pod Security Standard enforced', () => {
    const chart = new PlatformChart(Testing.app(), 'switchyard', { settings: MINIMAL });
    const namespace = onlyObject(Testing.synth(chart), 'Namespace');
    expect(namespace.metadata).toEqual({
      name: 'llm',
      labels: {
        'app.kubernetes.io/part-of': 'switchyard',
        'pod-security.kubernetes.io/audit': 'restricted',
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/warn': 'restricted',
      },
    });
  });

  it('fails when the model list is bad, with the models.yaml line and field', () => {
    const settings = { ...MINIMAL, gateway: { ...MINIMAL.gateway, models: [{ name: 'gpt', model: 'gpt-4o' }] } };
    expect(() => new PlatformChart(Testing.app(), 'switchyard', { settings })).toThrow(/models\.yaml:\d+:\d+ model_list\[0\]\.litellm_params\.model: must be provider\/model/);
  });

  it('fails when a Secret key is referenced twice with different remote settings', () => {
    const settings: PlatformSettingsInput = {
      ...MINIMAL,
      secrets: { storeName: 'vault' },
      gateway: {
        ...MINIMAL.gateway,
        masterKey: { secret: 'keys', key: 'MASTER', remoteKey: 'a' },
        saltKey: { secret: 'keys', key: 'MASTER', remoteKey: 'b' },
      },
    };
    expect(() => new PlatformChart(Testing.app(), 'switchyard', { settings })).toThrow('secret keys key MASTER is referenced twice with different remote settings');
  });

  it('fails when a setting is unknown', () => {
    const settings = { ...MINIMAL, gateway: { ...MINIMAL.gateway, replica: 2 } } as unknown as PlatformSettingsInput;
    expect(() => new PlatformChart(Testing.app(), 'switchyard', { settings })).toThrow(/replica/);
  });
});

describe('quantities', () => {
  it('parses CPU and sizes the way Kubernetes writes them', () => {
    expect([parseCpu('250m').amount, parseCpu('2').amount, parseCpu('0.5').amount]).toEqual(['250m', '2000m', '500m']);
    expect([parseSize('512Mi').toMebibytes(), parseSize('10Gi').toMebibytes(), parseSize('1Ti').toGibibytes()]).toEqual([512, 10240, 1024]);
  });
});

describe('oidc client secret', () => {
  it('is synced by External Secrets and reaches the gateway as GENERIC_CLIENT_SECRET, never as a value', async () => {
    // GIVEN the prod settings, which name an OIDC client secret in Vault
    const settings = loadPlatformSettings('prod');
    // WHEN the platform is synthesized
    const chart = new PlatformChart(Testing.app(), 'switchyard', { settings });
    const objects = Testing.synth(chart) as { kind: string; metadata: { name: string }; spec?: Record<string, unknown> }[];
    // THEN an ExternalSecret creates the Secret and the gateway reads it by reference
    const externalSecret = objects.find((object) => object.kind === 'ExternalSecret' && JSON.stringify(object).includes('switchyard/oidc'));
    expect(externalSecret).toBeDefined();
    const gateway = objects.find((object) => object.kind === 'Deployment' && JSON.stringify(object).includes('GENERIC_CLIENT_SECRET'));
    const env = JSON.stringify(gateway);
    expect(env).toContain('"secretKeyRef":{"key":"client_secret","name":"switchyard-oidc"}');
  });
});
