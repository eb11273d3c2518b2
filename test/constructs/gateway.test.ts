import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { Node } from 'constructs';
import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { describe, expect, it } from 'vitest';

import { loadConfigFile } from '../../gateway/config';
import { Gateway, GatewayMigrations } from '../../constructs/gateway';
import { PostgresCluster } from '../../constructs/postgres';
import { Valkey } from '../../constructs/valkey';
import { namespacedChart, objectsOf, onlyObject, validationReport } from './support/manifests';

const IMAGE = 'switchyard-gateway:0.1.0';

function keys(chart: ReturnType<typeof namespacedChart>) {
  const secret = kplus.Secret.fromSecretName(chart, 'Keys', 'provider-keys');
  return { secret, openai: kplus.EnvValue.fromSecretValue({ secret, key: 'OPENAI_API_KEY' }) };
}

describe('Gateway includes from Secrets', () => {
  it('mounts each included Secret key where the config says, so the gateway in the pod reads it', () => {
    // GIVEN a model list kept in a Secret (synced by External Secrets, say)
    const chart = namespacedChart();
    const modelList = kplus.Secret.fromSecretName(chart, 'ModelList', 'switchyard-model-list');
    const { openai } = keys(chart);

    // WHEN
    const gateway = new Gateway(chart, 'Gateway', {
      image: IMAGE,
      models: [{ name: 'inline', model: 'openai/gpt-4o-mini', apiKeyEnv: 'OPENAI_API_KEY' }],
      includes: [{ value: { secret: modelList, key: 'models.yaml' } }, { value: { secret: modelList, key: 'team-b' }, fileName: 'team-b.yaml' }],
      env: { OPENAI_API_KEY: openai },
    });

    // THEN the pod mounts each key read-only, at the path the config includes
    const manifest = Testing.synth(chart);
    const pod = onlyObject(manifest, 'Deployment').spec.template.spec;
    const configText = onlyObject(manifest, 'ConfigMap').data[gateway.configFileName] as string;
    const files = new Map<string, string>();
    for (const mount of pod.containers[0].volumeMounts as { name: string; mountPath: string; readOnly?: boolean }[]) {
      const volume = (pod.volumes as { name: string; secret?: { secretName: string; items: { key: string; path: string }[] } }[]).find((v) => v.name === mount.name);
      if (volume?.secret === undefined) continue;
      expect(mount.readOnly).toBe(true);
      expect(volume.secret.secretName).toBe('switchyard-model-list');
      for (const item of volume.secret.items) files.set(`${mount.mountPath}/${item.path}`, item.key);
    }
    expect(files).toEqual(
      new Map([
        ['/etc/switchyard-include/switchyard-model-list/models.yaml', 'models.yaml'],
        ['/etc/switchyard-include/switchyard-model-list-1/team-b.yaml', 'team-b'],
      ]),
    );
    expect(configText).toContain('include:\n  - /etc/switchyard-include/switchyard-model-list/models.yaml\n  - /etc/switchyard-include/switchyard-model-list-1/team-b.yaml\n');

    // and the gateway's loader, given that file system, serves the inline and the included models
    const root = mkdtempSync(join(tmpdir(), 'switchyard-pod-'));
    try {
      const secretData: Record<string, string> = {
        'models.yaml': 'model_list:\n  - model_name: llama3.1\n    litellm_params: { model: ollama/llama3.1:8b, api_base: http://ollama.ollama.svc:11434 }\n',
        'team-b': 'model_list:\n  - model_name: team-b\n    litellm_params: { model: openai/gpt-4o, api_key: os.environ/OPENAI_API_KEY }\n',
      };
      for (const [path, key] of files) {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), secretData[key] ?? '');
      }
      const configPath = join(root, 'etc/switchyard', gateway.configFileName);
      mkdirSync(dirname(configPath), { recursive: true });
      writeFileSync(configPath, configText.replaceAll('/etc/switchyard-include/', `${root}/etc/switchyard-include/`));
      const loaded = loadConfigFile(configPath, { env: { OPENAI_API_KEY: 'sk-test' } });
      expect(loaded.deployments.map((deployment) => deployment.modelName)).toEqual(['inline', 'llama3.1', 'team-b']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    expect(validationReport(manifest, { externalNames: { secrets: ['switchyard-model-list', 'provider-keys'] } })).toBe('no manifest issues');
  });

  it('refuses a file name that is not a plain .yaml name, and a key included twice', () => {
    const chart = namespacedChart();
    const secret = kplus.Secret.fromSecretName(chart, 'ModelList', 'models');
    const gateway = new Gateway(chart, 'Gateway', { image: IMAGE, includes: [{ value: { secret, key: 'models.yaml' } }] });
    expect(() => gateway.addInclude({ value: { secret, key: 'list' } })).toThrow(/plain \.yaml file name.*set fileName/);
    expect(() => gateway.addInclude({ value: { secret, key: 'models.yaml' }, fileName: '../x.yaml' })).toThrow(/plain \.yaml file name/);
    expect(() => gateway.addInclude({ value: { secret, key: 'models.yaml' }, fileName: 'again.yaml' })).toThrow('secret models key models.yaml is included twice');
  });
});

describe('Gateway', () => {
  it('renders a hardened gateway with config, service, budget, autoscaler and policy', () => {
    // GIVEN
    const chart = namespacedChart();
    const { secret, openai } = keys(chart);

    // WHEN
    new Gateway(chart, 'Gateway', {
      image: IMAGE,
      models: [{ name: 'gpt-4o-mini', model: 'openai/gpt-4o-mini', apiKeyEnv: 'OPENAI_API_KEY' }],
      env: { OPENAI_API_KEY: openai },
      masterKey: { secret, key: 'master-key' },
    });

    // THEN
    const manifest = Testing.synth(chart);
    expect(manifest).toMatchSnapshot();
    expect(manifest.map((object) => object.kind)).toEqual([
      'ServiceAccount',
      'ConfigMap',
      'Deployment',
      'Service',
      'PodDisruptionBudget',
      'HorizontalPodAutoscaler',
      'NetworkPolicy',
    ]);
    expect(validationReport(manifest, { externalNames: { secrets: ['provider-keys'] } })).toBe('no manifest issues');
  });

  it('runs as the image user under the restricted standard, with probes and a writable /tmp', () => {
    // GIVEN
    const chart = namespacedChart();

    // WHEN
    new Gateway(chart, 'Gateway', { image: IMAGE });

    // THEN
    const pod = onlyObject(Testing.synth(chart), 'Deployment').spec.template.spec;
    const container = pod.containers[0];
    expect(pod.securityContext).toEqual({ fsGroup: 65532, fsGroupChangePolicy: 'OnRootMismatch', runAsGroup: 65532, runAsNonRoot: true, runAsUser: 65532 });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsGroup: 65532,
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health/liveliness', port: 4000, scheme: 'HTTP' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/health/readiness', port: 4000, scheme: 'HTTP' });
    expect(container.startupProbe.httpGet.path).toBe('/health/liveliness');
    expect(container.volumeMounts).toEqual([
      { mountPath: '/etc/switchyard', name: 'config', readOnly: true },
      { mountPath: '/tmp', name: 'tmp' },
    ]);
    expect(pod.topologySpreadConstraints.map((constraint: { topologyKey: string }) => constraint.topologyKey)).toEqual([
      'topology.kubernetes.io/zone',
      'kubernetes.io/hostname',
    ]);
  });

  it('rolls the pods when the model list changes (checksum annotation)', () => {
    // GIVEN
    const checksum = (models: { name: string; model: string }[]) => {
      const chart = namespacedChart();
      new Gateway(chart, 'Gateway', { image: IMAGE, models });
      return onlyObject(Testing.synth(chart), 'Deployment').spec.template.metadata.annotations['checksum/config'] as string;
    };

    // WHEN
    const before = checksum([{ name: 'a', model: 'openai/a' }]);
    const after = checksum([{ name: 'a', model: 'openai/b' }]);

    // THEN
    expect(before).toMatch(/^[a-f0-9]{64}$/);
    expect(after).not.toBe(before);
    expect(checksum([{ name: 'a', model: 'openai/a' }])).toBe(before);
  });

  it('includes models added after construction in the config', () => {
    // GIVEN
    const chart = namespacedChart();
    const gateway = new Gateway(chart, 'Gateway', { image: IMAGE });

    // WHEN
    gateway.addModel({ name: 'later', model: 'openai/gpt-4o' });

    // THEN
    const configMap = onlyObject(Testing.synth(chart), 'ConfigMap');
    expect(configMap.data['models.yaml']).toContain('model_name: later');
  });

  it('wires Postgres and Valkey, runs migrations in a Job named by checksum, and allows exactly their ports', () => {
    // GIVEN
    const chart = namespacedChart();
    const password = { secret: kplus.Secret.fromSecretName(chart, 'ValkeyPassword', 'valkey'), key: 'password' };
    const database = new PostgresCluster(chart, 'Postgres', { instances: 1 });
    const cache = new Valkey(chart, 'Valkey', { password });

    // WHEN
    const gateway = new Gateway(chart, 'Gateway', { image: IMAGE, database, cache, models: [{ name: 'a', model: 'openai/a' }] });

    // THEN
    const manifest = Testing.synth(chart);
    const env = objectsOf(manifest, 'Deployment')[0]?.spec.template.spec.containers[0].env.map((variable: { name: string }) => variable.name);
    expect(env).toEqual([
      'PORT', 'HOST', 'CONFIG_FILE_PATH', 'LOG_LEVEL', 'DATABASE_HOST', 'DATABASE_USERNAME', 'DATABASE_PASSWORD', 'DATABASE_NAME', 'REDIS_HOST', 'REDIS_PORT', 'REDIS_PASSWORD',
    ]);
    const job = onlyObject(manifest, 'Job');
    expect(job.metadata.name).toMatch(/^test-gateway-migration-[a-f0-9]{10}$/);
    expect(job.spec.template.spec.containers[0].args).toEqual(['migrate']);
    expect(job.spec.template.spec.containers[0].env).toEqual([
      { name: 'DATABASE_HOST', value: `${database.name}-rw.switchyard.svc:5432` },
      { name: 'DATABASE_USERNAME', valueFrom: { secretKeyRef: { key: 'username', name: `${database.name}-app` } } },
      { name: 'DATABASE_PASSWORD', valueFrom: { secretKeyRef: { key: 'password', name: `${database.name}-app` } } },
      { name: 'DATABASE_NAME', value: 'switchyard' },
    ]);
    const policy = objectsOf(manifest, 'NetworkPolicy', gateway.networkPolicy?.name)[0];
    const egressPorts = policy?.spec.egress.map((rule: { ports: { port: number; protocol: string }[] }) => rule.ports.map((port) => `${port.protocol}/${port.port}`).join(','));
    expect(egressPorts).toEqual(['UDP/53,TCP/53', 'TCP/443', 'TCP/443', 'TCP/5432', 'TCP/6379']);
    expect(validationReport(manifest, { externalNames: { secrets: ['valkey'] } })).toBe('no manifest issues');
  });

  it('names a new migration Job when the config changes', () => {
    const jobName = (model: string) => {
      const chart = namespacedChart();
      new Gateway(chart, 'Gateway', { image: IMAGE, database: new PostgresCluster(chart, 'Postgres'), models: [{ name: 'a', model }] });
      return onlyObject(Testing.synth(chart), 'Job').metadata.name as string;
    };
    expect(jobName('openai/a')).not.toBe(jobName('openai/b'));
  });

  it('runs migrations in an init container when asked', () => {
    // GIVEN
    const chart = namespacedChart();

    // WHEN
    new Gateway(chart, 'Gateway', { image: IMAGE, database: new PostgresCluster(chart, 'Postgres'), migrations: GatewayMigrations.INIT_CONTAINER });

    // THEN
    const manifest = Testing.synth(chart);
    expect(objectsOf(manifest, 'Job')).toEqual([]);
    expect(onlyObject(manifest, 'Deployment').spec.template.spec.initContainers.map((container: { name: string; args: string[] }) => [container.name, container.args])).toEqual([
      ['migrate', ['migrate']],
    ]);
  });

  it('keeps a fixed replica count without an autoscaler when maxReplicas equals replicas', () => {
    // GIVEN
    const chart = namespacedChart();

    // WHEN
    new Gateway(chart, 'Gateway', { image: IMAGE, replicas: 1, maxReplicas: 1 });

    // THEN
    const manifest = Testing.synth(chart);
    expect(objectsOf(manifest, 'HorizontalPodAutoscaler')).toEqual([]);
    expect(onlyObject(manifest, 'Deployment').spec.replicas).toBe(1);
  });

  it('leaves the replica count to the autoscaler when it scales', () => {
    const chart = namespacedChart();
    new Gateway(chart, 'Gateway', { image: IMAGE, replicas: 2, maxReplicas: 8, targetCpuUtilizationPercent: 60 });
    const manifest = Testing.synth(chart);
    expect(onlyObject(manifest, 'Deployment').spec.replicas).toBeUndefined();
    const hpa = onlyObject(manifest, 'HorizontalPodAutoscaler');
    expect([hpa.spec.minReplicas, hpa.spec.maxReplicas, hpa.spec.metrics[0].resource.target.averageUtilization]).toEqual([2, 8, 60]);
  });

  it('admits traffic only from the ingress controller, Prometheus and named client namespaces', () => {
    const chart = namespacedChart();
    new Gateway(chart, 'Gateway', { image: IMAGE, ingressControllerNamespace: 'traefik', prometheusNamespace: 'observability', clientNamespaces: ['apps'] });
    const policy = onlyObject(Testing.synth(chart), 'NetworkPolicy');
    expect(policy.spec.ingress.map((rule: { from: { namespaceSelector: { matchLabels: Record<string, string> } }[] }) => rule.from[0]?.namespaceSelector.matchLabels['kubernetes.io/metadata.name'])).toEqual([
      'traefik',
      'observability',
      'apps',
    ]);
  });

  it('exposes the Deployment as its default child', () => {
    const chart = namespacedChart();
    const gateway = new Gateway(chart, 'Gateway', { image: IMAGE });
    expect(Node.of(gateway).defaultChild).toBe(gateway.deployment);
  });

  it('fails when a model is invalid, with the models.yaml line and field', () => {
    // GIVEN
    const chart = namespacedChart();

    // WHEN / THEN
    expect(() => new Gateway(chart, 'Gateway', { image: IMAGE, models: [{ name: 'gpt', model: 'gpt-4o' }] })).toThrow(
      /models\.yaml:\d+:\d+ model_list\[0\]\.litellm_params\.model: must be provider\/model/,
    );
  });

  it('fails when the model list reads a variable the container does not set', () => {
    const chart = namespacedChart();
    new Gateway(chart, 'Gateway', { image: IMAGE, models: [{ name: 'a', model: 'openai/a', apiKeyEnv: 'OPENAI_API_KEY' }] });
    expect(() => Testing.synth(chart)).toThrow('the model list reads os.environ/OPENAI_API_KEY, which the gateway container does not set');
  });

  it('fails when maxReplicas is below replicas', () => {
    expect(() => new Gateway(namespacedChart(), 'Gateway', { image: IMAGE, replicas: 4, maxReplicas: 2 })).toThrow('maxReplicas (2) must be at least replicas (4)');
  });

  it('fails when migrations are asked for without a database', () => {
    expect(() => new Gateway(namespacedChart(), 'Gateway', { image: IMAGE, migrations: GatewayMigrations.JOB })).toThrow('migrations job needs a database');
  });

  it('fails when generalSettings repeats what a prop writes', () => {
    const chart = namespacedChart();
    const secret = kplus.Secret.fromSecretName(chart, 'Key', 'key');
    expect(() => new Gateway(chart, 'Gateway', { image: IMAGE, masterKey: { secret, key: 'k' }, generalSettings: { master_key: 'sk-1' } })).toThrow(
      'generalSettings.master_key is written by the masterKey prop; remove it from generalSettings',
    );
  });

  it('fails when the image is not an image reference', () => {
    expect(() => new Gateway(namespacedChart(), 'Gateway', { image: 'switchyard gateway' })).toThrow('image must be an image reference');
  });

  it('fails when an environment variable is set twice', () => {
    const gateway = new Gateway(namespacedChart(), 'Gateway', { image: IMAGE });
    expect(() => gateway.addEnv('PORT', kplus.EnvValue.fromValue('1'))).toThrow('environment variable PORT is already set on the gateway');
  });
});
