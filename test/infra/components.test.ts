// The infra/ components under mocks: setMocks in beforeAll, a fresh import in beforeEach, promiseOf.

import * as pulumi from '@pulumi/pulumi';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

import { generatedValue, installMocks, isSerializedSecret, promiseOf, urnName } from './pulumi-mocks';
import type { Registration } from './pulumi-mocks';
import type * as InfraExports from '../../infra';

type Infra = typeof InfraExports;

const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'llm' } };
const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'llm' }, data: { a: 'b' } };
const cluster = { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name: 'pg', namespace: 'llm', labels: { 'app.kubernetes.io/component': 'database' } }, spec: { instances: 1 } };
const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate', namespace: 'llm', labels: { 'app.kubernetes.io/component': 'migration' } }, spec: {} };
const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'gw', namespace: 'llm', labels: { 'app.kubernetes.io/component': 'gateway' } }, spec: {} };
const externalSecret = { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'keys', namespace: 'llm' }, spec: {} };

let infra: Infra;
let registrations: Registration[];
let settled: () => Promise<void>;

beforeAll(async () => {
  ({ registrations, settled } = await installMocks('switchyard', 'test'));
});

beforeEach(async () => {
  registrations.length = 0;
  vi.resetModules();
  infra = await import('../../infra');
});

const named = (name: string): Registration | undefined => registrations.find((r) => r.name === name);
const depsOf = (name: string): string[] => (named(name)?.dependencies ?? []).map((urn) => urnName(urn).split('::')[1] ?? '').sort();

describe('ChartResources', () => {
  it('applies each object as its own resource, in order', async () => {
    // GIVEN
    const chart = new infra.ChartResources('app', { objects: [deployment, job, cluster, configMap, externalSecret, namespace] });

    // WHEN
    await promiseOf(chart.objectKeys);
    await settled();

    // THEN
    expect(registrations.map((r) => r.type).sort()).toEqual([
      'kubernetes:apps/v1:Deployment',
      'kubernetes:batch/v1:Job',
      'kubernetes:core/v1:ConfigMap',
      'kubernetes:core/v1:Namespace',
      'kubernetes:external-secrets.io/v1:ExternalSecret',
      'kubernetes:postgresql.cnpg.io/v1:Cluster',
      'switchyard:infra:ChartResources',
    ]);
    expect(depsOf('app-namespace-llm')).toEqual([]);
    expect(depsOf('app-externalsecret-keys')).toEqual(['app-namespace-llm']);
    expect(depsOf('app-configmap-cfg')).toEqual(['app-externalsecret-keys', 'app-namespace-llm']);
    expect(depsOf('app-cluster-pg')).toEqual(['app-externalsecret-keys', 'app-namespace-llm']);
    expect(depsOf('app-job-migrate')).toEqual(['app-cluster-pg', 'app-externalsecret-keys', 'app-namespace-llm']);
    expect(depsOf('app-deployment-gw')).toEqual(['app-cluster-pg', 'app-externalsecret-keys', 'app-job-migrate', 'app-namespace-llm']);
    expect(urnName(named('app-configmap-cfg')?.parent ?? '')).toBe('switchyard:infra:ChartResources::app');
  });

  it('classifies objects into stages', () => {
    expect([namespace, externalSecret, cluster, job, deployment, configMap].map(infra.chartObjectStage)).toEqual(['namespace', 'secret', 'database', 'migration', 'gateway', 'other']);
  });

  it('fails when an object has no name', () => {
    expect(() => new infra.ChartResources('bad', { objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }] })).toThrow('chart object v1 ConfigMap has no metadata.name');
  });

  it('fails when an object appears twice', () => {
    expect(() => new infra.ChartResources('twice', { objects: [configMap, configMap] })).toThrow('chart object v1/ConfigMap/cfg appears twice');
  });
});

describe('PlatformSecrets', () => {
  it('generates an sk- master key and passwords, takes given values, and marks every value secret', async () => {
    // GIVEN
    const secrets = new infra.PlatformSecrets('s', {
      namespace: 'llm',
      keys: [
        { secret: 'master', key: 'LITELLM_MASTER_KEY', generate: 'master-key' },
        { secret: 'salt', key: 'LITELLM_SALT_KEY', generate: 'password' },
        { secret: 'providers', key: 'OPENAI_API_KEY', value: pulumi.secret('sk-test-given') },
      ],
    });

    // WHEN
    const values = await promiseOf(secrets.values);
    await settled();

    // THEN
    expect(values).toEqual({
      'master/LITELLM_MASTER_KEY': `sk-${generatedValue('s-master-litellm-master-key')}`,
      'salt/LITELLM_SALT_KEY': generatedValue('s-salt-litellm-salt-key'),
      'providers/OPENAI_API_KEY': 'sk-test-given',
    });
    expect(await pulumi.isSecret(secrets.values)).toBe(true);
    const created = registrations.filter((r) => r.type === 'kubernetes:core/v1:Secret');
    expect(created.map((r) => (r.inputs.metadata as { name: string }).name).sort()).toEqual(['master', 'providers', 'salt']);
    for (const secret of created) {
      expect(secret.additionalSecretOutputs).toEqual(expect.arrayContaining(['data', 'stringData']));
      const stringData = secret.inputs.stringData as Record<string, unknown>;
      expect(isSerializedSecret(stringData) || Object.values(stringData).every(isSerializedSecret)).toBe(true);
    }
  });

  it('fails when a key synced by External Secrets is passed', () => {
    expect(() => new infra.PlatformSecrets('r', { namespace: 'llm', keys: [{ secret: 'keys', key: 'A', remoteKey: 'vault/a' }] })).toThrow('is synced by External Secrets');
  });

  it('fails when a key has neither a value nor a way to generate it', () => {
    expect(() => new infra.PlatformSecrets('n', { namespace: 'llm', keys: [{ secret: 'keys', key: 'A' }] })).toThrow('secret keys key A has no value');
  });
});

describe('GatewayImage', () => {
  it('uses an existing image as is', async () => {
    const image = new infra.GatewayImage('existing', { image: `switchyard-gateway@sha256:${'a'.repeat(64)}` });
    expect(await promiseOf(image.ref)).toBe(`switchyard-gateway@sha256:${'a'.repeat(64)}`);
    await settled();
    expect(registrations.map((r) => r.type)).toEqual(['switchyard:infra:GatewayImage']);
  });

  it('builds gateway/Dockerfile from the context and pushes it under the tag', async () => {
    const image = new infra.GatewayImage('built', { image: 'switchyard-gateway:0.1.0', build: true, contextPath: '.' });
    expect(await promiseOf(image.ref)).toBe(`switchyard-gateway:0.1.0@sha256:${'0'.repeat(64)}`);
    await settled();
    const build = registrations.find((r) => r.type === 'docker-build:index:Image');
    expect(build?.inputs).toMatchObject({ context: { location: '.' }, dockerfile: { location: './gateway/Dockerfile' }, push: true, tags: ['switchyard-gateway:0.1.0'] });
  });

  it('fails when asked to build an image pinned by digest', () => {
    expect(() => new infra.GatewayImage('digest', { image: `switchyard-gateway@sha256:${'a'.repeat(64)}`, build: true, contextPath: '.' })).toThrow('a digest is the result of a build');
  });
});
