// The whole platform for one environment, composed from one typed settings object (see
// platform-settings.ts): namespace, secrets, database, Valkey, model servers and inference pools, the
// gateway wired to all of them, ingress and monitoring. `stacks/synth.ts` renders it per environment
// with `cdk8s synth`; the Pulumi program applies the same chart, so both paths render the same objects.

import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';

import { ApiObject, Chart, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';

import type { IGatewayCache, IGatewayDatabase, IModelServer } from './connections';
import { Gateway, GatewayMigrations } from './gateway';
import type { GatewayConfigFile } from './gateway-config';
import { InferencePool } from './inference-pool';
import { GatewayHttpRoute, GatewayIngress, IngressController } from './ingress';
import { Monitoring } from './monitoring';
import { NimDeployment, NimService } from './nim';
import { databaseCredentialKeys, platformSettingsSchema } from './platform-settings';
import type { PlatformSettings, PlatformSettingsInput, ResourcesSettings, SecretKeySettings } from './platform-settings';
import { ExternalPostgres, PoolMode, PostgresCluster } from './postgres';
import { SecretStoreKind, Secrets } from './secrets';
import type { ManagedSecret, SecretKeyOptions } from './secrets';
import { Valkey, ValkeyMode } from './valkey';
import { VllmServer } from './vllm';
import { PART_OF } from './workload-defaults';

/** Properties of a {@link PlatformChart}. */
export interface PlatformChartProps {
  /** The environment's settings, as written in its stack file; validated and defaulted here. */
  readonly settings: PlatformSettingsInput;
  /**
   * The folder `gateway.includeFiles` paths are relative to (the repository root).
   * @default - the working directory
   */
  readonly baseDir?: string;
}

/** Pods another controller creates that the chart's selectors target (for validation). */
export interface ExternalPodDeclaration {
  readonly namespace?: string;
  readonly labels: Record<string, string>;
  readonly description: string;
}

/** Objects the chart references but another tool creates (for validation). */
export interface ExternalReferences {
  readonly secrets: readonly string[];
  readonly secretStores: readonly string[];
  readonly clusterSecretStores: readonly string[];
}

/** `250m` → 250 millicores, `2` → 2 cores. */
export function parseCpu(quantity: string): kplus.Cpu {
  return quantity.endsWith('m') ? kplus.Cpu.millis(Number(quantity.slice(0, -1))) : kplus.Cpu.millis(Math.round(Number(quantity) * 1000));
}

/** `512Mi`, `10Gi`, `1Ti` → a Size. */
export function parseSize(quantity: string): Size {
  const match = /^([0-9]+)(Mi|Gi|Ti)$/.exec(quantity);
  if (match === null) throw new Error(`expected a size such as 512Mi or 10Gi, got ${JSON.stringify(quantity)}`);
  const amount = Number(match[1]);
  return match[2] === 'Mi' ? Size.mebibytes(amount) : match[2] === 'Gi' ? Size.gibibytes(amount) : Size.tebibytes(amount);
}

function toResources(settings: ResourcesSettings | undefined): kplus.ContainerResources | undefined {
  if (settings === undefined) return undefined;
  return {
    cpu: { request: parseCpu(settings.cpuRequest), limit: parseCpu(settings.cpuLimit) },
    memory: { request: parseSize(settings.memoryRequest), limit: parseSize(settings.memoryLimit) },
  };
}

function optionalSize(quantity: string | undefined): Size | undefined {
  return quantity === undefined ? undefined : parseSize(quantity);
}

function optionalSeconds(seconds: number | undefined): Duration | undefined {
  return seconds === undefined ? undefined : Duration.seconds(seconds);
}

/** Every Secret key the settings reference, with the Secret type a synced Secret needs. */
function secretReferences(settings: PlatformSettings): { ref: SecretKeySettings; type?: string }[] {
  const refs: { ref: SecretKeySettings; type?: string }[] = [];
  const add = (ref: SecretKeySettings | undefined, type?: string): void => {
    if (ref !== undefined) refs.push(type === undefined ? { ref } : { ref, type });
  };
  add(settings.gateway.masterKey);
  add(settings.gateway.saltKey);
  add(settings.gateway.oidcClientSecret);
  for (const key of settings.gateway.providerKeys) add(key);
  for (const include of settings.gateway.includes) {
    const { fileName: _fileName, ...ref } = include;
    add(ref);
  }
  if (settings.database?.type === 'cloudnative-pg') {
    if (settings.database.credentials !== undefined) {
      const { username, password } = databaseCredentialKeys(settings.database.credentials);
      add(username, 'kubernetes.io/basic-auth');
      add(password, 'kubernetes.io/basic-auth');
    }
    add(settings.database.backup?.accessKeyId);
    add(settings.database.backup?.secretAccessKey);
  } else if (settings.database?.type === 'external') {
    add(settings.database.url);
    add(settings.database.migrationUrl);
  }
  add(settings.valkey?.password);
  add(settings.monitoring?.metricsBearerToken);
  for (const server of settings.vllm) add(server.hfToken);
  for (const server of settings.nim) {
    add(server.ngcApiKey);
    add(server.imagePullSecret, 'kubernetes.io/dockerconfigjson');
  }
  return refs;
}

/** The platform, for one environment. */
export class PlatformChart extends Chart {
  /** The validated settings, defaults applied. */
  readonly settings: PlatformSettings;
  /** The namespace, when the chart creates it. */
  readonly namespaceObject?: kplus.Namespace;
  /** Every Secret the platform reads. */
  readonly secrets: Secrets;
  readonly database?: PostgresCluster | ExternalPostgres;
  readonly valkey?: Valkey;
  readonly vllmServers: readonly VllmServer[];
  readonly inferencePools: readonly InferencePool[];
  readonly nimServers: readonly (NimService | NimDeployment)[];
  readonly gateway: Gateway;
  readonly ingress?: GatewayIngress | GatewayHttpRoute;
  readonly monitoring?: Monitoring;
  private readonly managedSecrets = new Map<string, ManagedSecret>();
  private readonly baseDir: string;

  constructor(scope: Construct, id: string, props: PlatformChartProps) {
    const settings = platformSettingsSchema.parse(props.settings);
    super(scope, id, { namespace: settings.namespace, disableResourceNameHashes: true, labels: { 'app.kubernetes.io/part-of': PART_OF } });
    this.settings = settings;
    this.baseDir = props.baseDir ?? process.cwd();

    if (settings.createNamespace) {
      this.namespaceObject = new kplus.Namespace(this, 'Namespace', {
        metadata: {
          name: settings.namespace,
          labels: {
            'pod-security.kubernetes.io/enforce': 'restricted',
            'pod-security.kubernetes.io/audit': 'restricted',
            'pod-security.kubernetes.io/warn': 'restricted',
          },
        },
      });
      // A Namespace is cluster-scoped; the chart's default namespace does not apply to it.
      ApiObject.of(this.namespaceObject).addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    }

    this.secrets = new Secrets(this, 'Secrets', {
      ...(settings.secrets.storeName === undefined ? {} : { storeName: settings.secrets.storeName }),
      storeKind: settings.secrets.storeKind === 'SecretStore' ? SecretStoreKind.SECRET_STORE : SecretStoreKind.CLUSTER_SECRET_STORE,
      ...(settings.secrets.refreshIntervalSeconds === undefined ? {} : { refreshInterval: Duration.seconds(settings.secrets.refreshIntervalSeconds) }),
    });
    this.declareSecrets(secretReferences(settings));

    this.database = this.createDatabase(settings);
    this.valkey = this.createValkey(settings);
    const modelServers: IModelServer[] = [];
    const vllmServers: VllmServer[] = [];
    const inferencePools: InferencePool[] = [];
    for (const server of settings.vllm) {
      const vllm = new VllmServer(this, server.name, {
        model: server.model,
        servedModelName: server.servedModelName,
        gatewayModelName: server.gatewayModelName,
        image: server.image,
        replicas: server.replicas,
        tensorParallelSize: server.tensorParallelSize,
        maxModelLen: server.maxModelLen,
        gpuMemoryUtilization: server.gpuMemoryUtilization,
        enablePrefixCaching: server.enablePrefixCaching,
        extraArgs: server.extraArgs,
        hfToken: server.hfToken === undefined ? undefined : this.secretValue(server.hfToken),
        modelCacheSize: optionalSize(server.modelCacheSize),
        modelCacheStorageClass: server.modelCacheStorageClass,
        modelCacheClaimName: server.modelCacheClaimName,
        sharedMemorySize: optionalSize(server.sharedMemorySize),
        gpuResourceName: server.gpuResourceName,
        gpuNodeSelector: server.gpuNodeSelector,
        gpuTolerationKeys: server.gpuTolerationKeys,
        runtimeClassName: server.runtimeClassName,
        resources: toResources(server.resources),
        startupTimeout: optionalSeconds(server.startupTimeoutSeconds),
      });
      vllmServers.push(vllm);
      if (server.inferencePool === undefined) {
        modelServers.push(vllm);
        continue;
      }
      const pool = server.inferencePool;
      const inferencePool = new InferencePool(this, `${server.name}-pool`, {
        backend: vllm,
        endpointPickerImage: pool.endpointPickerImage,
        gatewayName: pool.gatewayName,
        gatewayNamespace: pool.gatewayNamespace,
        gatewayClassName: pool.gatewayClassName,
        gatewayUrl: pool.gatewayUrl,
        endpointPickerReplicas: pool.endpointPickerReplicas,
        failOpen: pool.failOpen,
        requestTimeout: optionalSeconds(pool.requestTimeoutSeconds),
      });
      inferencePools.push(inferencePool);
      modelServers.push(inferencePool);
    }
    const nimServers: (NimService | NimDeployment)[] = [];
    for (const server of settings.nim) {
      const options = {
        image: server.image,
        model: server.model,
        gatewayModelName: server.gatewayModelName,
        ngcApiKeySecret: this.secretValue(server.ngcApiKey).secret,
        imagePullSecret: this.secretValue(server.imagePullSecret).secret,
        replicas: server.replicas,
        gpus: server.gpus,
        modelCacheSize: optionalSize(server.modelCacheSize),
        modelCacheStorageClass: server.modelCacheStorageClass,
        modelCacheClaimName: server.modelCacheClaimName,
        sharedMemorySize: optionalSize(server.sharedMemorySize),
        gpuResourceName: server.gpuResourceName,
        gpuNodeSelector: server.gpuNodeSelector,
        gpuTolerationKeys: server.gpuTolerationKeys,
        runtimeClassName: server.runtimeClassName,
        resources: toResources(server.resources),
      };
      const nim =
        server.deployment === 'operator'
          ? new NimService(this, server.name, options)
          : new NimDeployment(this, server.name, { ...options, startupTimeout: optionalSeconds(server.startupTimeoutSeconds) });
      nimServers.push(nim);
      modelServers.push(nim);
    }
    this.vllmServers = vllmServers;
    this.inferencePools = inferencePools;
    this.nimServers = nimServers;

    this.gateway = this.createGateway(settings, this.database, this.valkey, modelServers);
    this.ingress = this.createIngress(settings, this.gateway);
    this.monitoring = this.createMonitoring(settings);
  }

  /** Objects the chart references that another tool creates: Secrets without a `remoteKey`, and the External Secrets store. */
  get externalReferences(): ExternalReferences {
    const store = this.settings.secrets.storeName;
    const kind = this.settings.secrets.storeKind;
    return {
      secrets: this.secrets.externalNames,
      secretStores: store !== undefined && kind === 'SecretStore' ? [store] : [],
      clusterSecretStores: store !== undefined && kind === 'ClusterSecretStore' ? [store] : [],
    };
  }

  /** Pods other controllers create that the chart's selectors target (NIM operator, Gateway API data planes). */
  get externalPods(): readonly ExternalPodDeclaration[] {
    const pods: ExternalPodDeclaration[] = [];
    for (const [index, server] of this.settings.nim.entries()) {
      const nim = this.nimServers[index];
      if (server.deployment === 'operator' && nim instanceof NimService) {
        pods.push({ labels: nim.podLabels, description: `pods of NIMService ${nim.name} (created by the NIM operator)` });
      }
    }
    for (const server of this.settings.vllm) {
      const pool = server.inferencePool;
      if (pool === undefined) continue;
      pods.push({
        ...(pool.gatewayNamespace === undefined ? {} : { namespace: pool.gatewayNamespace }),
        labels: { 'gateway.networking.k8s.io/gateway-name': pool.gatewayName },
        description: `data plane pods of Gateway ${pool.gatewayName} (created by the Gateway API implementation)`,
      });
    }
    return pods;
  }

  private declareSecrets(refs: readonly { ref: SecretKeySettings; type?: string }[]): void {
    const bySecret = new Map<string, { keys: Map<string, SecretKeyOptions>; type?: string }>();
    for (const { ref, type } of refs) {
      const entry = bySecret.get(ref.secret) ?? { keys: new Map<string, SecretKeyOptions>() };
      if (type !== undefined) entry.type = type;
      const options: SecretKeyOptions = {
        key: ref.key,
        ...(ref.remoteKey === undefined ? {} : { remoteKey: ref.remoteKey }),
        ...(ref.remoteProperty === undefined ? {} : { remoteProperty: ref.remoteProperty }),
        ...(ref.remoteVersion === undefined ? {} : { remoteVersion: ref.remoteVersion }),
      };
      const existing = entry.keys.get(ref.key);
      if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(options)) {
        throw new Error(`secret ${ref.secret} key ${ref.key} is referenced twice with different remote settings; make them the same`);
      }
      entry.keys.set(ref.key, options);
      bySecret.set(ref.secret, entry);
    }
    for (const [name, entry] of bySecret) {
      const synced = [...entry.keys.values()].some((key) => key.remoteKey !== undefined);
      this.managedSecrets.set(
        name,
        this.secrets.addSecret(name, { name, keys: [...entry.keys.values()], ...(entry.type !== undefined && synced ? { type: entry.type } : {}) }),
      );
    }
  }

  private secretValue(ref: SecretKeySettings): kplus.SecretValue {
    const secret = this.managedSecrets.get(ref.secret);
    if (secret === undefined) throw new Error(`secret ${ref.secret} was not declared; this is a bug in secretReferences()`);
    return secret.value(ref.key);
  }

  private createDatabase(settings: PlatformSettings): PostgresCluster | ExternalPostgres | undefined {
    const database = settings.database;
    if (database === undefined) return undefined;
    if (database.type === 'external') {
      return new ExternalPostgres(this, 'Postgres', {
        databaseUrl: this.secretValue(database.url),
        migrationDatabaseUrl: database.migrationUrl === undefined ? undefined : this.secretValue(database.migrationUrl),
        cidr: database.cidr,
        port: database.port,
      });
    }
    const backup = database.backup;
    return new PostgresCluster(this, 'Postgres', {
      instances: database.instances,
      imageName: database.imageName,
      storageSize: parseSize(database.storageSize),
      storageClass: database.storageClass,
      resources: toResources(database.resources),
      database: database.database,
      owner: database.owner,
      credentials: database.credentials === undefined ? undefined : this.managedSecrets.get(database.credentials.secret)?.secret,
      parameters: database.parameters,
      pooler: database.pooler.enabled,
      poolerInstances: database.pooler.instances,
      poolMode: database.pooler.poolMode === 'transaction' ? PoolMode.TRANSACTION : PoolMode.SESSION,
      backupDestinationPath: backup?.destinationPath,
      backupEndpointUrl: backup?.endpointUrl,
      backupAccessKeyId: backup?.accessKeyId === undefined ? undefined : this.secretValue(backup.accessKeyId),
      backupSecretAccessKey: backup?.secretAccessKey === undefined ? undefined : this.secretValue(backup.secretAccessKey),
      backupRetentionPolicy: backup?.retentionPolicy,
      backupSchedule: backup?.schedule,
    });
  }

  private createValkey(settings: PlatformSettings): Valkey | undefined {
    const valkey = settings.valkey;
    if (valkey === undefined) return undefined;
    return new Valkey(this, 'Valkey', {
      password: this.secretValue(valkey.password),
      mode: valkey.mode === 'sentinel' ? ValkeyMode.SENTINEL : ValkeyMode.STANDALONE,
      image: valkey.image,
      storageSize: optionalSize(valkey.storageSize),
      storageClass: valkey.storageClass,
      resources: toResources(valkey.resources),
      metrics: valkey.metrics,
    });
  }

  private createGateway(
    settings: PlatformSettings,
    database: IGatewayDatabase | undefined,
    cache: IGatewayCache | undefined,
    modelServers: readonly IModelServer[],
  ): Gateway {
    const gateway = settings.gateway;
    const env: Record<string, kplus.EnvValue> = {};
    for (const [name, value] of Object.entries(gateway.env ?? {})) env[name] = kplus.EnvValue.fromValue(value);
    for (const key of gateway.providerKeys) env[key.env ?? key.key] = kplus.EnvValue.fromSecretValue(this.secretValue(key));
    if (gateway.oidcClientSecret) env.GENERIC_CLIENT_SECRET = kplus.EnvValue.fromSecretValue(this.secretValue(gateway.oidcClientSecret));
    let result: Gateway;
    try {
      result = this.newGateway(settings, env, database, cache);
    } catch (error) {
      // The config lists the settings' models first, in order, so point there too.
      if (error instanceof Error && error.message.startsWith('the gateway config') && gateway.models.length > 0) {
        error.message += `\n(model_list[0] to model_list[${gateway.models.length - 1}] are gateway.models[0] to gateway.models[${gateway.models.length - 1}] of the platform settings)`;
      }
      throw error;
    }
    for (const server of modelServers) result.addModelServer(server);
    settings.networkPolicy.modelEgress.forEach((rule, index) => {
      const namespaces = kplus.Namespaces.select(this, `ModelEgress${index}Namespace`, { names: [rule.namespace] });
      result.addEgress({
        peer: rule.podLabels === undefined ? namespaces : kplus.Pods.select(this, `ModelEgress${index}Pods`, { labels: rule.podLabels, namespaces }),
        ports: rule.ports.map((port) => kplus.NetworkPolicyPort.tcp(port)),
      });
    });
    return result;
  }

  private newGateway(
    settings: PlatformSettings,
    env: Record<string, kplus.EnvValue>,
    database: IGatewayDatabase | undefined,
    cache: IGatewayCache | undefined,
  ): Gateway {
    const gateway = settings.gateway;
    const migrations = {
      job: GatewayMigrations.JOB,
      'init-container': GatewayMigrations.INIT_CONTAINER,
      none: GatewayMigrations.NONE,
    } as const;
    return new Gateway(this, 'Gateway', {
      image: gateway.image,
      replicas: gateway.replicas,
      maxReplicas: gateway.maxReplicas,
      targetCpuUtilizationPercent: gateway.targetCpuUtilizationPercent,
      resources: toResources(gateway.resources),
      logLevel: gateway.logLevel,
      migrations: gateway.migrations === undefined ? undefined : migrations[gateway.migrations],
      configFileName: gateway.configFileName,
      models: gateway.models,
      files: this.readIncludeFiles(gateway.includeFiles),
      includes: gateway.includes.map((include) => ({
        value: this.secretValue(include),
        ...(include.fileName === undefined ? {} : { fileName: include.fileName }),
      })),
      litellmSettings: gateway.litellmSettings,
      routerSettings: gateway.routerSettings,
      generalSettings: gateway.generalSettings,
      masterKey: gateway.masterKey === undefined ? undefined : this.secretValue(gateway.masterKey),
      saltKey: gateway.saltKey === undefined ? undefined : this.secretValue(gateway.saltKey),
      env,
      database,
      cache,
      networkPolicy: settings.networkPolicy.enabled,
      ingressControllerNamespace: settings.networkPolicy.ingressControllerNamespace,
      prometheusNamespace: settings.networkPolicy.prometheusNamespace,
      clientNamespaces: settings.networkPolicy.clientNamespaces,
      providerEgress: settings.networkPolicy.providerEgress,
    });
  }

  /** The `gateway.includeFiles`, read from the repository. */
  private readIncludeFiles(paths: readonly string[]): GatewayConfigFile[] {
    return paths.map((path, index) => {
      try {
        return { fileName: basename(path), text: readFileSync(resolve(this.baseDir, path), 'utf8') };
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new Error(`gateway.includeFiles[${index}]: ${path} ${code === 'ENOENT' ? 'not found' : `cannot be read (${code ?? String(error)})`} (paths are relative to ${this.baseDir === process.cwd() ? 'the working directory' : 'the repository root'})`);
      }
    });
  }

  private createIngress(settings: PlatformSettings, gateway: Gateway): GatewayIngress | GatewayHttpRoute | undefined {
    const ingress = settings.ingress;
    if (ingress === undefined) return undefined;
    if (ingress.type === 'httproute') {
      return new GatewayHttpRoute(this, 'Route', {
        gateway,
        parentGatewayName: ingress.parentGatewayName,
        parentGatewayNamespace: ingress.parentGatewayNamespace,
        sectionName: ingress.sectionName,
        hostnames: ingress.hostnames,
        requestTimeout: optionalSeconds(ingress.requestTimeoutSeconds),
      });
    }
    return new GatewayIngress(this, 'Ingress', {
      gateway,
      host: ingress.host,
      controller: ingress.controller === 'traefik' ? IngressController.TRAEFIK : IngressController.NGINX,
      className: ingress.className,
      clusterIssuer: ingress.clusterIssuer,
      issuer: ingress.issuer,
      tls: ingress.tls,
      tlsSecretName: ingress.tlsSecretName,
      requestTimeoutSeconds: ingress.requestTimeoutSeconds,
      maxRequestBodyMiB: ingress.maxRequestBodyMiB,
    });
  }

  private createMonitoring(settings: PlatformSettings): Monitoring | undefined {
    const monitoring = settings.monitoring;
    if (monitoring === undefined || !monitoring.enabled) return undefined;
    const podMonitorOptions = {
      ...(monitoring.labels === undefined ? {} : { labels: monitoring.labels }),
      ...(monitoring.scrapeIntervalSeconds === undefined ? {} : { interval: Duration.seconds(monitoring.scrapeIntervalSeconds) }),
    };
    const postgres = this.database instanceof PostgresCluster && settings.database?.type === 'cloudnative-pg' && settings.database.monitoring ? this.database : undefined;
    postgres?.addPodMonitor(podMonitorOptions);
    if (this.valkey !== undefined && settings.valkey?.metrics) this.valkey.addPodMonitor(podMonitorOptions);
    for (const server of this.vllmServers) server.addPodMonitor(podMonitorOptions);
    for (const pool of this.inferencePools) pool.addPodMonitor(podMonitorOptions);
    return new Monitoring(this, 'Monitoring', {
      gateway: this.gateway,
      labels: monitoring.labels,
      scrapeInterval: optionalSeconds(monitoring.scrapeIntervalSeconds),
      errorRatePercent: monitoring.errorRatePercent,
      latencyP95Seconds: monitoring.latencyP95Seconds,
      metricsBearerToken: monitoring.metricsBearerToken === undefined ? undefined : this.secretValue(monitoring.metricsBearerToken),
      postgresClusterName: postgres?.name,
    });
  }
}
