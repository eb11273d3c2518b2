import { Node } from 'constructs';
import { Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { describe, expect, it } from 'vitest';

import { ExternalPostgres, PoolMode, PostgresCluster } from '../../constructs/postgres';
import { namespacedChart, objectsOf, onlyObject, validationReport } from './support/manifests';

describe('PostgresCluster', () => {
  it('renders a CloudNativePG cluster with a pooler, backups through barman-cloud and PodMonitors', () => {
    // GIVEN
    const chart = namespacedChart();

    // WHEN
    const postgres = new PostgresCluster(chart, 'Postgres', {
      instances: 3,
      storageSize: Size.gibibytes(20),
      storageClass: 'gp3',
      backupDestinationPath: 's3://backups/switchyard',
      backupSchedule: '0 30 2 * * *',
    });
    postgres.addPodMonitor({ labels: { release: 'prometheus' } });

    // THEN
    const manifest = Testing.synth(chart);
    expect(manifest).toMatchSnapshot();
    expect(manifest.map((object) => object.kind)).toEqual(['ObjectStore', 'Cluster', 'Pooler', 'ScheduledBackup', 'PodMonitor', 'PodMonitor']);
    const cluster = onlyObject(manifest, 'Cluster');
    expect(cluster.spec.bootstrap).toEqual({ initdb: { database: 'switchyard', owner: 'switchyard' } });
    expect(cluster.spec.plugins).toEqual([
      { name: 'barman-cloud.cloudnative-pg.io', isWALArchiver: true, parameters: { barmanObjectName: postgres.objectStore?.name } },
    ]);
    expect(onlyObject(manifest, 'ObjectStore').spec.configuration.s3Credentials).toEqual({ inheritFromIAMRole: true });
    expect(onlyObject(manifest, 'ScheduledBackup').spec).toEqual({
      backupOwnerReference: 'self',
      cluster: { name: postgres.name },
      method: 'plugin',
      pluginConfiguration: { name: 'barman-cloud.cloudnative-pg.io' },
      schedule: '0 30 2 * * *',
    });
    expect(validationReport(manifest)).toBe('no manifest issues');
  });

  it("gives the gateway LiteLLM's DATABASE_* variables through the pooler, from the operator's app secret", () => {
    // GIVEN
    const chart = namespacedChart('llm');

    // WHEN
    const postgres = new PostgresCluster(chart, 'Postgres', { database: 'gateway', owner: 'gateway' });

    // THEN the password stays in the Secret: no URL is assembled from it in the manifest
    const env = postgres.gatewayConnection().env.map((variable) => [variable.name, variable.value.value ?? variable.value.valueFrom]);
    expect(env).toEqual([
      ['DATABASE_HOST', `${postgres.pooler?.name}.llm.svc:5432`],
      ['DATABASE_USERNAME', { secretKeyRef: { key: 'username', name: `${postgres.name}-app` } }],
      ['DATABASE_PASSWORD', { secretKeyRef: { key: 'password', name: `${postgres.name}-app` } }],
      ['DATABASE_NAME', 'gateway'],
    ]);
    // and migrations bypass PgBouncer, straight to the primary
    expect(postgres.migrationConnection().env.find((variable) => variable.name === 'DATABASE_HOST')?.value.value).toBe(`${postgres.name}-rw.llm.svc:5432`);
  });

  it('goes straight to the primary when there is no pooler', () => {
    const chart = namespacedChart('llm');
    const postgres = new PostgresCluster(chart, 'Postgres', { pooler: false });
    expect(postgres.gatewayConnection().env.find((variable) => variable.name === 'DATABASE_HOST')?.value.value).toBe(`${postgres.name}-rw.llm.svc:5432`);
    expect(objectsOf(Testing.synth(chart), 'Pooler')).toEqual([]);
  });

  it('bootstraps the owner from a credentials Secret it is given, and the gateway reads that Secret', () => {
    // GIVEN a basic-auth Secret made by Pulumi or External Secrets
    const chart = namespacedChart('llm');
    const credentials = kplus.Secret.fromSecretName(chart, 'Credentials', 'switchyard-postgres-credentials');

    // WHEN
    const postgres = new PostgresCluster(chart, 'Postgres', { credentials });

    // THEN CloudNativePG reads it at initdb, and every connection reads it too (never <cluster>-app)
    const cluster = onlyObject(Testing.synth(chart), 'Cluster');
    expect(cluster.spec.bootstrap.initdb).toEqual({ database: 'switchyard', owner: 'switchyard', secret: { name: 'switchyard-postgres-credentials' } });
    const secretNames = [postgres.gatewayConnection(), postgres.migrationConnection()]
      .flatMap((connection) => connection.env)
      .map((variable) => variable.value.valueFrom?.secretKeyRef?.name)
      .filter((name) => name !== undefined);
    expect(new Set(secretNames)).toEqual(new Set(['switchyard-postgres-credentials']));
  });

  it('uses transaction pooling when asked', () => {
    const chart = namespacedChart();
    new PostgresCluster(chart, 'Postgres', { poolMode: PoolMode.TRANSACTION });
    expect(onlyObject(Testing.synth(chart), 'Pooler').spec.pgbouncer.poolMode).toBe('transaction');
  });

  it('reads object store credentials from a Secret when given', () => {
    const chart = namespacedChart();
    const secret = kplus.Secret.fromSecretName(chart, 'S3', 's3-credentials');
    new PostgresCluster(chart, 'Postgres', {
      backupDestinationPath: 's3://b/p',
      backupEndpointUrl: 'https://minio.storage.svc:9000',
      backupAccessKeyId: { secret, key: 'ACCESS_KEY_ID' },
      backupSecretAccessKey: { secret, key: 'SECRET_ACCESS_KEY' },
    });
    const store = onlyObject(Testing.synth(chart), 'ObjectStore').spec.configuration;
    expect(store.endpointURL).toBe('https://minio.storage.svc:9000');
    expect(store.s3Credentials).toEqual({
      accessKeyId: { key: 'ACCESS_KEY_ID', name: 's3-credentials' },
      secretAccessKey: { key: 'SECRET_ACCESS_KEY', name: 's3-credentials' },
    });
  });

  it('exposes the Cluster as its default child', () => {
    const postgres = new PostgresCluster(namespacedChart(), 'Postgres');
    expect(Node.of(postgres).defaultChild).toBe(postgres.cluster);
  });

  it('fails when the backup schedule has five fields', () => {
    expect(() => new PostgresCluster(namespacedChart(), 'Postgres', { backupDestinationPath: 's3://b/p', backupSchedule: '0 3 * * *' })).toThrow(
      "backupSchedule must have six fields, seconds first (CloudNativePG's cron format), e.g. '0 0 3 * * *', got \"0 3 * * *\"",
    );
  });

  it('fails when backup settings come without a destination', () => {
    expect(() => new PostgresCluster(namespacedChart(), 'Postgres', { backupSchedule: '0 0 3 * * *' })).toThrow('backup settings need backupDestinationPath');
  });

  it('fails when only one half of the access key is given', () => {
    const chart = namespacedChart();
    const secret = kplus.Secret.fromSecretName(chart, 'S3', 's3');
    expect(() => new PostgresCluster(chart, 'Postgres', { backupDestinationPath: 's3://b/p', backupAccessKeyId: { secret, key: 'id' } })).toThrow(
      'backupAccessKeyId and backupSecretAccessKey go together',
    );
  });

  it('fails when the database name is not an identifier', () => {
    expect(() => new PostgresCluster(namespacedChart(), 'Postgres', { database: 'my-db' })).toThrow('database must be a lowercase SQL identifier');
  });

  it('fails when instances is zero', () => {
    expect(() => new PostgresCluster(namespacedChart(), 'Postgres', { instances: 0 })).toThrow('instances must be a whole number of at least 1, got 0');
  });
});

describe('ExternalPostgres', () => {
  it('passes the URL from a Secret and allows egress to its addresses', () => {
    // GIVEN
    const chart = namespacedChart();

    // WHEN
    const database = ExternalPostgres.fromDatabaseUrlSecret(chart, 'Database', 'rds-credentials');

    // THEN
    const connection = database.gatewayConnection();
    expect(connection.env.map((variable) => [variable.name, variable.value.valueFrom])).toEqual([
      ['DATABASE_URL', { secretKeyRef: { key: 'DATABASE_URL', name: 'rds-credentials' } }],
    ]);
    expect(connection.egress[0]?.ports.map((port) => [port._toKube().port?.value, port._toKube().protocol])).toEqual([[5432, 'TCP']]);
    expect(Testing.synth(chart)).toEqual([]);
  });

  it('fails when the CIDR is not one', () => {
    const chart = namespacedChart();
    const secret = kplus.Secret.fromSecretName(chart, 'Url', 'url');
    expect(() => new ExternalPostgres(chart, 'Database', { databaseUrl: { secret, key: 'url' }, cidr: '10.0.0.0' })).toThrow('cidr must be an IPv4 CIDR');
  });
});
