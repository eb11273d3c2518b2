// NVIDIA NIM model servers, two ways:
//   - NimService: a `NIMService` (apps.nvidia.com/v1alpha1) the NIM operator turns into a Deployment,
//     Service and cache volume;
//   - NimDeployment: the same container as a plain Deployment, for clusters without the operator.
// Both need an NGC API key (the `NGC_API_KEY` key of a Secret) and a pull secret for NVIDIA's
// registry, and both serve the OpenAI API on port 8000, which the gateway reaches as
// `nvidia_nim/<model>`.
//
// @see https://docs.nvidia.com/nim-operator/latest/
// @see https://docs.nvidia.com/nim/large-language-models/latest/deploy-helm.html

import { Duration, Names, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';

import type { GatewayEgressRule, IModelServer } from './connections';
import type { GatewayModel } from './gateway-config';
import { checkPositiveInteger, modelCacheVolume, scheduleOnGpus, sharedMemoryVolume } from './gpu-scheduling';
import type { GpuSchedulingOptions, ModelCacheOptions } from './gpu-scheduling';
import {
  NimService as NimServiceResource,
  NimServiceSpecResourcesLimits,
  NimServiceSpecResourcesRequests,
  NimServiceSpecStorageSharedMemorySizeLimit,
} from './imports/nim-nimservice-apps.nvidia.com';
import { addLabels, componentLabels, restrictedContainerSecurityContext, restrictedPodSecurityContext, serviceHost } from './workload-defaults';

const NIM_PORT = 8000;
/** The user NIM images run as. */
const NIM_UID = 1000;
const NIM_CACHE = '/opt/nim/.cache';

/** What both kinds of NIM server take. */
export interface NimOptions extends GpuSchedulingOptions, ModelCacheOptions {
  /** The NIM image with its tag (NVIDIA's registry path, or a mirror), e.g. `<registry>/nim/meta/llama-3.1-8b-instruct:1.8.4`. */
  readonly image: string;
  /** The model name the NIM serves, e.g. `meta/llama-3.1-8b-instruct`. */
  readonly model: string;
  /** The Secret holding the NGC API key under the key `NGC_API_KEY`. */
  readonly ngcApiKeySecret: kplus.ISecret;
  /** The pull secret (`kubernetes.io/dockerconfigjson`) for the image's registry. */
  readonly imagePullSecret: kplus.ISecret;
  /**
   * The name of the server's objects.
   * @default - generated from the construct path
   */
  readonly name?: string;
  /**
   * The public model name in the gateway's model list.
   * @default - the model name
   */
  readonly gatewayModelName?: string;
  /**
   * Pods to run.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * GPUs per pod.
   * @default 1
   */
  readonly gpus?: number;
  /**
   * CPU and memory of the NIM container (memory covers /dev/shm too).
   * @default - requests 4 CPU and 24Gi, limits 8 CPU and 48Gi
   */
  readonly resources?: kplus.ContainerResources;
}

const DEFAULT_RESOURCES: kplus.ContainerResources = {
  cpu: { request: kplus.Cpu.units(4), limit: kplus.Cpu.units(8) },
  memory: { request: Size.gibibytes(24), limit: Size.gibibytes(48) },
};

/** A Kubernetes quantity from a cdk8s-plus CPU or Size. */
function quantity(value: kplus.Cpu | Size): string {
  return value instanceof Size ? `${value.toMebibytes()}Mi` : value.amount;
}

function splitImage(image: string): { repository: string; tag: string } {
  const at = image.lastIndexOf(':');
  if (at <= image.lastIndexOf('/') || at === image.length - 1 || /\s/.test(image)) {
    throw new Error(`image must be pinned by tag, e.g. nim/meta/llama-3.1-8b-instruct:1.8.4, got ${JSON.stringify(image)}`);
  }
  return { repository: image.slice(0, at), tag: image.slice(at + 1) };
}

function checkNimOptions(options: NimOptions): { replicas: number; gpus: number } {
  splitImage(options.image);
  if (options.model.trim() === '' || /\s/.test(options.model)) throw new Error(`model must be the NIM's model name, got ${JSON.stringify(options.model)}`);
  const replicas = options.replicas ?? 1;
  checkPositiveInteger(replicas, 'replicas');
  const gpus = options.gpus ?? 1;
  checkPositiveInteger(gpus, 'gpus');
  return { replicas, gpus };
}

function nimGatewayModel(scope: Construct, options: NimOptions, serviceName: string): GatewayModel {
  return {
    name: options.gatewayModelName ?? options.model,
    model: `nvidia_nim/${options.model}`,
    apiBase: `http://${serviceHost(scope, serviceName)}:${NIM_PORT}/v1`,
    mode: 'chat',
  };
}

/** Properties of a {@link NimService}. */
export type NimServiceProps = NimOptions;

/** A NIM served by the NIM operator (`NIMService`). */
export class NimService extends Construct implements IModelServer {
  /** The NIMService (the operator names its Deployment and Service after it). */
  readonly resource: NimServiceResource;
  readonly name: string;
  /** Labels the operator puts on the NIM's pods (copied from `spec.labels`). */
  readonly podLabels: Record<string, string>;
  readonly gatewayModels: readonly GatewayModel[];
  readonly gatewayEgress: readonly GatewayEgressRule[];

  constructor(scope: Construct, id: string, props: NimServiceProps) {
    super(scope, id);
    const { replicas, gpus } = checkNimOptions(props);
    if (props.modelCacheClaimName !== undefined) {
      throw new Error('modelCacheClaimName is not supported with the NIM operator; it creates its own claim (set modelCacheSize instead)');
    }
    const selector = props.gpuNodeSelector ?? { 'nvidia.com/gpu.present': 'true' };
    const resources = props.resources ?? DEFAULT_RESOURCES;
    // Our labels on the operator's pods (it copies spec.labels onto them), so the gateway's
    // NetworkPolicy can select them.
    const podLabels = { 'app.kubernetes.io/name': 'nim', 'app.kubernetes.io/instance': Names.toLabelValue(this) };
    this.podLabels = podLabels;
    this.resource = new NimServiceResource(this, 'Resource', {
      metadata: props.name === undefined ? {} : { name: props.name },
      spec: {
        image: { ...splitImage(props.image), pullPolicy: 'IfNotPresent', pullSecrets: [props.imagePullSecret.name] },
        authSecret: props.ngcApiKeySecret.name,
        replicas,
        resources: {
          requests: Object.fromEntries(
            (['cpu', 'memory'] as const).flatMap((name) => {
              const value = resources[name]?.request;
              return value === undefined ? [] : [[name, NimServiceSpecResourcesRequests.fromString(quantity(value))]];
            }),
          ),
          limits: {
            ...Object.fromEntries(
              (['cpu', 'memory'] as const).flatMap((name) => {
                const value = resources[name]?.limit;
                return value === undefined ? [] : [[name, NimServiceSpecResourcesLimits.fromString(quantity(value))]];
              }),
            ),
            [props.gpuResourceName ?? 'nvidia.com/gpu']: NimServiceSpecResourcesLimits.fromNumber(gpus),
          },
        },
        storage: {
          pvc: {
            create: true,
            size: `${(props.modelCacheSize ?? Size.gibibytes(100)).toGibibytes()}Gi`,
            volumeAccessMode: replicas > 1 ? 'ReadWriteMany' : 'ReadWriteOnce',
            ...(props.modelCacheStorageClass === undefined ? {} : { storageClass: props.modelCacheStorageClass }),
          },
          sharedMemorySizeLimit: NimServiceSpecStorageSharedMemorySizeLimit.fromString(`${(props.sharedMemorySize ?? Size.gibibytes(8)).toMebibytes()}Mi`),
        },
        expose: { service: { type: 'ClusterIP', port: NIM_PORT } },
        nodeSelector: selector,
        tolerations: (props.gpuTolerationKeys ?? ['nvidia.com/gpu']).map((key) => ({ key, operator: 'Exists', effect: 'NoSchedule' })),
        userId: NIM_UID,
        groupId: NIM_UID,
        labels: podLabels,
        ...(props.runtimeClassName === undefined ? {} : { runtimeClassName: props.runtimeClassName }),
      },
    });
    this.name = this.resource.name;
    addLabels(componentLabels('nim', 'model-server', this.name), this.resource);
    this.gatewayModels = [nimGatewayModel(this, props, this.name)];
    this.gatewayEgress = [{ peer: kplus.Pods.select(this, 'Pods', { labels: podLabels }), ports: [kplus.NetworkPolicyPort.tcp(NIM_PORT)] }];
  }
}

/** Properties of a {@link NimDeployment}. */
export interface NimDeploymentProps extends NimOptions {
  /**
   * How long the NIM may take to download and load its model before it is restarted.
   * @default Duration.minutes(30)
   */
  readonly startupTimeout?: Duration;
}

/** A NIM as a plain Deployment and Service, without the operator. */
export class NimDeployment extends Construct implements IModelServer {
  readonly name: string;
  readonly deployment: kplus.Deployment;
  readonly service: kplus.Service;
  readonly modelCacheClaim?: kplus.PersistentVolumeClaim;
  readonly gatewayModels: readonly GatewayModel[];
  readonly gatewayEgress: readonly GatewayEgressRule[];

  constructor(scope: Construct, id: string, props: NimDeploymentProps) {
    super(scope, id);
    const { replicas, gpus } = checkNimOptions(props);
    const startupTimeout = props.startupTimeout ?? Duration.minutes(30);
    if (startupTimeout.toSeconds() < 60) throw new Error(`startupTimeout must be at least a minute, got ${startupTimeout.toSeconds()}s`);

    this.deployment = new kplus.Deployment(this, 'Resource', {
      metadata: props.name === undefined ? {} : { name: props.name },
      replicas,
      strategy: kplus.DeploymentStrategy.rollingUpdate({
        maxSurge: kplus.PercentOrAbsolute.absolute(0),
        maxUnavailable: kplus.PercentOrAbsolute.absolute(1),
      }),
      securityContext: restrictedPodSecurityContext(NIM_UID),
      automountServiceAccountToken: false,
      dockerRegistryAuth: props.imagePullSecret,
      terminationGracePeriod: Duration.seconds(120),
    });
    this.name = this.deployment.name;
    const labels = componentLabels('nim', 'model-server', this.name);

    const cache = modelCacheVolume(this, props, replicas);
    this.modelCacheClaim = cache.claim;
    const health = { port: NIM_PORT, timeoutSeconds: Duration.seconds(5) };
    this.deployment.addContainer({
      name: 'nim',
      image: props.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      ports: [{ number: NIM_PORT, name: 'http' }],
      envVariables: {
        NGC_API_KEY: kplus.EnvValue.fromSecretValue({ secret: props.ngcApiKeySecret, key: 'NGC_API_KEY' }),
        NIM_CACHE_PATH: kplus.EnvValue.fromValue(NIM_CACHE),
        NIM_SERVER_PORT: kplus.EnvValue.fromValue(String(NIM_PORT)),
        HOME: kplus.EnvValue.fromValue('/tmp'),
      },
      securityContext: restrictedContainerSecurityContext({ user: NIM_UID }),
      resources: props.resources ?? DEFAULT_RESOURCES,
      startup: kplus.Probe.fromHttpGet('/v1/health/ready', {
        ...health,
        periodSeconds: Duration.seconds(10),
        failureThreshold: Math.ceil(startupTimeout.toSeconds() / 10),
      }),
      readiness: kplus.Probe.fromHttpGet('/v1/health/ready', { ...health, periodSeconds: Duration.seconds(5), failureThreshold: 3 }),
      liveness: kplus.Probe.fromHttpGet('/v1/health/live', { ...health, periodSeconds: Duration.seconds(15), failureThreshold: 4 }),
      volumeMounts: [
        { path: NIM_CACHE, volume: cache.volume },
        { path: '/dev/shm', volume: sharedMemoryVolume(this, props) },
        { path: '/tmp', volume: kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp') },
      ],
    });
    scheduleOnGpus(this.deployment, gpus, props);

    this.service = new kplus.Service(this, 'Service', {
      metadata: { name: this.name },
      selector: this.deployment,
      ports: [{ name: 'http', port: NIM_PORT, targetPort: NIM_PORT }],
    });
    addLabels(labels, this.deployment, this.service, ...(this.modelCacheClaim === undefined ? [] : [this.modelCacheClaim]));
    this.gatewayModels = [nimGatewayModel(this, props, this.name)];
    this.gatewayEgress = [
      {
        peer: kplus.Pods.select(this, 'Pods', { labels: { 'app.kubernetes.io/name': 'nim', 'app.kubernetes.io/instance': this.name } }),
        ports: [kplus.NetworkPolicyPort.tcp(NIM_PORT)],
      },
    ];
  }
}
