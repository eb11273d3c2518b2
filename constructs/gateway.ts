// The Switchyard gateway on Kubernetes: Deployment, Service, config, migrations, service account,
// disruption budget, autoscaler and NetworkPolicy.
//
// Migrations: a Job whose name carries a checksum of everything that can change what it does (image,
// arguments, database wiring, config), so every upgrade creates a new Job (a Job's pod template is
// immutable, so reusing one name would fail to apply) and an unchanged release re-applies the same one.
// The deploy tool orders it: Pulumi waits for the Job before it rolls the Deployment (issue: Pulumi
// stacks), Argo CD/Flux users set a sync wave. Where nothing orders it (`kubectl apply -f dist/`), choose
// `GatewayMigrations.INIT_CONTAINER`: every new pod then runs `migrate` before it serves, which is safe
// because migrations take a Postgres advisory lock and skip what is applied. Either way the new pods
// start only after their schema exists.

import { createHash } from 'node:crypto';

import { Duration, Lazy, Names, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';

import type { GatewayConnection, GatewayEgressRule, IGatewayCache, IGatewayDatabase, IModelServer } from './connections';
import { PLAIN_YAML_FILE_NAME, renderGatewayConfig } from './gateway-config';
import type { GatewayConfigFile, GatewayModel, RenderedGatewayConfig } from './gateway-config';
import {
  GATEWAY_UID,
  addLabels,
  addTopologySpread,
  componentLabels,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  serviceHost,
} from './workload-defaults';

/** How database migrations run before new gateway pods serve. */
export enum GatewayMigrations {
  /** A Job named after a checksum of the release, which the deploy tool runs before the Deployment rolls. */
  JOB = 'job',
  /** An init container in every gateway pod (ordering without a deploy tool). */
  INIT_CONTAINER = 'init-container',
  /** No migrations (no database, or they are run some other way). */
  NONE = 'none',
}

/** A file of the config (more of the model list, or settings) kept in a Secret and pulled in with `include:`. */
export interface GatewayInclude {
  /** The Secret key holding the file, e.g. synced from 1Password by External Secrets. */
  readonly value: kplus.SecretValue;
  /**
   * The file's name in the pod (and in the gateway's error messages).
   * @default - the Secret key, when it ends in .yaml or .yml
   */
  readonly fileName?: string;
}

/** Properties of a {@link Gateway}. */
export interface GatewayProps {
  /** The gateway image, pinned by tag or digest (built from gateway/Dockerfile). */
  readonly image: string;
  /**
   * The name of the Deployment and Service.
   * @default - generated from the construct path
   */
  readonly name?: string;
  /**
   * Pods to run (the autoscaler's minimum when it scales).
   * @default 2
   */
  readonly replicas?: number;
  /**
   * The most pods the HorizontalPodAutoscaler may run; no autoscaler when it equals `replicas`.
   * @default - three times `replicas`
   */
  readonly maxReplicas?: number;
  /**
   * Average CPU use, in percent of the request, the autoscaler aims for.
   * @default 70
   */
  readonly targetCpuUtilizationPercent?: number;
  /**
   * CPU and memory of the gateway container.
   * @default - requests 250m CPU and 256Mi, limits 2 CPU and 1Gi
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * The deployments of the model list; more with `addModel()` and `addModelServer()`.
   * @default - none
   */
  readonly models?: GatewayModel[];
  /**
   * Files shipped beside the config in its ConfigMap and pulled in with `include:` by name (e.g. the
   * model list in its own `models.yaml`, kept in the repository); validated at synth with the config.
   * @default - none
   */
  readonly files?: GatewayConfigFile[];
  /**
   * Config files kept in Secrets, mounted read-only under `/etc/switchyard-include/<secret>/` and
   * listed in the config's `include:`; more with `addInclude()`. Their models and settings merge into
   * the rendered config when the gateway starts (lists are appended, as in LiteLLM); the gateway
   * reports any error in them by file, line and field. They are read at startup: after the Secret
   * changes, restart the pods (`kubectl rollout restart`, or a reloader watching the Secret).
   * @default - none
   */
  readonly includes?: GatewayInclude[];
  /**
   * The file name of the config in the pod and in error messages.
   * @default 'models.yaml'
   */
  readonly configFileName?: string;
  /**
   * `litellm_settings` of the config (`drop_params`, `request_timeout`, `num_retries`, …).
   * @default - none
   */
  readonly litellmSettings?: Record<string, unknown>;
  /**
   * `router_settings` of the config (`routing_strategy`, `num_retries`, …).
   * @default - none
   */
  readonly routerSettings?: Record<string, unknown>;
  /**
   * `general_settings` of the config; `master_key` and `database_url` are written for you when
   * `masterKey` and `database` are set.
   * @default - none
   */
  readonly generalSettings?: Record<string, unknown>;
  /**
   * The admin key (`LITELLM_MASTER_KEY`), from a Secret.
   * @default - none: the gateway runs open, which it logs loudly
   */
  readonly masterKey?: kplus.SecretValue;
  /**
   * The key that encrypts stored credentials (`LITELLM_SALT_KEY`), from a Secret.
   * @default - none
   */
  readonly saltKey?: kplus.SecretValue;
  /**
   * More environment variables, e.g. provider keys the model list reads with `os.environ/NAME`.
   * @default - none
   */
  readonly env?: Record<string, kplus.EnvValue>;
  /**
   * The database for keys, budgets and spend (`DATABASE_URL`).
   * @default - none: the gateway keeps its data in memory
   */
  readonly database?: IGatewayDatabase;
  /**
   * The Valkey shared by the replicas for rate limits and caching.
   * @default - none: limits are per replica
   */
  readonly cache?: IGatewayCache;
  /**
   * How migrations run.
   * @default - GatewayMigrations.JOB with a database, GatewayMigrations.NONE without
   */
  readonly migrations?: GatewayMigrations;
  /**
   * The log level (`LOG_LEVEL`).
   * @default 'info'
   */
  readonly logLevel?: string;
  /**
   * Whether to render a NetworkPolicy that allows only the traffic the gateway needs.
   * @default true
   */
  readonly networkPolicy?: boolean;
  /**
   * The namespace of the ingress controller (or Gateway API data plane) that forwards client traffic.
   * @default 'ingress-nginx'
   */
  readonly ingressControllerNamespace?: string;
  /**
   * The namespace Prometheus scrapes from.
   * @default 'monitoring'
   */
  readonly prometheusNamespace?: string;
  /**
   * Namespaces whose pods call the gateway directly, not through the ingress.
   * @default - none
   */
  readonly clientNamespaces?: string[];
  /**
   * Whether the gateway may reach hosted providers: HTTPS (443) to any public address. Private ranges
   * (RFC 1918, carrier-grade NAT, link-local — which includes cloud metadata endpoints — and IPv6 ULA
   * and link-local) are excluded; in-cluster model servers get their own rules.
   * @default true
   */
  readonly providerEgress?: boolean;
}

/** The port the gateway listens on in its container (`PORT`). */
const CONTAINER_PORT = 4000;
/** The Service port. */
const SERVICE_PORT = 80;
const CONFIG_DIR = '/etc/switchyard';
/** Where included files are mounted, one folder per Secret (outside CONFIG_DIR: a ConfigMap volume is read-only). */
const INCLUDE_DIR = '/etc/switchyard-include';
const MIGRATION_ARGS = ['migrate'];
const SERVE_ARGS = ['serve'];

/** Address ranges that are never a hosted provider. */
const PRIVATE_IPV4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16'];
const PRIVATE_IPV6 = ['fc00::/7', 'fe80::/10'];

function lazyString(produce: () => string): string {
  // Lazy values resolve when the chart is synthesized, after every addModel()/addEnv() call; cdk8s
  // resolves them anywhere in a manifest, but the L2 signatures are typed `string`.
  return Lazy.any({ produce }) as unknown as string;
}

function checkCount(value: number, prop: string, minimum: number): void {
  if (!Number.isInteger(value) || value < minimum) {
    throw new Error(`${prop} must be a whole number of at least ${minimum}, got ${value}`);
  }
}

/**
 * The Switchyard gateway: an OpenAI-compatible LLM proxy serving the model list, with everything it
 * needs to run safely: restricted security context, read-only root filesystem, probes, topology
 * spread, a disruption budget, an autoscaler, a NetworkPolicy and database migrations.
 */
export class Gateway extends Construct {
  /** The Deployment's name. */
  readonly name: string;
  /** The gateway pods. */
  readonly deployment: kplus.Deployment;
  /** The gateway container. */
  readonly container: kplus.Container;
  /** The ClusterIP Service in front of the pods (port {@link Gateway.servicePort}, named `http`). */
  readonly service: kplus.Service;
  /** The ConfigMap holding the rendered config. */
  readonly configMap: kplus.ConfigMap;
  /** The pods' service account (no API token mounted). */
  readonly serviceAccount: kplus.ServiceAccount;
  /** The disruption budget: at most one pod down for voluntary disruptions. */
  readonly disruptionBudget: kplus.k8s.KubePodDisruptionBudget;
  /** The autoscaler, when `maxReplicas` exceeds `replicas`. */
  readonly autoscaler?: kplus.HorizontalPodAutoscaler;
  /** The gateway pods' NetworkPolicy, unless disabled. */
  readonly networkPolicy?: kplus.NetworkPolicy;
  /** The migration Job, with `GatewayMigrations.JOB`. */
  readonly migrationJob?: kplus.Job;
  /** The Service port. */
  readonly servicePort = SERVICE_PORT;
  /** The container port, where `/metrics` and the probes are served. */
  readonly containerPort = CONTAINER_PORT;
  /** The config file's name. */
  readonly configFileName: string;
  /** The recommended labels on every object of the gateway (the ServiceMonitor selects these). */
  readonly labels: Record<string, string>;

  private readonly models: GatewayModel[] = [];
  private readonly includePaths: string[] = [];
  private readonly includeKeys = new Set<string>();
  private readonly props: GatewayProps;
  private readonly egressRules: GatewayEgressRule[] = [];
  private readonly generalSettings: Record<string, unknown>;
  private rendered?: RenderedGatewayConfig;

  constructor(scope: Construct, id: string, props: GatewayProps) {
    super(scope, id);
    this.props = props;
    if (props.image.trim() === '' || /\s/.test(props.image)) {
      throw new Error(`image must be an image reference such as switchyard-gateway:0.1.0, got ${JSON.stringify(props.image)}`);
    }
    const replicas = props.replicas ?? 2;
    checkCount(replicas, 'replicas', 1);
    const maxReplicas = props.maxReplicas ?? replicas * 3;
    checkCount(maxReplicas, 'maxReplicas', 1);
    if (maxReplicas < replicas) {
      throw new Error(`maxReplicas (${maxReplicas}) must be at least replicas (${replicas}); raise maxReplicas or lower replicas`);
    }
    const targetCpu = props.targetCpuUtilizationPercent ?? 70;
    if (!(targetCpu > 0 && targetCpu <= 100)) {
      throw new Error(`targetCpuUtilizationPercent must be between 1 and 100, got ${targetCpu}`);
    }
    this.configFileName = props.configFileName ?? 'models.yaml';
    if (!PLAIN_YAML_FILE_NAME.test(this.configFileName)) {
      throw new Error(`configFileName must be a plain .yaml file name such as models.yaml, got ${JSON.stringify(this.configFileName)}`);
    }
    const migrations = props.migrations ?? (props.database === undefined ? GatewayMigrations.NONE : GatewayMigrations.JOB);
    if (migrations !== GatewayMigrations.NONE && props.database === undefined) {
      throw new Error(`migrations ${migrations} needs a database; set database or use GatewayMigrations.NONE`);
    }
    const databaseConnection = props.database?.gatewayConnection();
    this.generalSettings = this.buildGeneralSettings(props, databaseConnection);

    this.serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', { automountToken: false });
    this.configMap = new kplus.ConfigMap(this, 'Config');
    this.configMap.addData(this.configFileName, lazyString(() => this.config.text));
    for (const file of props.files ?? []) this.configMap.addData(file.fileName, file.text);
    const configVolume = kplus.Volume.fromConfigMap(this, 'ConfigVolume', this.configMap, { name: 'config' });
    const tmpVolume = kplus.Volume.fromEmptyDir(this, 'TmpVolume', 'tmp', { sizeLimit: Size.mebibytes(256) });

    this.deployment = new kplus.Deployment(this, 'Resource', {
      metadata: props.name === undefined ? {} : { name: props.name },
      // With an autoscaler the HPA owns the replica count; a fixed one would fight it on every apply.
      replicas: maxReplicas > replicas ? undefined : replicas,
      strategy: kplus.DeploymentStrategy.rollingUpdate({
        maxSurge: kplus.PercentOrAbsolute.percent(25),
        maxUnavailable: kplus.PercentOrAbsolute.absolute(0),
      }),
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: false,
      securityContext: restrictedPodSecurityContext(GATEWAY_UID),
      // The gateway drains in-flight streams for up to 10 s after SIGTERM (gateway/main.ts).
      terminationGracePeriod: Duration.seconds(30),
    });
    this.name = this.deployment.name;
    this.labels = componentLabels('switchyard-gateway', 'gateway', this.name);

    const health = { port: CONTAINER_PORT, timeoutSeconds: Duration.seconds(2) };
    this.container = this.deployment.addContainer({
      name: 'gateway',
      image: props.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      args: SERVE_ARGS,
      ports: [{ number: CONTAINER_PORT, name: 'http' }],
      securityContext: restrictedContainerSecurityContext({ user: GATEWAY_UID }),
      resources: props.resources ?? {
        cpu: { request: kplus.Cpu.millis(250), limit: kplus.Cpu.units(2) },
        memory: { request: Size.mebibytes(256), limit: Size.gibibytes(1) },
      },
      startup: kplus.Probe.fromHttpGet('/health/liveliness', { ...health, periodSeconds: Duration.seconds(2), failureThreshold: 30 }),
      liveness: kplus.Probe.fromHttpGet('/health/liveliness', { ...health, periodSeconds: Duration.seconds(10), failureThreshold: 3 }),
      readiness: kplus.Probe.fromHttpGet('/health/readiness', { ...health, periodSeconds: Duration.seconds(5), failureThreshold: 2 }),
      // Give endpoints time to drop the pod before it stops accepting connections.
      lifecycle: { preStop: kplus.Handler.fromCommand(['sleep', '5']) },
      volumeMounts: [
        { path: CONFIG_DIR, volume: configVolume, readOnly: true },
        { path: '/tmp', volume: tmpVolume },
      ],
    });
    for (const [name, value] of this.baseEnv(props)) this.container.env.addVariable(name, value);
    for (const connection of [databaseConnection, props.cache?.gatewayConnection()]) {
      if (connection !== undefined) this.addConnection(connection);
    }
    for (const [name, value] of Object.entries(props.env ?? {})) this.addEnv(name, value);
    this.deployment.podMetadata.addAnnotation('checksum/config', lazyString(() => this.config.checksum));
    addTopologySpread(this.deployment);

    this.service = new kplus.Service(this, 'Service', {
      // Same name as the Deployment, so clients call http://<name>/v1.
      metadata: { name: this.name },
      selector: this.deployment,
      ports: [{ name: 'http', port: SERVICE_PORT, targetPort: CONTAINER_PORT }],
    });

    this.disruptionBudget = new kplus.k8s.KubePodDisruptionBudget(this, 'DisruptionBudget', {
      metadata: { labels: this.labels },
      spec: { maxUnavailable: kplus.k8s.IntOrString.fromNumber(1), selector: { matchLabels: this.deployment.matchLabels } },
    });

    if (maxReplicas > replicas) {
      this.autoscaler = new kplus.HorizontalPodAutoscaler(this, 'Autoscaler', {
        target: this.deployment,
        minReplicas: replicas,
        maxReplicas,
        metrics: [kplus.Metric.resourceCpu(kplus.MetricTarget.averageUtilization(targetCpu))],
      });
    }

    if (migrations === GatewayMigrations.JOB && props.database !== undefined) {
      this.migrationJob = this.createMigrationJob(props.image, props.database.migrationConnection(), tmpVolume);
    } else if (migrations === GatewayMigrations.INIT_CONTAINER && props.database !== undefined) {
      this.deployment.addInitContainer(this.migrationContainer(props.image, props.database.migrationConnection(), tmpVolume));
    }

    for (const include of props.includes ?? []) this.addInclude(include);
    for (const model of props.models ?? []) this.addModel(model);
    if (props.networkPolicy ?? true) this.networkPolicy = this.createNetworkPolicy(props);

    addLabels(this.labels, this.deployment, this.service, this.configMap, this.serviceAccount, ...(this.autoscaler === undefined ? [] : [this.autoscaler]));
    this.node.addValidation({ validate: () => this.validateEnvReferences() });
  }

  /** The rendered config, validated with the gateway's own loader. */
  get config(): RenderedGatewayConfig {
    this.rendered ??= this.render(this.models, this.includePaths);
    return this.rendered;
  }

  private render(models: readonly GatewayModel[], includes: readonly string[]): RenderedGatewayConfig {
    return renderGatewayConfig({
      models,
      includes,
      files: this.props.files ?? [],
      fileName: this.configFileName,
      litellmSettings: this.props.litellmSettings,
      routerSettings: this.props.routerSettings,
      generalSettings: this.generalSettings,
    });
  }

  /** The in-cluster URL of the gateway's OpenAI API (`http://<service>.<namespace>.svc/v1`). */
  get url(): string {
    return `http://${serviceHost(this, this.service.name)}/v1`;
  }

  /**
   * Adds a deployment to the model list. The whole config is re-rendered and validated at once, so a
   * bad entry throws here with the gateway's `models.yaml:line:column path: message`.
   */
  addModel(model: GatewayModel): GatewayModel {
    this.render([...this.models, model], this.includePaths);
    this.models.push(model);
    this.rendered = undefined;
    return model;
  }

  /**
   * Mounts a config file from a Secret and lists it in `include:`. Returns its path in the pod.
   */
  addInclude(include: GatewayInclude): string {
    const { secret, key } = include.value;
    const fileName = include.fileName ?? key;
    if (!PLAIN_YAML_FILE_NAME.test(fileName)) {
      throw new Error(
        `include of secret ${secret.name} key ${key}: the file name must be a plain .yaml file name such as models.yaml, got ${JSON.stringify(fileName)}; set fileName`,
      );
    }
    if (this.includeKeys.has(`${secret.name}/${key}`)) throw new Error(`secret ${secret.name} key ${key} is included twice; include each key once`);
    // One folder per included key (a volume's items are fixed when it is created); the first file of a
    // Secret gets the Secret's name as its folder, so error messages point at something recognisable.
    const taken = [...this.includeKeys].filter((entry) => entry.startsWith(`${secret.name}/`)).length;
    const folder = `${INCLUDE_DIR}/${taken === 0 ? secret.name : `${secret.name}-${taken}`}`;
    const path = `${folder}/${fileName}`;
    // Render and validate with the new include before committing to it.
    this.render(this.models, [...this.includePaths, path]);
    const index = this.includePaths.length;
    const volume = kplus.Volume.fromSecret(this, `Include${index}`, secret, { name: `include-${index}`, items: { [key]: { path: fileName } } });
    this.container.mount(folder, volume, { readOnly: true });
    this.includeKeys.add(`${secret.name}/${key}`);
    this.includePaths.push(path);
    this.rendered = undefined;
    return path;
  }

  /** Adds a model server's deployments to the model list and allows the gateway to reach it. */
  addModelServer(server: IModelServer): GatewayModel[] {
    const added = server.gatewayModels.map((model) => this.addModel(model));
    this.addEgress(...server.gatewayEgress);
    return added;
  }

  /** Adds an environment variable to the gateway container (a Secret reference for anything secret). */
  addEnv(name: string, value: kplus.EnvValue): void {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new Error(`environment variable name must be letters, digits and underscores, got ${JSON.stringify(name)}`);
    }
    if (name in this.container.env.variables) {
      throw new Error(`environment variable ${name} is already set on the gateway; set it once`);
    }
    this.container.env.addVariable(name, value);
  }

  /** Allows the gateway pods to connect to a peer (rendered only when the NetworkPolicy is on). */
  addEgress(...rules: GatewayEgressRule[]): void {
    this.egressRules.push(...rules);
    for (const rule of rules) this.networkPolicy?.addEgressRule(rule.peer, rule.ports);
  }

  private addConnection(connection: GatewayConnection): void {
    for (const variable of connection.env) this.addEnv(variable.name, variable.value);
    this.egressRules.push(...connection.egress);
  }

  private buildGeneralSettings(props: GatewayProps, databaseConnection: GatewayConnection | undefined): Record<string, unknown> {
    const managed: Record<string, unknown> = {};
    if (props.masterKey !== undefined) managed['master_key'] = 'os.environ/LITELLM_MASTER_KEY';
    // The gateway reads DATABASE_URL (or LiteLLM's DATABASE_HOST/USERNAME/PASSWORD/NAME) itself; the
    // config names it only where the connection is one URL, as LiteLLM configs do.
    if (databaseConnection?.env.some((variable) => variable.name === 'DATABASE_URL') === true) {
      managed['database_url'] = 'os.environ/DATABASE_URL';
    }
    for (const key of Object.keys(props.generalSettings ?? {})) {
      if (key in managed || (key === 'database_url' && props.database !== undefined)) {
        throw new Error(`generalSettings.${key} is written by the ${key === 'master_key' ? 'masterKey' : 'database'} prop; remove it from generalSettings`);
      }
    }
    return { ...managed, ...props.generalSettings };
  }

  private baseEnv(props: GatewayProps): [string, kplus.EnvValue][] {
    const env: [string, kplus.EnvValue][] = [
      ['PORT', kplus.EnvValue.fromValue(String(CONTAINER_PORT))],
      ['HOST', kplus.EnvValue.fromValue('0.0.0.0')],
      ['CONFIG_FILE_PATH', kplus.EnvValue.fromValue(`${CONFIG_DIR}/${this.configFileName}`)],
      ['LOG_LEVEL', kplus.EnvValue.fromValue(props.logLevel ?? 'info')],
    ];
    if (props.masterKey !== undefined) env.push(['LITELLM_MASTER_KEY', kplus.EnvValue.fromSecretValue(props.masterKey)]);
    if (props.saltKey !== undefined) env.push(['LITELLM_SALT_KEY', kplus.EnvValue.fromSecretValue(props.saltKey)]);
    return env;
  }

  private migrationContainer(image: string, connection: GatewayConnection, tmpVolume: kplus.Volume): kplus.ContainerProps {
    const env: Record<string, kplus.EnvValue> = {};
    for (const variable of connection.env) env[variable.name] = variable.value;
    return {
      name: 'migrate',
      image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      args: MIGRATION_ARGS,
      envVariables: env,
      securityContext: restrictedContainerSecurityContext({ user: GATEWAY_UID }),
      resources: {
        cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.units(1) },
        memory: { request: Size.mebibytes(128), limit: Size.mebibytes(512) },
      },
      volumeMounts: [{ path: '/tmp', volume: tmpVolume }],
    };
  }

  private createMigrationJob(image: string, connection: GatewayConnection, tmpVolume: kplus.Volume): kplus.Job {
    const job: kplus.Job = new kplus.Job(this, 'Migration', {
      metadata: {
        // The checksum covers what the Job does; the config is included so a release that changes
        // only the model list still gets (and waits for) its own, idempotent, migration run.
        name: lazyString((): string => {
          const fingerprint = JSON.stringify({ image, args: MIGRATION_ARGS, env: connection.env.map((variable) => variable.name), config: this.config.checksum });
          return Names.toDnsLabel(job, { extra: [checksumOf(fingerprint).slice(0, 10)], includeHash: false });
        }),
      },
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: false,
      securityContext: restrictedPodSecurityContext(GATEWAY_UID),
      backoffLimit: 4,
      activeDeadline: Duration.minutes(15),
      ttlAfterFinished: Duration.days(1),
    });
    job.addContainer(this.migrationContainer(image, connection, tmpVolume));
    addLabels(componentLabels('switchyard-gateway', 'migration', this.name), job);

    if (this.props.networkPolicy ?? true) {
      const policy = new kplus.NetworkPolicy(this, 'MigrationNetworkPolicy', {
        selector: job,
        ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
        egress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
      });
      this.allowDns(policy, 'MigrationDns');
      for (const rule of connection.egress) policy.addEgressRule(rule.peer, rule.ports);
      addLabels(this.labels, policy);
    }
    return job;
  }

  private allowDns(policy: kplus.NetworkPolicy, id: string): void {
    const kubeSystem = kplus.Namespaces.select(this, id, { names: ['kube-system'] });
    policy.addEgressRule(kubeSystem, [kplus.NetworkPolicyPort.udp(53), kplus.NetworkPolicyPort.tcp(53)]);
  }

  private createNetworkPolicy(props: GatewayProps): kplus.NetworkPolicy {
    const policy = new kplus.NetworkPolicy(this, 'NetworkPolicy', {
      selector: this.deployment,
      ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
      egress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
    });
    addLabels(this.labels, policy);
    const gatewayPort = [kplus.NetworkPolicyPort.tcp(CONTAINER_PORT)];
    const sources: [string, string][] = [
      ['IngressController', props.ingressControllerNamespace ?? 'ingress-nginx'],
      ['Prometheus', props.prometheusNamespace ?? 'monitoring'],
      ...(props.clientNamespaces ?? []).map((namespace, index): [string, string] => [`Clients${index}`, namespace]),
    ];
    for (const [id, namespace] of sources) {
      policy.addIngressRule(kplus.Namespaces.select(this, `${id}Namespace`, { names: [namespace] }), gatewayPort);
    }
    this.allowDns(policy, 'Dns');
    if (props.providerEgress ?? true) {
      const https = [kplus.NetworkPolicyPort.tcp(443)];
      policy.addEgressRule(kplus.NetworkPolicyIpBlock.ipv4(this, 'ProvidersIpv4', '0.0.0.0/0', PRIVATE_IPV4), https);
      policy.addEgressRule(kplus.NetworkPolicyIpBlock.ipv6(this, 'ProvidersIpv6', '::/0', PRIVATE_IPV6), https);
    }
    for (const rule of this.egressRules) policy.addEgressRule(rule.peer, rule.ports);
    return policy;
  }

  private validateEnvReferences(): string[] {
    const defined = new Set(Object.keys(this.container.env.variables));
    return this.config.envReferences
      .filter((name) => !defined.has(name))
      .map(
        (name) =>
          `the model list reads os.environ/${name}, which the gateway container does not set; add ${name} to env (from a Secret) or remove the reference`,
      );
  }
}

function checksumOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
