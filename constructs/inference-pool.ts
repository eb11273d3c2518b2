// Model-aware load balancing for self-hosted models: an InferencePool (inference.networking.k8s.io/v1)
// over a model server's pods, its endpoint picker (EPP: Deployment, Service, RBAC, config), and the
// HTTPRoute that sends an internal Gateway API gateway's traffic to the pool. The EPP picks the pod
// for each request from live queue depth, KV-cache use and prefix-cache hits instead of round robin.
//
// Traffic path: Switchyard gateway → internal Gateway (an implementation with inference extension
// support: kgateway, agentgateway, Istio, GKE, …) → EPP (ext-proc) picks a pod → vLLM pod.
// The gateway's model list gets `hosted_vllm/<served name>` with `api_base` at the internal Gateway and
// an `X-Gateway-Model-Name` header the route matches on, so several pools can share one Gateway.
//
// The EPP's /metrics is served without its built-in token check (`--metrics-endpoint-auth=false`),
// which would need a cluster-wide TokenReview grant; scrape it from inside the cluster.
//
// @see https://gateway-api-inference-extension.sigs.k8s.io/
// @see https://gateway-api-inference-extension.sigs.k8s.io/reference/spec/

import { Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { stringify } from 'yaml';

import type { GatewayEgressRule, IModelServer } from './connections';
import type { GatewayModel } from './gateway-config';
import { Gateway as GatewayApiGateway, GatewaySpecListenersAllowedRoutesNamespacesFrom } from './imports/gwapi-gateway-gateway.networking.k8s.io';
import { HttpRoute, HttpRouteSpecRulesMatchesHeadersType, HttpRouteSpecRulesMatchesPathType } from './imports/gwapi-httproute-gateway.networking.k8s.io';
import { InferencePool as InferencePoolResource, InferencePoolSpecEndpointPickerRefFailureMode } from './imports/gaie-inferencepool-inference.networking.k8s.io';
import type { PodMonitor } from './imports/prom-podmonitor-monitoring.coreos.com';
import { createPodMonitor } from './monitoring';
import type { PodMonitorOptions } from './monitoring';
import type { IInferencePoolBackend } from './vllm';
import {
  GATEWAY_UID,
  addLabels,
  componentLabels,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  setContainerProbe,
} from './workload-defaults';

/** The header the gateway sets and the route matches, naming the model a request is for. */
export const MODEL_NAME_HEADER = 'X-Gateway-Model-Name';

const EXT_PROC_PORT = 9002;
const HEALTH_PORT = 9003;
const METRICS_PORT = 9090;
const CONFIG_FILE = 'config.yaml';

/**
 * The EPP's default scheduling: prefer pods with short queues, free KV cache and the request's prompt
 * prefix already cached (the inference extension's default plugin set and weights).
 */
const DEFAULT_ENDPOINT_PICKER_CONFIG = {
  apiVersion: 'inference.networking.x-k8s.io/v1alpha1',
  kind: 'EndpointPickerConfig',
  plugins: [{ type: 'queue-scorer' }, { type: 'kv-cache-utilization-scorer' }, { type: 'prefix-cache-scorer' }],
  schedulingProfiles: [
    {
      name: 'default',
      plugins: [
        { pluginRef: 'queue-scorer', weight: 2 },
        { pluginRef: 'kv-cache-utilization-scorer', weight: 2 },
        { pluginRef: 'prefix-cache-scorer', weight: 3 },
      ],
    },
  ],
};

/** Properties of an {@link InferencePool}. */
export interface InferencePoolProps {
  /** The model server whose pods form the pool. */
  readonly backend: IInferencePoolBackend;
  /** The endpoint picker image, pinned by tag (the inference extension's `epp` release image, or a mirror). */
  readonly endpointPickerImage: string;
  /** The name of the internal Gateway API Gateway the route attaches to. */
  readonly gatewayName: string;
  /**
   * The Gateway's namespace.
   * @default - the pool's namespace
   */
  readonly gatewayNamespace?: string;
  /**
   * Create that Gateway here, with this GatewayClass (one HTTP listener on port 80 accepting routes
   * from its own namespace).
   * @default - the Gateway exists already
   */
  readonly gatewayClassName?: string;
  /**
   * The base URL of the Gateway's data plane inside the cluster.
   * @default - `http://<gatewayName>.<gatewayNamespace>.svc` (the Service kgateway and agentgateway
   *   create; Istio names it `<gatewayName>-istio`, so set this for Istio)
   */
  readonly gatewayUrl?: string;
  /**
   * The InferencePool's name.
   * @default - generated from the construct path
   */
  readonly name?: string;
  /**
   * Endpoint picker pods; more than one runs them with leader election.
   * @default 1
   */
  readonly endpointPickerReplicas?: number;
  /**
   * CPU and memory of the endpoint picker.
   * @default - requests 200m CPU and 256Mi, limits 2 CPU and 1Gi
   */
  readonly endpointPickerResources?: kplus.ContainerResources;
  /**
   * The endpoint picker's `EndpointPickerConfig` (plugins and scheduling profiles).
   * @default - queue, KV-cache-utilization and prefix-cache scorers
   */
  readonly endpointPickerConfig?: Record<string, unknown>;
  /**
   * Whether the Gateway keeps routing (to any pod) when the endpoint picker is unavailable.
   * @default false (requests fail instead)
   */
  readonly failOpen?: boolean;
  /**
   * How long a request through the route may take.
   * @default Duration.minutes(5)
   */
  readonly requestTimeout?: Duration;
}

/** An InferencePool with its endpoint picker and route, wired into the gateway's model list. */
export class InferencePool extends Construct implements IModelServer {
  /** The InferencePool's name. */
  readonly name: string;
  /** The InferencePool. */
  readonly pool: InferencePoolResource;
  /** The endpoint picker pods. */
  readonly endpointPicker: kplus.Deployment;
  /** The endpoint picker's Service (ext-proc on 9002, metrics on 9090). */
  readonly endpointPickerService: kplus.Service;
  /** The endpoint picker's permissions. */
  readonly endpointPickerRole: kplus.Role;
  /** The route from the internal Gateway to the pool. */
  readonly route: HttpRoute;
  /** The internal Gateway, when created here. */
  readonly gateway?: GatewayApiGateway;
  readonly gatewayModels: readonly GatewayModel[];
  readonly gatewayEgress: readonly GatewayEgressRule[];

  constructor(scope: Construct, id: string, props: InferencePoolProps) {
    super(scope, id);
    if (!/^[^\s:@]+(:[\w.-]+|@sha256:[a-f0-9]{64})$/.test(props.endpointPickerImage) || props.endpointPickerImage.endsWith(':latest')) {
      throw new Error(`endpointPickerImage must be pinned by tag or digest, got ${JSON.stringify(props.endpointPickerImage)}`);
    }
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(props.gatewayName)) {
      throw new Error(`gatewayName must be the name of a Gateway (a DNS label), got ${JSON.stringify(props.gatewayName)}`);
    }
    if (props.gatewayClassName !== undefined && props.gatewayNamespace !== undefined) {
      throw new Error('gatewayClassName creates the Gateway in the pool\'s namespace; drop gatewayNamespace or create the Gateway elsewhere');
    }
    const replicas = props.endpointPickerReplicas ?? 1;
    if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`endpointPickerReplicas must be a whole number of at least 1, got ${replicas}`);
    const requestTimeout = props.requestTimeout ?? Duration.minutes(5);
    const backend = props.backend;

    // Order matters: the EPP Service's name goes into the pool, the pool's name into the EPP's arguments.
    this.endpointPickerService = new kplus.Service(this, 'EppService', {
      ports: [
        { name: 'grpc-ext-proc', port: EXT_PROC_PORT, targetPort: EXT_PROC_PORT },
        { name: 'http-metrics', port: METRICS_PORT, targetPort: METRICS_PORT },
      ],
    });
    this.pool = new InferencePoolResource(this, 'Resource', {
      metadata: props.name === undefined ? {} : { name: props.name },
      spec: {
        selector: { matchLabels: backend.podLabels },
        targetPorts: [{ number: backend.targetPort }],
        endpointPickerRef: {
          kind: 'Service',
          name: this.endpointPickerService.name,
          port: { number: EXT_PROC_PORT },
          failureMode: (props.failOpen ?? false) ? InferencePoolSpecEndpointPickerRefFailureMode.FAIL_OPEN : InferencePoolSpecEndpointPickerRefFailureMode.FAIL_CLOSE,
        },
      },
    });
    this.name = this.pool.name;
    const labels = componentLabels('endpoint-picker', 'inference-pool', this.name);

    const serviceAccount = new kplus.ServiceAccount(this, 'EppServiceAccount', { automountToken: true });
    this.endpointPickerRole = new kplus.Role(this, 'EppRole');
    this.endpointPickerRole.allowRead(kplus.ApiResource.PODS);
    this.endpointPickerRole.allowRead(kplus.ApiResource.custom({ apiGroup: 'inference.networking.k8s.io', resourceType: 'inferencepools' }));
    this.endpointPickerRole.allowRead(
      kplus.ApiResource.custom({ apiGroup: 'inference.networking.x-k8s.io', resourceType: 'inferenceobjectives' }),
      kplus.ApiResource.custom({ apiGroup: 'inference.networking.x-k8s.io', resourceType: 'inferencemodelrewrites' }),
    );
    if (replicas > 1) {
      this.endpointPickerRole.allow(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'], kplus.ApiResource.LEASES);
      this.endpointPickerRole.allow(['create', 'patch'], kplus.ApiResource.EVENTS);
    }
    const binding = new kplus.RoleBinding(this, 'EppRoleBinding', { role: this.endpointPickerRole });
    binding.addSubjects(serviceAccount);

    const configMap = new kplus.ConfigMap(this, 'EppConfig', {
      data: { [CONFIG_FILE]: stringify(props.endpointPickerConfig ?? DEFAULT_ENDPOINT_PICKER_CONFIG) },
    });

    this.endpointPicker = new kplus.Deployment(this, 'Epp', {
      replicas,
      // One active picker keeps the prefix-cache index consistent; Recreate hands over at once.
      strategy: kplus.DeploymentStrategy.recreate(),
      serviceAccount,
      automountServiceAccountToken: true,
      securityContext: restrictedPodSecurityContext(GATEWAY_UID),
      // As long as the longest request of the pool's model servers may take to drain.
      terminationGracePeriod: Duration.seconds(130),
    });
    this.endpointPicker.addContainer({
      name: 'epp',
      image: props.endpointPickerImage,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      args: [
        '--pool-name', this.name,
        '--config-file', `/config/${CONFIG_FILE}`,
        '--zap-encoder', 'json',
        '--metrics-endpoint-auth=false',
        ...(replicas > 1 ? ['--ha-enable-leader-election'] : []),
      ],
      ports: [
        { number: EXT_PROC_PORT, name: 'grpc' },
        { number: HEALTH_PORT, name: 'grpc-health' },
        { number: METRICS_PORT, name: 'metrics' },
      ],
      envVariables: {
        NAMESPACE: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAMESPACE),
        POD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
      },
      securityContext: restrictedContainerSecurityContext({ user: GATEWAY_UID }),
      resources: props.endpointPickerResources ?? {
        cpu: { request: kplus.Cpu.millis(200), limit: kplus.Cpu.units(2) },
        memory: { request: Size.mebibytes(256), limit: Size.gibibytes(1) },
      },
      volumeMounts: [{ path: '/config', volume: kplus.Volume.fromConfigMap(this, 'ConfigVolume', configMap, { name: 'config' }), readOnly: true }],
    });
    // gRPC health probes (cdk8s-plus 28 models only HTTP, TCP and exec probes).
    const healthService = replicas > 1 ? { liveness: 'liveness', readiness: 'readiness' } : { liveness: 'inference-extension', readiness: 'inference-extension' };
    setContainerProbe(this.endpointPicker, 0, 'livenessProbe', { grpc: { port: HEALTH_PORT, service: healthService.liveness }, initialDelaySeconds: 5, periodSeconds: 10 });
    setContainerProbe(this.endpointPicker, 0, 'readinessProbe', { grpc: { port: HEALTH_PORT, service: healthService.readiness }, periodSeconds: 2 });

    this.endpointPickerService.select(this.endpointPicker);
    addLabels(labels, this.pool, serviceAccount, this.endpointPickerRole, binding, configMap, this.endpointPicker, this.endpointPickerService);

    if (props.gatewayClassName !== undefined) {
      this.gateway = new GatewayApiGateway(this, 'Gateway', {
        metadata: { name: props.gatewayName },
        spec: {
          gatewayClassName: props.gatewayClassName,
          listeners: [
            { name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: GatewaySpecListenersAllowedRoutesNamespacesFrom.SAME } } },
          ],
        },
      });
    }

    this.route = new HttpRoute(this, 'Route', {
      metadata: {},
      spec: {
        parentRefs: [
          {
            group: 'gateway.networking.k8s.io',
            kind: 'Gateway',
            name: props.gatewayName,
            ...(props.gatewayNamespace === undefined ? {} : { namespace: props.gatewayNamespace }),
          },
        ],
        rules: [
          {
            matches: [
              {
                path: { type: HttpRouteSpecRulesMatchesPathType.PATH_PREFIX, value: '/' },
                headers: [{ type: HttpRouteSpecRulesMatchesHeadersType.EXACT, name: MODEL_NAME_HEADER, value: backend.servedModelName }],
              },
            ],
            backendRefs: [{ group: 'inference.networking.k8s.io', kind: 'InferencePool', name: this.name }],
            timeouts: { request: `${requestTimeout.toSeconds()}s` },
          },
        ],
      },
    });

    addLabels(labels, this.route, ...(this.gateway === undefined ? [] : [this.gateway]));

    const namespace = props.gatewayNamespace ?? Chart.of(this).namespace;
    const gatewayUrl = props.gatewayUrl ?? `http://${props.gatewayName}${namespace === undefined ? '' : `.${namespace}.svc`}`;
    if (!/^https?:\/\/[^\s/]+$/.test(gatewayUrl)) throw new Error(`gatewayUrl must be a base URL without a path, e.g. http://inference-gateway.llm.svc, got ${JSON.stringify(gatewayUrl)}`);
    this.gatewayModels = [
      {
        name: backend.gatewayModelName,
        model: `hosted_vllm/${backend.servedModelName}`,
        apiBase: `${gatewayUrl}/v1`,
        extraHeaders: { [MODEL_NAME_HEADER]: backend.servedModelName },
        mode: 'chat',
      },
    ];
    // The gateway talks to the internal Gateway's data plane on its listener port. Implementations
    // that deploy the data plane per Gateway label its pods with the Gateway's name (GEP-1762).
    const peer = kplus.Pods.select(this, 'GatewayDataPlane', {
      labels: { 'gateway.networking.k8s.io/gateway-name': props.gatewayName },
      ...(props.gatewayNamespace === undefined
        ? {}
        : { namespaces: kplus.Namespaces.select(this, 'GatewayNamespace', { names: [props.gatewayNamespace] }) }),
    });
    this.gatewayEgress = [{ peer, ports: [kplus.NetworkPolicyPort.tcp(80)] }];
  }

  /** Scrapes the endpoint picker's scheduling metrics. */
  addPodMonitor(options: PodMonitorOptions = {}): PodMonitor {
    return createPodMonitor(this, 'PodMonitor', { ...options, podLabels: this.endpointPicker.matchLabels, portName: 'metrics' });
  }
}
