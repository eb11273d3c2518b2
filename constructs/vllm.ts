// A vLLM OpenAI-compatible server on GPUs (`vllm/vllm-openai`), reachable directly through its
// Service or, better, through an InferencePool (see inference-pool.ts).
//
// The image runs as root by default; here it runs as uid 1000 with a read-only root filesystem. Every
// place vLLM, PyTorch, Triton and Hugging Face write to is pointed at a volume: the model cache PVC
// (`HF_HOME`) and an emptyDir at /tmp (`HOME`, compile and kernel caches). `USER` is set because
// PyTorch asks `getpass.getuser()`, which fails for a uid without a passwd entry.
//
// @see https://docs.vllm.ai/en/stable/deployment/k8s.html
// @see https://docs.vllm.ai/en/stable/serving/openai_compatible_server.html

import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';

import type { GatewayEgressRule, IModelServer } from './connections';
import type { GatewayModel } from './gateway-config';
import { checkPositiveInteger, modelCacheVolume, scheduleOnGpus, sharedMemoryVolume } from './gpu-scheduling';
import type { GpuSchedulingOptions, ModelCacheOptions } from './gpu-scheduling';
import type { PodMonitor } from './imports/prom-podmonitor-monitoring.coreos.com';
import { createPodMonitor } from './monitoring';
import type { PodMonitorOptions } from './monitoring';
import { addLabels, componentLabels, restrictedContainerSecurityContext, restrictedPodSecurityContext, serviceHost } from './workload-defaults';

const VLLM_PORT = 8000;
const VLLM_UID = 1000;
const CACHE_DIR = '/models';

/** A model server an InferencePool can front: its pods, port and model. */
export interface IInferencePoolBackend extends IModelServer {
  /** Labels selecting the server's pods. */
  readonly podLabels: Record<string, string>;
  /** The port the pods serve the OpenAI API on. */
  readonly targetPort: number;
  /** The model name the server answers to (`--served-model-name`). */
  readonly servedModelName: string;
  /** The public name in the gateway's model list. */
  readonly gatewayModelName: string;
}

/** Properties of a {@link VllmServer}. */
export interface VllmServerProps extends GpuSchedulingOptions, ModelCacheOptions {
  /** The Hugging Face model id (or a path in the cache), e.g. `meta-llama/Llama-3.1-8B-Instruct`. */
  readonly model: string;
  /**
   * The Deployment's name.
   * @default - generated from the construct path
   */
  readonly name?: string;
  /**
   * The name vLLM serves the model under (`--served-model-name`).
   * @default - the model id
   */
  readonly servedModelName?: string;
  /**
   * The public model name in the gateway's model list.
   * @default - the served model name
   */
  readonly gatewayModelName?: string;
  /**
   * The vLLM image, pinned by tag.
   * @default 'vllm/vllm-openai:v0.10.1'
   */
  readonly image?: string;
  /**
   * Pods to run.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * GPUs per pod the model is sharded over (`--tensor-parallel-size`).
   * @default 1
   */
  readonly tensorParallelSize?: number;
  /**
   * The longest context, in tokens (`--max-model-len`).
   * @default - the model's own maximum
   */
  readonly maxModelLen?: number;
  /**
   * Share of GPU memory vLLM may use, 0 to 1 (`--gpu-memory-utilization`).
   * @default 0.9
   */
  readonly gpuMemoryUtilization?: number;
  /**
   * Whether to reuse the KV cache of shared prompt prefixes (`--enable-prefix-caching`).
   * @default true
   */
  readonly enablePrefixCaching?: boolean;
  /**
   * More vLLM arguments.
   * @default - none
   */
  readonly extraArgs?: string[];
  /**
   * A Hugging Face token for gated models (`HF_TOKEN`).
   * @default - none: public models only
   */
  readonly hfToken?: kplus.SecretValue;
  /**
   * CPU and memory of the server container (memory covers /dev/shm too).
   * @default - requests 4 CPU and 24Gi, limits 8 CPU and 48Gi
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * How long the server may take to download and load the model before it is restarted.
   * @default Duration.minutes(30)
   */
  readonly startupTimeout?: Duration;
}

/** A vLLM server: Deployment on GPU nodes, Service, model cache. */
export class VllmServer extends Construct implements IInferencePoolBackend {
  /** The Deployment's name. */
  readonly name: string;
  /** The server pods. */
  readonly deployment: kplus.Deployment;
  /** The ClusterIP Service (port 8000, `http`). */
  readonly service: kplus.Service;
  /** The model cache claim, when created here. */
  readonly modelCacheClaim?: kplus.PersistentVolumeClaim;
  readonly podLabels: Record<string, string>;
  readonly targetPort = VLLM_PORT;
  readonly servedModelName: string;
  readonly gatewayModelName: string;
  /** Direct access to this server, bypassing any InferencePool. */
  readonly gatewayModels: readonly GatewayModel[];
  readonly gatewayEgress: readonly GatewayEgressRule[];

  constructor(scope: Construct, id: string, props: VllmServerProps) {
    super(scope, id);
    if (props.model.trim() === '' || /\s/.test(props.model)) throw new Error(`model must be a Hugging Face model id, got ${JSON.stringify(props.model)}`);
    const replicas = props.replicas ?? 1;
    checkPositiveInteger(replicas, 'replicas');
    const tensorParallelSize = props.tensorParallelSize ?? 1;
    checkPositiveInteger(tensorParallelSize, 'tensorParallelSize');
    const gpuMemoryUtilization = props.gpuMemoryUtilization ?? 0.9;
    if (!(gpuMemoryUtilization > 0 && gpuMemoryUtilization <= 1)) {
      throw new Error(`gpuMemoryUtilization must be more than 0 and at most 1, got ${gpuMemoryUtilization}`);
    }
    if (props.maxModelLen !== undefined) checkPositiveInteger(props.maxModelLen, 'maxModelLen');
    const startupTimeout = props.startupTimeout ?? Duration.minutes(30);
    if (startupTimeout.toSeconds() < 60) throw new Error(`startupTimeout must be at least a minute, got ${startupTimeout.toSeconds()}s`);
    this.servedModelName = props.servedModelName ?? props.model;
    this.gatewayModelName = props.gatewayModelName ?? this.servedModelName;
    const image = props.image ?? 'vllm/vllm-openai:v0.10.1';
    for (const reserved of ['--model', '--served-model-name', '--tensor-parallel-size', '--port', '--host']) {
      if ((props.extraArgs ?? []).some((arg) => arg === reserved || arg.startsWith(`${reserved}=`))) {
        throw new Error(`extraArgs must not set ${reserved}; use the matching prop`);
      }
    }

    this.deployment = new kplus.Deployment(this, 'Resource', {
      metadata: props.name === undefined ? {} : { name: props.name },
      replicas,
      // A new pod needs GPUs the old one holds: replace pods one at a time instead of surging.
      strategy: kplus.DeploymentStrategy.rollingUpdate({
        maxSurge: kplus.PercentOrAbsolute.absolute(0),
        maxUnavailable: kplus.PercentOrAbsolute.absolute(1),
      }),
      securityContext: restrictedPodSecurityContext(VLLM_UID),
      automountServiceAccountToken: false,
      terminationGracePeriod: Duration.seconds(120),
    });
    this.name = this.deployment.name;
    this.podLabels = { 'app.kubernetes.io/name': 'vllm', 'app.kubernetes.io/instance': this.name };

    const cache = modelCacheVolume(this, props, replicas);
    this.modelCacheClaim = cache.claim;
    const tmp = kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp');
    const args = [
      '--model', props.model,
      '--served-model-name', this.servedModelName,
      '--host', '0.0.0.0',
      '--port', String(VLLM_PORT),
      '--tensor-parallel-size', String(tensorParallelSize),
      '--gpu-memory-utilization', String(gpuMemoryUtilization),
      ...(props.maxModelLen === undefined ? [] : ['--max-model-len', String(props.maxModelLen)]),
      ...((props.enablePrefixCaching ?? true) ? ['--enable-prefix-caching'] : ['--no-enable-prefix-caching']),
      ...(props.extraArgs ?? []),
    ];
    const health = { port: VLLM_PORT, timeoutSeconds: Duration.seconds(5) };
    this.deployment.addContainer({
      name: 'vllm',
      image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['python3', '-m', 'vllm.entrypoints.openai.api_server'],
      args,
      ports: [{ number: VLLM_PORT, name: 'http' }],
      envVariables: {
        HOME: kplus.EnvValue.fromValue('/tmp'),
        USER: kplus.EnvValue.fromValue('vllm'),
        HF_HOME: kplus.EnvValue.fromValue(`${CACHE_DIR}/huggingface`),
        XDG_CACHE_HOME: kplus.EnvValue.fromValue('/tmp/.cache'),
        XDG_CONFIG_HOME: kplus.EnvValue.fromValue('/tmp/.config'),
        VLLM_CACHE_ROOT: kplus.EnvValue.fromValue('/tmp/vllm'),
        TRITON_CACHE_DIR: kplus.EnvValue.fromValue('/tmp/triton'),
        VLLM_NO_USAGE_STATS: kplus.EnvValue.fromValue('1'),
        DO_NOT_TRACK: kplus.EnvValue.fromValue('1'),
        ...(props.hfToken === undefined ? {} : { HF_TOKEN: kplus.EnvValue.fromSecretValue(props.hfToken) }),
      },
      securityContext: restrictedContainerSecurityContext({ user: VLLM_UID }),
      resources: props.resources ?? {
        cpu: { request: kplus.Cpu.units(4), limit: kplus.Cpu.units(8) },
        memory: { request: Size.gibibytes(24), limit: Size.gibibytes(48) },
      },
      startup: kplus.Probe.fromHttpGet('/health', {
        ...health,
        periodSeconds: Duration.seconds(10),
        failureThreshold: Math.ceil(startupTimeout.toSeconds() / 10),
      }),
      readiness: kplus.Probe.fromHttpGet('/health', { ...health, periodSeconds: Duration.seconds(5), failureThreshold: 3 }),
      liveness: kplus.Probe.fromHttpGet('/health', { ...health, periodSeconds: Duration.seconds(15), failureThreshold: 4 }),
      volumeMounts: [
        { path: CACHE_DIR, volume: cache.volume },
        { path: '/dev/shm', volume: sharedMemoryVolume(this, props) },
        { path: '/tmp', volume: tmp },
      ],
    });
    scheduleOnGpus(this.deployment, tensorParallelSize, props);

    this.service = new kplus.Service(this, 'Service', {
      metadata: { name: this.name },
      selector: this.deployment,
      ports: [{ name: 'http', port: VLLM_PORT, targetPort: VLLM_PORT }],
    });
    addLabels(componentLabels('vllm', 'model-server', this.name), this.deployment, this.service, ...(this.modelCacheClaim === undefined ? [] : [this.modelCacheClaim]));

    this.gatewayModels = [
      {
        name: this.gatewayModelName,
        model: `hosted_vllm/${this.servedModelName}`,
        apiBase: `http://${serviceHost(this, this.service.name)}:${VLLM_PORT}/v1`,
        mode: 'chat',
      },
    ];
    this.gatewayEgress = [{ peer: kplus.Pods.select(this, 'Pods', { labels: this.podLabels }), ports: [kplus.NetworkPolicyPort.tcp(VLLM_PORT)] }];
  }

  /** Scrapes vLLM's `/metrics` (queue depth, KV-cache use, token throughput). */
  addPodMonitor(options: PodMonitorOptions = {}): PodMonitor {
    return createPodMonitor(this, 'PodMonitor', { ...options, podLabels: this.podLabels, portName: 'http' });
  }
}
