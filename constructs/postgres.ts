// The gateway's database: a CloudNativePG cluster run in the namespace (PostgresCluster), or an
// existing database reached through a connection URL kept in a Secret (ExternalPostgres).
//
// DATABASE_URL with CloudNativePG: the operator writes the application user's credentials to the
// `<cluster>-app` Secret (keys `username`, `password`, `host`, `port`, `dbname`, `uri`, …). Its `uri`
// points at the `<cluster>-rw` Service, straight to the primary. With a pooler, the gateway connects
// through PgBouncer instead: DATABASE_URL is built in the pod as
// `postgresql://<owner>:$(DATABASE_PASSWORD)@<pooler>:5432/<database>`, Kubernetes expanding
// `$(DATABASE_PASSWORD)` from the same Secret. The password is used unescaped in the URL, which is safe
// for passwords CloudNativePG generates (letters and digits); supply your own only if it is URL-safe.
// Migrations always use `uri` (a direct session), because they hold a session-level advisory lock.
//
// @see https://cloudnative-pg.io/documentation/current/applications/
// @see https://cloudnative-pg.io/documentation/current/connection_pooling/
// @see https://cloudnative-pg.io/plugin-barman-cloud/docs/usage/

import { Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';

import type { GatewayConnection, GatewayEgressRule, IGatewayDatabase } from './connections';
import { ObjectStore, ObjectStoreSpecConfigurationDataCompression, ObjectStoreSpecConfigurationWalCompression } from './imports/barman-objectstore-barmancloud.cnpg.io';
import { Cluster, ClusterSpecResourcesLimits, ClusterSpecResourcesRequests } from './imports/cnpg-cluster-postgresql.cnpg.io';
import {
  Pooler,
  PoolerSpecPgbouncerPoolMode,
  PoolerSpecTemplateSpecContainersResourcesLimits,
  PoolerSpecTemplateSpecContainersResourcesRequests,
  PoolerSpecType,
} from './imports/cnpg-pooler-postgresql.cnpg.io';
import { ScheduledBackup, ScheduledBackupSpecBackupOwnerReference, ScheduledBackupSpecMethod } from './imports/cnpg-scheduledbackup-postgresql.cnpg.io';
import type { PodMonitor } from './imports/prom-podmonitor-monitoring.coreos.com';
import { createPodMonitor } from './monitoring';
import type { PodMonitorOptions } from './monitoring';
import { addLabels, componentLabels, serviceHost } from './workload-defaults';

/** The barman-cloud plugin's name, as CloudNativePG knows it. */
const BARMAN_PLUGIN = 'barman-cloud.cloudnative-pg.io';
const POSTGRES_PORT = 5432;
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** How PgBouncer shares server connections between clients. */
export enum PoolMode {
  /** A server connection per client session: safe for advisory locks, LISTEN and prepared statements. */
  SESSION = 'session',
  /** A server connection per transaction: more clients per connection; needs transaction-safe clients. */
  TRANSACTION = 'transaction',
}

/** Properties of a {@link PostgresCluster}. */
export interface PostgresClusterProps {
  /**
   * The Cluster's name (also the prefix of its Services and Secrets).
   * @default - generated from the construct path
   */
  readonly name?: string;
  /**
   * PostgreSQL instances: one primary and `instances - 1` streaming replicas.
   * @default 3
   */
  readonly instances?: number;
  /**
   * The PostgreSQL image.
   * @default - the operator's default image for its version
   */
  readonly imageName?: string;
  /**
   * Volume size per instance.
   * @default Size.gibibytes(10)
   */
  readonly storageSize?: Size;
  /**
   * The storage class of the volumes.
   * @default - the cluster's default storage class
   */
  readonly storageClass?: string;
  /**
   * CPU and memory per instance.
   * @default - requests 250m CPU and 512Mi, limits 1 CPU and 512Mi
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * The application database created at bootstrap.
   * @default 'switchyard'
   */
  readonly database?: string;
  /**
   * The role that owns it (the gateway connects as this role).
   * @default 'switchyard'
   */
  readonly owner?: string;
  /**
   * PostgreSQL parameters (`postgresql.conf`).
   * @default - the operator's defaults
   */
  readonly parameters?: Record<string, string>;
  /**
   * Whether the gateway connects through a PgBouncer Pooler.
   * @default true
   */
  readonly pooler?: boolean;
  /**
   * PgBouncer pods.
   * @default 2
   */
  readonly poolerInstances?: number;
  /**
   * PgBouncer's pool mode.
   * @default PoolMode.SESSION
   */
  readonly poolMode?: PoolMode;
  /**
   * Where backups go, e.g. `s3://bucket/switchyard`; enables WAL archiving and scheduled base backups
   * through the barman-cloud plugin.
   * @default - no backups
   */
  readonly backupDestinationPath?: string;
  /**
   * The object store's endpoint, for S3-compatible stores other than AWS.
   * @default - AWS S3
   */
  readonly backupEndpointUrl?: string;
  /**
   * The access key id for the object store.
   * @default - credentials from the pod's IAM role (IRSA / workload identity)
   */
  readonly backupAccessKeyId?: kplus.SecretValue;
  /**
   * The secret access key for the object store; goes with `backupAccessKeyId`.
   * @default - credentials from the pod's IAM role
   */
  readonly backupSecretAccessKey?: kplus.SecretValue;
  /**
   * How long backups are kept (`30d`, `4w`, `6m`).
   * @default '30d'
   */
  readonly backupRetentionPolicy?: string;
  /**
   * When base backups run, as a six-field cron expression with seconds first.
   * @default '0 0 3 * * *'
   */
  readonly backupSchedule?: string;
}

function quantity(value: kplus.Cpu | Size): string {
  return value instanceof Size ? `${value.toMebibytes()}Mi` : value.amount;
}

/**
 * A highly available PostgreSQL for the gateway, run by CloudNativePG: Cluster, optional PgBouncer
 * Pooler, backups to an object store via the barman-cloud plugin, and PodMonitors.
 */
export class PostgresCluster extends Construct implements IGatewayDatabase {
  /** The Cluster's name. */
  readonly name: string;
  /** The Cluster. */
  readonly cluster: Cluster;
  /** The PgBouncer Pooler, unless disabled. Its Service has the Pooler's name. */
  readonly pooler?: Pooler;
  /** The object store backups go to, when configured. */
  readonly objectStore?: ObjectStore;
  /** The scheduled base backup, when backups are configured. */
  readonly scheduledBackup?: ScheduledBackup;
  /** The application database. */
  readonly database: string;
  /** The role that owns it. */
  readonly owner: string;
  /** The Secret CloudNativePG writes the application credentials to (`<cluster>-app`). */
  readonly appSecret: kplus.ISecret;
  /** Labels of the PostgreSQL pods. */
  readonly podLabels: Record<string, string>;
  /** Labels of the PgBouncer pods, with a pooler. */
  readonly poolerPodLabels?: Record<string, string>;
  private readonly primaryEgress: GatewayEgressRule;
  private readonly poolerEgress?: GatewayEgressRule;

  constructor(scope: Construct, id: string, props: PostgresClusterProps = {}) {
    super(scope, id);
    const instances = props.instances ?? 3;
    if (!Number.isInteger(instances) || instances < 1) throw new Error(`instances must be a whole number of at least 1, got ${instances}`);
    this.database = props.database ?? 'switchyard';
    this.owner = props.owner ?? 'switchyard';
    if (!IDENTIFIER.test(this.database)) throw new Error(`database must be a lowercase SQL identifier (letters, digits, _), got ${JSON.stringify(this.database)}`);
    if (!IDENTIFIER.test(this.owner)) throw new Error(`owner must be a lowercase SQL identifier (letters, digits, _), got ${JSON.stringify(this.owner)}`);
    if (props.name !== undefined && !/^[a-z]([-a-z0-9]{0,48}[a-z0-9])?$/.test(props.name)) {
      throw new Error(`name must be a DNS label of at most 50 characters (CloudNativePG adds suffixes), got ${JSON.stringify(props.name)}`);
    }
    const storageSize = props.storageSize ?? Size.gibibytes(10);
    if (storageSize.toMebibytes() < 1024) throw new Error(`storageSize must be at least 1Gi, got ${storageSize.toMebibytes()}Mi`);
    if ((props.backupAccessKeyId === undefined) !== (props.backupSecretAccessKey === undefined)) {
      throw new Error('backupAccessKeyId and backupSecretAccessKey go together; set both, or neither to use the IAM role');
    }
    const backups = props.backupDestinationPath !== undefined;
    if (!backups && (props.backupAccessKeyId !== undefined || props.backupEndpointUrl !== undefined || props.backupSchedule !== undefined)) {
      throw new Error('backup settings need backupDestinationPath (e.g. s3://bucket/switchyard); set it or drop the other backup settings');
    }
    if (props.backupDestinationPath !== undefined && !/^(s3|gs|https?):\/\/\S+$/.test(props.backupDestinationPath)) {
      throw new Error(`backupDestinationPath must be an object store URL such as s3://bucket/path, got ${JSON.stringify(props.backupDestinationPath)}`);
    }
    const schedule = props.backupSchedule ?? '0 0 3 * * *';
    if (schedule.trim().split(/\s+/).length !== 6) {
      throw new Error(`backupSchedule must have six fields, seconds first (CloudNativePG's cron format), e.g. '0 0 3 * * *', got ${JSON.stringify(schedule)}`);
    }
    const retention = props.backupRetentionPolicy ?? '30d';
    if (!/^[1-9][0-9]*[dwm]$/.test(retention)) throw new Error(`backupRetentionPolicy must be a number and d, w or m (e.g. 30d), got ${JSON.stringify(retention)}`);

    const resources = props.resources ?? {
      cpu: { request: kplus.Cpu.millis(250), limit: kplus.Cpu.units(1) },
      memory: { request: Size.mebibytes(512), limit: Size.mebibytes(512) },
    };
    const requests: Record<string, ClusterSpecResourcesRequests> = {};
    const limits: Record<string, ClusterSpecResourcesLimits> = {};
    if (resources.cpu?.request) requests['cpu'] = ClusterSpecResourcesRequests.fromString(quantity(resources.cpu.request));
    if (resources.memory?.request) requests['memory'] = ClusterSpecResourcesRequests.fromString(quantity(resources.memory.request));
    if (resources.cpu?.limit) limits['cpu'] = ClusterSpecResourcesLimits.fromString(quantity(resources.cpu.limit));
    if (resources.memory?.limit) limits['memory'] = ClusterSpecResourcesLimits.fromString(quantity(resources.memory.limit));

    if (backups && props.backupDestinationPath !== undefined) {
      this.objectStore = new ObjectStore(this, 'ObjectStore', {
        metadata: {},
        spec: {
          retentionPolicy: retention,
          configuration: {
            destinationPath: props.backupDestinationPath,
            ...(props.backupEndpointUrl === undefined ? {} : { endpointUrl: props.backupEndpointUrl }),
            s3Credentials:
              props.backupAccessKeyId !== undefined && props.backupSecretAccessKey !== undefined
                ? {
                    accessKeyId: { name: props.backupAccessKeyId.secret.name, key: props.backupAccessKeyId.key },
                    secretAccessKey: { name: props.backupSecretAccessKey.secret.name, key: props.backupSecretAccessKey.key },
                  }
                : { inheritFromIamRole: true },
            wal: { compression: ObjectStoreSpecConfigurationWalCompression.GZIP },
            data: { compression: ObjectStoreSpecConfigurationDataCompression.GZIP },
          },
        },
      });
    }

    this.cluster = new Cluster(this, 'Resource', {
      metadata: props.name === undefined ? {} : { name: props.name },
      spec: {
        instances,
        ...(props.imageName === undefined ? {} : { imageName: props.imageName }),
        storage: { size: quantity(storageSize), ...(props.storageClass === undefined ? {} : { storageClass: props.storageClass }) },
        resources: { requests, limits },
        bootstrap: { initdb: { database: this.database, owner: this.owner } },
        ...(props.parameters === undefined ? {} : { postgresql: { parameters: props.parameters } }),
        ...(this.objectStore === undefined
          ? {}
          : { plugins: [{ name: BARMAN_PLUGIN, isWalArchiver: true, parameters: { barmanObjectName: this.objectStore.name } }] }),
      },
    });
    this.name = this.cluster.name;
    this.podLabels = { 'cnpg.io/cluster': this.name };
    // CloudNativePG names the application Secret `<cluster>-app`; this is its contract, not ours.
    this.appSecret = kplus.Secret.fromSecretName(this, 'AppSecret', `${this.name}-app`);
    this.primaryEgress = {
      peer: kplus.Pods.select(this, 'InstancePods', { labels: this.podLabels }),
      ports: [kplus.NetworkPolicyPort.tcp(POSTGRES_PORT)],
    };

    if (props.pooler ?? true) {
      const poolerInstances = props.poolerInstances ?? 2;
      if (!Number.isInteger(poolerInstances) || poolerInstances < 1) {
        throw new Error(`poolerInstances must be a whole number of at least 1, got ${poolerInstances}`);
      }
      this.pooler = new Pooler(this, 'Pooler', {
        metadata: {},
        spec: {
          cluster: { name: this.name },
          instances: poolerInstances,
          type: PoolerSpecType.RW,
          pgbouncer: {
            poolMode: props.poolMode === PoolMode.TRANSACTION ? PoolerSpecPgbouncerPoolMode.TRANSACTION : PoolerSpecPgbouncerPoolMode.SESSION,
            parameters: { max_client_conn: '1000', default_pool_size: '20' },
          },
          template: {
            spec: {
              containers: [
                {
                  name: 'pgbouncer',
                  resources: {
                    requests: {
                      cpu: PoolerSpecTemplateSpecContainersResourcesRequests.fromString('50m'),
                      memory: PoolerSpecTemplateSpecContainersResourcesRequests.fromString('64Mi'),
                    },
                    limits: {
                      cpu: PoolerSpecTemplateSpecContainersResourcesLimits.fromString('500m'),
                      memory: PoolerSpecTemplateSpecContainersResourcesLimits.fromString('256Mi'),
                    },
                  },
                },
              ],
            },
          },
        },
      });
      this.poolerPodLabels = { 'cnpg.io/poolerName': this.pooler.name };
      this.poolerEgress = {
        peer: kplus.Pods.select(this, 'PoolerPods', { labels: this.poolerPodLabels }),
        ports: [kplus.NetworkPolicyPort.tcp(POSTGRES_PORT)],
      };
    }

    if (this.objectStore !== undefined) {
      this.scheduledBackup = new ScheduledBackup(this, 'ScheduledBackup', {
        metadata: {},
        spec: {
          cluster: { name: this.name },
          schedule,
          method: ScheduledBackupSpecMethod.PLUGIN,
          pluginConfiguration: { name: BARMAN_PLUGIN },
          backupOwnerReference: ScheduledBackupSpecBackupOwnerReference.SELF,
        },
      });
    }
    const owned = [this.cluster, this.pooler, this.objectStore, this.scheduledBackup].filter((object) => object !== undefined);
    addLabels(componentLabels('postgresql', 'database', this.name), ...owned);
  }

  /** Through the pooler when there is one, else straight to the primary. */
  gatewayConnection(): GatewayConnection {
    if (this.pooler === undefined || this.poolerEgress === undefined) return this.migrationConnection();
    const host = serviceHost(this, this.pooler.name);
    return {
      env: [
        { name: 'DATABASE_PASSWORD', value: kplus.EnvValue.fromSecretValue({ secret: this.appSecret, key: 'password' }) },
        { name: 'DATABASE_URL', value: kplus.EnvValue.fromValue(`postgresql://${this.owner}:$(DATABASE_PASSWORD)@${host}:${POSTGRES_PORT}/${this.database}`) },
      ],
      egress: [this.poolerEgress],
    };
  }

  /** The operator's `uri`: a direct session to the primary. */
  migrationConnection(): GatewayConnection {
    return {
      env: [{ name: 'DATABASE_URL', value: kplus.EnvValue.fromSecretValue({ secret: this.appSecret, key: 'uri' }) }],
      egress: [this.primaryEgress],
    };
  }

  /** Scrapes the PostgreSQL exporter (and PgBouncer's, with a pooler). Returns the PodMonitors. */
  addPodMonitor(options: PodMonitorOptions = {}): PodMonitor[] {
    const monitors = [createPodMonitor(this, 'PodMonitor', { ...options, podLabels: this.podLabels, portName: 'metrics' })];
    if (this.poolerPodLabels !== undefined) {
      monitors.push(createPodMonitor(this, 'PoolerPodMonitor', { ...options, podLabels: this.poolerPodLabels, portName: 'metrics' }));
    }
    return monitors;
  }
}

/** Properties of an {@link ExternalPostgres}. */
export interface ExternalPostgresProps {
  /** The Secret key holding the connection URL (`postgresql://user:password@host:5432/db`). */
  readonly databaseUrl: kplus.SecretValue;
  /**
   * The URL migrations use, when it differs (e.g. direct to the primary, bypassing a pooler).
   * @default - databaseUrl
   */
  readonly migrationDatabaseUrl?: kplus.SecretValue;
  /**
   * The addresses the database is at, for the gateway's NetworkPolicy.
   * @default '0.0.0.0/0'
   */
  readonly cidr?: string;
  /**
   * The database's port, for the NetworkPolicy.
   * @default 5432
   */
  readonly port?: number;
}

/** An existing PostgreSQL (a managed service, or one run elsewhere), referenced by a Secret. */
export class ExternalPostgres extends Construct implements IGatewayDatabase {
  private readonly props: ExternalPostgresProps;
  private readonly egress: GatewayEgressRule;

  /** A database whose URL is key `key` of the Secret named `secretName`. */
  static fromDatabaseUrlSecret(scope: Construct, id: string, secretName: string, key = 'DATABASE_URL'): ExternalPostgres {
    const holder = new Construct(scope, `${id}Secret`);
    return new ExternalPostgres(scope, id, { databaseUrl: { secret: kplus.Secret.fromSecretName(holder, 'Resource', secretName), key } });
  }

  constructor(scope: Construct, id: string, props: ExternalPostgresProps) {
    super(scope, id);
    const cidr = props.cidr ?? '0.0.0.0/0';
    if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(cidr)) throw new Error(`cidr must be an IPv4 CIDR such as 10.20.0.0/16, got ${JSON.stringify(cidr)}`);
    const port = props.port ?? POSTGRES_PORT;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`port must be 1-65535, got ${port}`);
    this.props = props;
    this.egress = { peer: kplus.NetworkPolicyIpBlock.ipv4(this, 'Address', cidr), ports: [kplus.NetworkPolicyPort.tcp(port)] };
  }

  gatewayConnection(): GatewayConnection {
    return { env: [{ name: 'DATABASE_URL', value: kplus.EnvValue.fromSecretValue(this.props.databaseUrl) }], egress: [this.egress] };
  }

  migrationConnection(): GatewayConnection {
    const url = this.props.migrationDatabaseUrl ?? this.props.databaseUrl;
    return { env: [{ name: 'DATABASE_URL', value: kplus.EnvValue.fromSecretValue(url) }], egress: [this.egress] };
  }
}
