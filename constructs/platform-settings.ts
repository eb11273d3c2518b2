// The one typed settings object the platform chart is built from. The same object sits under the
// `switchyard:platform` key of each `stacks/Pulumi.<env>.yaml`, so `cdk8s synth` and `pulumi up` read
// the same settings and render the same objects. Unknown keys are errors (a misspelt setting must not
// be ignored); defaults are filled in here, once.

import { z } from 'zod';

import { PLAIN_YAML_FILE_NAME } from './gateway-config';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const dnsLabel = z.string().max(63).regex(DNS_LABEL, 'must be a DNS label: lowercase letters, digits and -, e.g. switchyard');
const dnsSubdomain = z.string().max(253).regex(DNS_SUBDOMAIN, 'must be a lowercase DNS name, e.g. switchyard-provider-keys');
const positiveInt = z.number().int().min(1);
const cpuQuantity = z.string().regex(/^([0-9]+m|[0-9]+(\.[0-9]+)?)$/, 'must be a CPU quantity such as 250m or 2');
const sizeQuantity = z.string().regex(/^[0-9]+(Mi|Gi|Ti)$/, 'must be a size in Mi, Gi or Ti, e.g. 512Mi or 10Gi');
const image = z.string().regex(/^[^\s:@]+(:[\w.-]+|@sha256:[a-f0-9]{64})$/, 'must be an image pinned by tag or digest, e.g. switchyard-gateway:0.1.0');
const stringMap = z.record(z.string(), z.string());
const looseMap = z.record(z.string(), z.unknown());

/** CPU and memory of one container; each value a Kubernetes quantity. All four are required. */
export const resourcesSettingsSchema = z.strictObject({
  cpuRequest: cpuQuantity,
  cpuLimit: cpuQuantity,
  memoryRequest: sizeQuantity,
  memoryLimit: sizeQuantity,
});

/**
 * A key of a Kubernetes Secret. With `remoteKey`, External Secrets syncs it from the store in
 * `secrets`; without, another tool creates the Secret and it is only referenced.
 */
export const secretKeySettingsSchema = z.strictObject({
  /** The Kubernetes Secret's name. */
  secret: dnsSubdomain,
  /** The key inside it. */
  key: z.string().regex(/^[-._a-zA-Z0-9]+$/, "must be letters, digits, '-', '_' or '.'"),
  /** Where External Secrets reads it: a Vault path, a 1Password item, an AWS secret name. */
  remoteKey: z.string().min(1).optional(),
  /** The field or JSON property inside `remoteKey`. */
  remoteProperty: z.string().min(1).optional(),
  /** The version of the remote value. */
  remoteVersion: z.string().min(1).optional(),
});

/** A provider key: a Secret key exposed to the gateway as an environment variable. */
export const providerKeySettingsSchema = secretKeySettingsSchema
  .extend({
    /** The variable name the model list reads (`os.environ/NAME`); defaults to `key`. */
    env: z.string().regex(ENV_NAME, 'must be an environment variable name such as OPENAI_API_KEY').optional(),
  })
  .refine((value) => value.env !== undefined || ENV_NAME.test(value.key), {
    message: 'key is not a valid environment variable name; set env to the name the model list reads',
    path: ['env'],
  });

/** One deployment of the gateway's model list (see GatewayModel). */
export const gatewayModelSettingsSchema = z.strictObject({
  name: z.string().min(1),
  model: z.string().min(1),
  apiBase: z.string().min(1).optional(),
  apiKeyEnv: z.string().regex(ENV_NAME, 'must be an environment variable name such as OPENAI_API_KEY').optional(),
  rpm: z.number().optional(),
  tpm: z.number().optional(),
  timeoutSeconds: z.number().optional(),
  streamTimeoutSeconds: z.number().optional(),
  weight: z.number().optional(),
  order: z.number().optional(),
  extraHeaders: stringMap.optional(),
  mode: z.string().optional(),
  params: looseMap.optional(),
  info: looseMap.optional(),
});

const gatewaySettingsSchema = z.strictObject({
  image,
  replicas: positiveInt.default(2),
  maxReplicas: positiveInt.optional(),
  targetCpuUtilizationPercent: z.number().min(1).max(100).optional(),
  resources: resourcesSettingsSchema.optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  migrations: z.enum(['job', 'init-container', 'none']).optional(),
  configFileName: z.string().optional(),
  models: z.array(gatewayModelSettingsSchema).default([]),
  litellmSettings: looseMap.optional(),
  routerSettings: looseMap.optional(),
  generalSettings: looseMap.optional(),
  masterKey: secretKeySettingsSchema.optional(),
  saltKey: secretKeySettingsSchema.optional(),
  /** The OIDC client secret for SSO (exposed as GENERIC_CLIENT_SECRET, LiteLLM's name). */
  oidcClientSecret: secretKeySettingsSchema.optional(),
  providerKeys: z.array(providerKeySettingsSchema).default([]),
  /**
   * Config files kept in the repository beside the stack files (e.g. the model list in its own
   * `models.yaml`), paths relative to the repository root; each ships in the gateway's ConfigMap under
   * its base name, is pulled in with `include:`, and is validated at synth.
   */
  includeFiles: z.array(z.string().regex(/^[^\s]+\.ya?ml$/, 'must be a path to a .yaml file, e.g. stacks/models/prod.yaml')).default([]),
  /**
   * Config files kept in Secrets (more of the model list, kept out of Git), mounted and pulled in
   * with `include:`; with `remoteKey`, External Secrets syncs them from the store.
   */
  includes: z
    .array(
      secretKeySettingsSchema.extend({
        /** The file's name in the pod; defaults to the key. */
        fileName: z.string().regex(PLAIN_YAML_FILE_NAME, 'must be a plain .yaml file name such as models.yaml').optional(),
      }),
    )
    .default([]),
  /** Plain (non-secret) environment variables. */
  env: stringMap.optional(),
});

const secretsSettingsSchema = z.strictObject({
  storeName: dnsSubdomain.optional(),
  storeKind: z.enum(['SecretStore', 'ClusterSecretStore']).default('ClusterSecretStore'),
  refreshIntervalSeconds: positiveInt.optional(),
});

const cloudNativePgSettingsSchema = z.strictObject({
  type: z.literal('cloudnative-pg'),
  instances: positiveInt.default(3),
  imageName: image.optional(),
  storageSize: sizeQuantity.default('10Gi'),
  storageClass: z.string().optional(),
  resources: resourcesSettingsSchema.optional(),
  database: z.string().optional(),
  owner: z.string().optional(),
  /**
   * The application user's credentials, a `kubernetes.io/basic-auth` Secret (`username`, `password`)
   * CloudNativePG bootstraps the owner from. Pulumi generates it (a random password) unless `remoteKey`
   * names where External Secrets syncs it from (the `usernameProperty` and `passwordProperty` fields of
   * that item or path). Without this setting, CloudNativePG generates `<cluster>-app` itself.
   */
  credentials: z
    .strictObject({
      secret: dnsSubdomain,
      remoteKey: z.string().min(1).optional(),
      usernameProperty: z.string().min(1).default('username'),
      passwordProperty: z.string().min(1).default('password'),
    })
    .optional(),
  parameters: stringMap.optional(),
  pooler: z
    .strictObject({
      enabled: z.boolean().default(true),
      instances: positiveInt.default(2),
      poolMode: z.enum(['session', 'transaction']).default('session'),
    })
    .default({ enabled: true, instances: 2, poolMode: 'session' }),
  backup: z
    .strictObject({
      destinationPath: z.string(),
      endpointUrl: z.string().optional(),
      accessKeyId: secretKeySettingsSchema.optional(),
      secretAccessKey: secretKeySettingsSchema.optional(),
      retentionPolicy: z.string().optional(),
      schedule: z.string().optional(),
    })
    .optional(),
  monitoring: z.boolean().default(true),
});

const externalPostgresSettingsSchema = z.strictObject({
  type: z.literal('external'),
  url: secretKeySettingsSchema,
  migrationUrl: secretKeySettingsSchema.optional(),
  cidr: z.string().optional(),
  port: positiveInt.max(65535).optional(),
});

const valkeySettingsSchema = z.strictObject({
  mode: z.enum(['standalone', 'sentinel']).default('standalone'),
  password: secretKeySettingsSchema,
  image: image.optional(),
  storageSize: sizeQuantity.optional(),
  storageClass: z.string().optional(),
  resources: resourcesSettingsSchema.optional(),
  metrics: z.boolean().default(true),
});

const ingressSettingsSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('ingress'),
    host: z.string(),
    controller: z.enum(['nginx', 'traefik']).default('nginx'),
    className: z.string().optional(),
    clusterIssuer: z.string().optional(),
    issuer: z.string().optional(),
    tls: z.boolean().default(true),
    tlsSecretName: dnsSubdomain.optional(),
    requestTimeoutSeconds: positiveInt.optional(),
    maxRequestBodyMiB: positiveInt.optional(),
  }),
  z.strictObject({
    type: z.literal('httproute'),
    parentGatewayName: dnsLabel,
    parentGatewayNamespace: dnsLabel.optional(),
    sectionName: z.string().optional(),
    hostnames: z.array(z.string()).optional(),
    requestTimeoutSeconds: positiveInt.optional(),
  }),
]);

const networkPolicySettingsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  ingressControllerNamespace: dnsLabel.default('ingress-nginx'),
  prometheusNamespace: dnsLabel.default('monitoring'),
  clientNamespaces: z.array(dnsLabel).default([]),
  providerEgress: z.boolean().default(true),
  /**
   * In-cluster model servers the gateway calls that the chart does not run (an Ollama, a KServe
   * predictor): the namespace, optionally the pods' labels, and the ports.
   */
  modelEgress: z
    .array(
      z.strictObject({
        namespace: dnsLabel,
        podLabels: stringMap.optional(),
        ports: z.array(positiveInt.max(65535)).min(1),
      }),
    )
    .default([]),
});

const monitoringSettingsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  labels: stringMap.optional(),
  scrapeIntervalSeconds: positiveInt.optional(),
  errorRatePercent: z.number().optional(),
  latencyP95Seconds: z.number().optional(),
  metricsBearerToken: secretKeySettingsSchema.optional(),
});

/** GPU placement and model cache settings shared by vLLM and NIM servers. */
const gpuServerSettings = {
  replicas: positiveInt.optional(),
  modelCacheSize: sizeQuantity.optional(),
  modelCacheStorageClass: z.string().optional(),
  modelCacheClaimName: dnsSubdomain.optional(),
  sharedMemorySize: sizeQuantity.optional(),
  gpuResourceName: z.string().optional(),
  gpuNodeSelector: stringMap.optional(),
  gpuTolerationKeys: z.array(z.string()).optional(),
  runtimeClassName: z.string().optional(),
  resources: resourcesSettingsSchema.optional(),
  startupTimeoutSeconds: positiveInt.optional(),
};

const inferencePoolSettingsSchema = z.strictObject({
  endpointPickerImage: image,
  gatewayName: dnsLabel,
  gatewayNamespace: dnsLabel.optional(),
  gatewayClassName: z.string().optional(),
  gatewayUrl: z.string().optional(),
  endpointPickerReplicas: positiveInt.optional(),
  failOpen: z.boolean().optional(),
  requestTimeoutSeconds: positiveInt.optional(),
});

const vllmSettingsSchema = z.strictObject({
  /** Names the server's objects (`<chart>-<name>`). */
  name: dnsLabel,
  model: z.string().min(1),
  servedModelName: z.string().optional(),
  gatewayModelName: z.string().optional(),
  image: image.optional(),
  tensorParallelSize: positiveInt.optional(),
  maxModelLen: positiveInt.optional(),
  gpuMemoryUtilization: z.number().optional(),
  enablePrefixCaching: z.boolean().optional(),
  extraArgs: z.array(z.string()).optional(),
  hfToken: secretKeySettingsSchema.optional(),
  /** Put the server behind an InferencePool; the gateway then reaches it through the pool. */
  inferencePool: inferencePoolSettingsSchema.optional(),
  ...gpuServerSettings,
});

const nimSettingsSchema = z.strictObject({
  name: dnsLabel,
  /** `operator`: a NIMService for the NIM operator; `deployment`: a plain Deployment. */
  deployment: z.enum(['operator', 'deployment']).default('operator'),
  image,
  model: z.string().min(1),
  gatewayModelName: z.string().optional(),
  ngcApiKey: secretKeySettingsSchema.refine((value) => value.key === 'NGC_API_KEY', {
    message: 'the NGC key must be stored under the key NGC_API_KEY (the NIM operator and container read that key)',
    path: ['key'],
  }),
  imagePullSecret: secretKeySettingsSchema.refine((value) => value.key === '.dockerconfigjson', {
    message: 'a pull secret holds its credentials under the key .dockerconfigjson',
    path: ['key'],
  }),
  gpus: positiveInt.optional(),
  ...gpuServerSettings,
});

/** Everything one environment of the platform is built from. */
export const platformSettingsSchema = z.strictObject({
  /** The namespace every object goes into. */
  namespace: dnsLabel,
  /** Whether the chart creates the namespace (labelled to enforce the restricted Pod Security Standard). */
  createNamespace: z.boolean().default(true),
  gateway: gatewaySettingsSchema,
  secrets: secretsSettingsSchema.default({ storeKind: 'ClusterSecretStore' }),
  database: z.discriminatedUnion('type', [cloudNativePgSettingsSchema, externalPostgresSettingsSchema]).optional(),
  valkey: valkeySettingsSchema.optional(),
  ingress: ingressSettingsSchema.optional(),
  networkPolicy: networkPolicySettingsSchema.default({
    enabled: true,
    ingressControllerNamespace: 'ingress-nginx',
    prometheusNamespace: 'monitoring',
    clientNamespaces: [],
    providerEgress: true,
    modelEgress: [],
  }),
  monitoring: monitoringSettingsSchema.optional(),
  vllm: z.array(vllmSettingsSchema).default([]),
  nim: z.array(nimSettingsSchema).default([]),
});

/** Settings as written in a stack file (defaults not yet applied). */
export type PlatformSettingsInput = z.input<typeof platformSettingsSchema>;
/** Settings with defaults applied. */
export type PlatformSettings = z.output<typeof platformSettingsSchema>;
/** One Secret key reference in the settings. */
export type SecretKeySettings = z.output<typeof secretKeySettingsSchema>;
/** The CloudNativePG credentials setting. */
export type DatabaseCredentialsSettings = NonNullable<Extract<PlatformSettings['database'], { type: 'cloudnative-pg' }>['credentials']>;

/** The `username` and `password` keys of the credentials Secret, as Secret key references. */
export function databaseCredentialKeys(credentials: DatabaseCredentialsSettings): { username: SecretKeySettings; password: SecretKeySettings } {
  const key = (name: 'username' | 'password', property: string): SecretKeySettings => ({
    secret: credentials.secret,
    key: name,
    ...(credentials.remoteKey === undefined ? {} : { remoteKey: credentials.remoteKey, remoteProperty: property }),
  });
  return { username: key('username', credentials.usernameProperty), password: key('password', credentials.passwordProperty) };
}

/** Resource settings of one container. */
export type ResourcesSettings = z.output<typeof resourcesSettingsSchema>;
