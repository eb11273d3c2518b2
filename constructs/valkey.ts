// Valkey for the gateway's shared rate-limit counters and cache, built from plain StatefulSets and the
// official `valkey/valkey` image: one pod (standalone), or three pods each running valkey and a
// sentinel (Sentinel HA: one master, two replicas, automatic failover with a quorum of two).
//
// The password comes from a Secret. The start scripts write it into a config file under /tmp (an
// emptyDir, mode 0600) rather than passing it on the command line, so it is not in the process list.
// Pods address each other by their stable DNS names (`<pod>.<headless service>.<namespace>.svc`),
// announced to the sentinels with `resolve-hostnames`/`announce-hostnames`, so failover survives pod
// IP changes.
//
// @see https://valkey.io/topics/sentinel/
// @see https://hub.docker.com/r/valkey/valkey

import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';

import type { GatewayConnection, GatewayEgressRule, IGatewayCache } from './connections';
import type { PodMonitor } from './imports/prom-podmonitor-monitoring.coreos.com';
import { createPodMonitor } from './monitoring';
import type { PodMonitorOptions } from './monitoring';
import {
  addLabels,
  addTopologySpread,
  componentLabels,
  patchQuantity,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  serviceHost,
} from './workload-defaults';

/** How Valkey runs. */
export enum ValkeyMode {
  /** One pod. */
  STANDALONE = 'standalone',
  /** Three pods, each with valkey and a sentinel; clients find the master through the sentinels. */
  SENTINEL = 'sentinel',
}

/** Properties of {@link Valkey}. */
export interface ValkeyProps {
  /** The Secret key holding the password clients and replicas authenticate with. */
  readonly password: kplus.SecretValue;
  /**
   * The StatefulSet's name.
   * @default - generated from the construct path
   */
  readonly name?: string;
  /**
   * Standalone or Sentinel HA.
   * @default ValkeyMode.STANDALONE
   */
  readonly mode?: ValkeyMode;
  /**
   * The Valkey image, pinned by tag.
   * @default 'valkey/valkey:8.1'
   */
  readonly image?: string;
  /**
   * A volume per pod for append-only-file persistence.
   * @default - no persistence: data lives in memory and is lost with the pod (fine for rate-limit windows and a cache)
   */
  readonly storageSize?: Size;
  /**
   * The storage class of those volumes.
   * @default - the cluster's default storage class
   */
  readonly storageClass?: string;
  /**
   * CPU and memory of the valkey container.
   * @default - requests 100m CPU and 256Mi, limits 1 CPU and 512Mi
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * Whether to run the Prometheus exporter sidecar (port `metrics`, 9121).
   * @default true
   */
  readonly metrics?: boolean;
  /**
   * The exporter image.
   * @default 'oliver006/redis_exporter:v1.67.0'
   */
  readonly exporterImage?: string;
  /**
   * The sentinels' name for the master (Sentinel mode).
   * @default 'switchyard'
   */
  readonly masterSetName?: string;
}

const VALKEY_PORT = 6379;
const SENTINEL_PORT = 26379;
const EXPORTER_PORT = 9121;
/** The `valkey` user of the official image. */
const VALKEY_UID = 999;
/** The user the exporter image runs as. */
const EXPORTER_UID = 59000;
const SENTINEL_REPLICAS = 3;

const FIND_MASTER = `#!/bin/sh
# Prints the master's host as any sentinel knows it; exits 1 when none answers (first start).
set -u
i=0
while [ "$i" -lt "$REPLICAS" ]; do
  host="$STATEFULSET-$i.$HEADLESS_SERVICE.$POD_NAMESPACE.svc"
  answer=$(timeout 3 valkey-cli --no-auth-warning -h "$host" -p ${SENTINEL_PORT} sentinel get-master-addr-by-name "$MASTER_SET" 2>/dev/null | head -n 1)
  case "$answer" in
    '' | *' '*) ;;
    *) printf '%s\\n' "$answer"; exit 0 ;;
  esac
  i=$((i + 1))
done
exit 1
`;

const COMMON_SH = `set -eu
umask 077
quote() { printf '"%s"' "$(printf '%s' "$1" | sed 's/[\\\\"]/\\\\&/g')"; }
self="$POD_NAME.$HEADLESS_SERVICE.$POD_NAMESPACE.svc"
first="$STATEFULSET-0.$HEADLESS_SERVICE.$POD_NAMESPACE.svc"
`;

const START_VALKEY = `#!/bin/sh
# Writes the runtime config (password; in Sentinel mode, replication) to /tmp and starts valkey.
${COMMON_SH}conf=/tmp/valkey.conf
cp /etc/valkey/valkey.conf "$conf"
printf 'requirepass %s\\nmasterauth %s\\n' "$(quote "$VALKEY_PASSWORD")" "$(quote "$VALKEY_PASSWORD")" >> "$conf"
if [ "$VALKEY_MODE" = sentinel ]; then
  printf 'replica-announce-ip %s\\n' "$self" >> "$conf"
  master=$(/scripts/find-master.sh || true)
  # No sentinel answered: first start, and the first pod is the master.
  [ -n "$master" ] || master="$first"
  if [ "$master" != "$self" ]; then printf 'replicaof %s ${VALKEY_PORT}\\n' "$master" >> "$conf"; fi
fi
exec valkey-server "$conf"
`;

const START_SENTINEL = `#!/bin/sh
# Writes the sentinel config (sentinel rewrites it, so it lives in /tmp) and starts the sentinel.
${COMMON_SH}mkdir -p /tmp/sentinel
master=$(/scripts/find-master.sh || true)
[ -n "$master" ] || master="$first"
password=$(quote "$VALKEY_PASSWORD")
cat > /tmp/sentinel/sentinel.conf <<EOF
port ${SENTINEL_PORT}
dir /tmp/sentinel
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel announce-ip $self
sentinel announce-port ${SENTINEL_PORT}
requirepass $password
sentinel sentinel-pass $password
sentinel monitor $MASTER_SET $master ${VALKEY_PORT} 2
sentinel auth-pass $MASTER_SET $password
sentinel down-after-milliseconds $MASTER_SET 5000
sentinel failover-timeout $MASTER_SET 60000
sentinel parallel-syncs $MASTER_SET 1
EOF
exec valkey-server /tmp/sentinel/sentinel.conf --sentinel
`;

function valkeyConf(persistent: boolean): string {
  return [
    '# Static settings; the start script appends the password and replication.',
    'bind * -::*',
    `port ${VALKEY_PORT}`,
    // Protected mode only guards an instance without a password; this one always has one.
    'protected-mode no',
    'dir /data',
    persistent ? 'appendonly yes' : 'appendonly no',
    persistent ? 'appendfsync everysec' : 'save ""',
    'replica-serve-stale-data yes',
    '',
  ].join('\n');
}

/**
 * Valkey on plain StatefulSets: standalone, or Sentinel HA with three pods. Restricted security
 * context, optional persistence, a redis_exporter sidecar and a disruption budget.
 */
export class Valkey extends Construct implements IGatewayCache {
  /** The StatefulSet's name. */
  readonly name: string;
  /** The pods. */
  readonly statefulSet: kplus.StatefulSet;
  /** The Service clients use: valkey (standalone) or the sentinels (Sentinel mode). */
  readonly service: kplus.Service;
  /** The scripts and static config. */
  readonly configMap: kplus.ConfigMap;
  /** The disruption budget (Sentinel mode): at most one pod down. */
  readonly disruptionBudget?: kplus.k8s.KubePodDisruptionBudget;
  /** The mode. */
  readonly mode: ValkeyMode;
  /** The sentinels' name for the master. */
  readonly masterSetName: string;
  /** Labels on every object and pod. */
  readonly labels: Record<string, string>;
  private readonly props: ValkeyProps;
  private readonly egress: GatewayEgressRule;

  constructor(scope: Construct, id: string, props: ValkeyProps) {
    super(scope, id);
    this.props = props;
    this.mode = props.mode ?? ValkeyMode.STANDALONE;
    this.masterSetName = props.masterSetName ?? 'switchyard';
    if (!/^[A-Za-z0-9_-]+$/.test(this.masterSetName)) {
      throw new Error(`masterSetName must be letters, digits, '-' or '_', got ${JSON.stringify(this.masterSetName)}`);
    }
    const image = props.image ?? 'valkey/valkey:8.1';
    if (!/^[^\s:@]+(:[\w.-]+)?(@sha256:[a-f0-9]{64})?$/.test(image) || !/[:@]/.test(image) || image.endsWith(':latest')) {
      throw new Error(`image must be pinned by tag or digest, e.g. valkey/valkey:8.1, got ${JSON.stringify(image)}`);
    }
    if (props.storageClass !== undefined && props.storageSize === undefined) {
      throw new Error('storageClass needs storageSize; set storageSize to enable persistence');
    }
    const persistent = props.storageSize !== undefined;
    const sentinel = this.mode === ValkeyMode.SENTINEL;
    const replicas = sentinel ? SENTINEL_REPLICAS : 1;

    this.configMap = new kplus.ConfigMap(this, 'Config', {
      data: {
        'valkey.conf': valkeyConf(persistent),
        'start-valkey.sh': START_VALKEY,
        ...(sentinel ? { 'start-sentinel.sh': START_SENTINEL, 'find-master.sh': FIND_MASTER } : {}),
      },
    });
    const configVolume = kplus.Volume.fromConfigMap(this, 'ConfigVolume', this.configMap, { name: 'config', items: { 'valkey.conf': { path: 'valkey.conf' } } });
    const scriptsVolume = kplus.Volume.fromConfigMap(this, 'ScriptsVolume', this.configMap, {
      name: 'scripts',
      defaultMode: 0o555,
      items: Object.fromEntries(
        ['start-valkey.sh', ...(sentinel ? ['start-sentinel.sh', 'find-master.sh'] : [])].map((file) => [file, { path: file }]),
      ),
    });
    const tmpVolume = kplus.Volume.fromEmptyDir(this, 'TmpVolume', 'tmp', { sizeLimit: Size.mebibytes(64) });

    // The headless Service gives each pod its DNS name; not-ready pods are published so replicas
    // and sentinels can reach each other while they start.
    const headless = new kplus.Service(this, 'Headless', {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      ports: [
        { name: 'valkey', port: VALKEY_PORT, targetPort: VALKEY_PORT },
        ...(sentinel ? [{ name: 'sentinel', port: SENTINEL_PORT, targetPort: SENTINEL_PORT }] : []),
      ],
    });
    this.statefulSet = new kplus.StatefulSet(this, 'Resource', {
      metadata: props.name === undefined ? {} : { name: props.name },
      service: headless,
      replicas,
      securityContext: restrictedPodSecurityContext(VALKEY_UID),
      automountServiceAccountToken: false,
      terminationGracePeriod: Duration.seconds(30),
    });
    this.name = this.statefulSet.name;
    this.labels = componentLabels('valkey', 'cache', this.name);

    const password = kplus.EnvValue.fromSecretValue(props.password);
    const env: Record<string, kplus.EnvValue> = {
      VALKEY_PASSWORD: password,
      // valkey-cli reads these, so probes and scripts never pass the password as an argument.
      VALKEYCLI_AUTH: password,
      REDISCLI_AUTH: password,
      VALKEY_MODE: kplus.EnvValue.fromValue(this.mode),
      POD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
      POD_NAMESPACE: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAMESPACE),
      STATEFULSET: kplus.EnvValue.fromValue(this.name),
      HEADLESS_SERVICE: kplus.EnvValue.fromValue(this.statefulSet.service.name),
      REPLICAS: kplus.EnvValue.fromValue(String(replicas)),
      MASTER_SET: kplus.EnvValue.fromValue(this.masterSetName),
    };
    const securityContext = restrictedContainerSecurityContext({ user: VALKEY_UID });
    const ping = (port: number, options: kplus.CommandProbeOptions) =>
      kplus.Probe.fromCommand(['sh', '-c', `valkey-cli -p ${port} ping | grep -q PONG`], { timeoutSeconds: Duration.seconds(3), ...options });

    const dataVolume = persistent ? undefined : kplus.Volume.fromEmptyDir(this, 'DataVolume', 'data');
    this.statefulSet.addContainer({
      name: 'valkey',
      image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['/scripts/start-valkey.sh'],
      ports: [{ number: VALKEY_PORT, name: 'valkey' }],
      envVariables: env,
      securityContext,
      resources: props.resources ?? {
        cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.units(1) },
        memory: { request: Size.mebibytes(256), limit: Size.mebibytes(512) },
      },
      startup: ping(VALKEY_PORT, { periodSeconds: Duration.seconds(2), failureThreshold: 30 }),
      liveness: ping(VALKEY_PORT, { periodSeconds: Duration.seconds(10), failureThreshold: 3 }),
      readiness: ping(VALKEY_PORT, { periodSeconds: Duration.seconds(5), failureThreshold: 2 }),
      volumeMounts: [
        { path: '/etc/valkey', volume: configVolume, readOnly: true },
        { path: '/scripts', volume: scriptsVolume, readOnly: true },
        { path: '/tmp', volume: tmpVolume },
        ...(dataVolume === undefined ? [] : [{ path: '/data', volume: dataVolume }]),
      ],
    });

    if (sentinel) {
      this.statefulSet.addContainer({
        name: 'sentinel',
        image,
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        command: ['/scripts/start-sentinel.sh'],
        ports: [{ number: SENTINEL_PORT, name: 'sentinel' }],
        envVariables: env,
        securityContext,
        resources: {
          cpu: { request: kplus.Cpu.millis(20), limit: kplus.Cpu.millis(200) },
          memory: { request: Size.mebibytes(32), limit: Size.mebibytes(64) },
        },
        startup: ping(SENTINEL_PORT, { periodSeconds: Duration.seconds(2), failureThreshold: 30 }),
        liveness: ping(SENTINEL_PORT, { periodSeconds: Duration.seconds(10), failureThreshold: 3 }),
        readiness: ping(SENTINEL_PORT, { periodSeconds: Duration.seconds(5), failureThreshold: 2 }),
        volumeMounts: [
          { path: '/scripts', volume: scriptsVolume, readOnly: true },
          { path: '/tmp', volume: tmpVolume },
        ],
      });
    }

    if (props.metrics ?? true) {
      this.statefulSet.addContainer({
        name: 'exporter',
        image: props.exporterImage ?? 'oliver006/redis_exporter:v1.67.0',
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        ports: [{ number: EXPORTER_PORT, name: 'metrics' }],
        envVariables: {
          REDIS_ADDR: kplus.EnvValue.fromValue(`redis://localhost:${VALKEY_PORT}`),
          REDIS_PASSWORD: password,
        },
        securityContext: restrictedContainerSecurityContext({ user: EXPORTER_UID }),
        resources: {
          cpu: { request: kplus.Cpu.millis(10), limit: kplus.Cpu.millis(100) },
          memory: { request: Size.mebibytes(32), limit: Size.mebibytes(64) },
        },
        liveness: kplus.Probe.fromTcpSocket({ port: EXPORTER_PORT, periodSeconds: Duration.seconds(20) }),
        readiness: kplus.Probe.fromTcpSocket({ port: EXPORTER_PORT, periodSeconds: Duration.seconds(10) }),
      });
    }

    if (persistent && props.storageSize !== undefined) {
      // cdk8s-plus 28 has no volumeClaimTemplates: one volume per pod is added to the raw object.
      const statefulSet = ApiObject.of(this.statefulSet);
      statefulSet.addJsonPatch(
        JsonPatch.add('/spec/template/spec/containers/0/volumeMounts/-', { name: 'data', mountPath: '/data' }),
        JsonPatch.add('/spec/volumeClaimTemplates', [
          {
            metadata: { name: 'data', labels: this.labels },
            spec: {
              accessModes: ['ReadWriteOnce'],
              resources: { requests: { storage: patchQuantity(`${props.storageSize.toMebibytes()}Mi`) } },
              ...(props.storageClass === undefined ? {} : { storageClassName: props.storageClass }),
            },
          },
        ]),
      );
    }

    if (sentinel) {
      addTopologySpread(this.statefulSet);
      this.disruptionBudget = new kplus.k8s.KubePodDisruptionBudget(this, 'DisruptionBudget', {
        metadata: { labels: this.labels },
        spec: { maxUnavailable: kplus.k8s.IntOrString.fromNumber(1), selector: { matchLabels: this.statefulSet.matchLabels } },
      });
    }

    this.service = new kplus.Service(this, 'Service', {
      metadata: { name: this.name },
      selector: this.statefulSet,
      ports: sentinel
        ? [{ name: 'sentinel', port: SENTINEL_PORT, targetPort: SENTINEL_PORT }]
        : [{ name: 'valkey', port: VALKEY_PORT, targetPort: VALKEY_PORT }],
    });
    addLabels(this.labels, this.statefulSet, this.statefulSet.service, this.service, this.configMap);
    this.egress = {
      peer: kplus.Pods.select(this, 'Pods', { labels: { 'app.kubernetes.io/name': 'valkey', 'app.kubernetes.io/instance': this.name } }),
      ports: sentinel ? [kplus.NetworkPolicyPort.tcp(VALKEY_PORT), kplus.NetworkPolicyPort.tcp(SENTINEL_PORT)] : [kplus.NetworkPolicyPort.tcp(VALKEY_PORT)],
    };
  }

  /** The host of each pod, as the sentinels announce them. */
  get podHosts(): string[] {
    const replicas = this.mode === ValkeyMode.SENTINEL ? SENTINEL_REPLICAS : 1;
    return Array.from({ length: replicas }, (_, index) => serviceHost(this, `${this.name}-${index}.${this.statefulSet.service.name}`));
  }

  /**
   * Standalone: `REDIS_HOST`, `REDIS_PORT`, `REDIS_PASSWORD` (LiteLLM's variables). Sentinel:
   * `REDIS_SENTINEL_NODES` (a JSON list of `[host, port]`), `REDIS_SERVICE_NAME` (the master set),
   * `REDIS_PASSWORD` and `REDIS_SENTINEL_PASSWORD`.
   */
  gatewayConnection(): GatewayConnection {
    const password = kplus.EnvValue.fromSecretValue(this.props.password);
    if (this.mode === ValkeyMode.SENTINEL) {
      return {
        env: [
          { name: 'REDIS_SENTINEL_NODES', value: kplus.EnvValue.fromValue(JSON.stringify(this.podHosts.map((host) => [host, SENTINEL_PORT]))) },
          { name: 'REDIS_SERVICE_NAME', value: kplus.EnvValue.fromValue(this.masterSetName) },
          { name: 'REDIS_PASSWORD', value: password },
          { name: 'REDIS_SENTINEL_PASSWORD', value: password },
        ],
        egress: [this.egress],
      };
    }
    return {
      env: [
        { name: 'REDIS_HOST', value: kplus.EnvValue.fromValue(serviceHost(this, this.service.name)) },
        { name: 'REDIS_PORT', value: kplus.EnvValue.fromValue(String(VALKEY_PORT)) },
        { name: 'REDIS_PASSWORD', value: password },
      ],
      egress: [this.egress],
    };
  }

  /** Scrapes the exporter sidecar. */
  addPodMonitor(options: PodMonitorOptions = {}): PodMonitor {
    if (!(this.props.metrics ?? true)) throw new Error('addPodMonitor needs the exporter; set metrics to true');
    return createPodMonitor(this, 'PodMonitor', { ...options, podLabels: this.statefulSet.matchLabels, portName: 'metrics' });
  }
}
