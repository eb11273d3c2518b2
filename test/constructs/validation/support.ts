// Shared fixtures for the manifest validator tests: hand-written manifests that pass every rule, and
// small helpers to break them in one place.

import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createManifestValidator } from '../../../constructs/validation';
import type { ManifestIssue, ManifestValidator, ValidatorOptions } from '../../../constructs/validation';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The folder that holds `crds/` and `k8s-schemas/`, beside the repository. */
export const sharedDir = resolve(repoRoot, '../shared');

export type Manifest = Record<string, unknown>;

export function validatorFor(options: Omit<ValidatorOptions, 'sharedDir'> = {}): ManifestValidator {
  return createManifestValidator({ sharedDir, ...options });
}

/** Issues reduced to what tests compare. */
export function summarize(issues: readonly ManifestIssue[]): { rule: string; path: string; check?: string }[] {
  return issues.map((issue) => (issue.check === undefined ? { rule: issue.rule, path: issue.path } : { rule: issue.rule, path: issue.path, check: issue.check }));
}

/**
 * A deep copy of `object` with the value at a JSON pointer replaced (`undefined` removes it).
 * Missing intermediate objects are created.
 */
export function patch(object: Manifest, path: string, value: unknown): Manifest {
  const copy = structuredClone(object);
  const segments = path.split('/').slice(1).map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = segments.pop();
  if (last === undefined) throw new Error(`patch needs a non-empty path, got ${JSON.stringify(path)}`);
  let current: unknown = copy;
  for (const segment of segments) {
    const container = current as Record<string, unknown>;
    if (container[segment] === undefined) container[segment] = {};
    current = container[segment];
  }
  const target = current as Record<string, unknown>;
  if (value === undefined) {
    if (Array.isArray(target)) target.splice(Number(last), 1);
    else delete target[last];
  } else target[last] = value;
  return copy;
}

export const NAMESPACE = 'switchyard';
export const gatewayLabels = { 'app.kubernetes.io/name': 'gateway', 'app.kubernetes.io/instance': 'switchyard' };

export const restrictedContainerSecurityContext = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
};

export const podSecurityContext = { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } };

const resources = { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } };

/** A Deployment that meets every rule: resources, probes, restricted security context. */
export function gatewayDeployment(): Manifest {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'gateway', namespace: NAMESPACE, labels: gatewayLabels },
    spec: {
      replicas: 2,
      selector: { matchLabels: gatewayLabels },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
      template: {
        metadata: { labels: gatewayLabels, annotations: { 'checksum/config': 'abc123' } },
        spec: {
          automountServiceAccountToken: false,
          securityContext: podSecurityContext,
          containers: [
            {
              name: 'gateway',
              image: 'ghcr.io/example/switchyard:1.0.0',
              ports: [{ name: 'http', containerPort: 4000, protocol: 'TCP' }],
              env: [{ name: 'PORT', value: '4000' }],
              envFrom: [{ configMapRef: { name: 'gateway-config' } }],
              resources,
              securityContext: restrictedContainerSecurityContext,
              readinessProbe: { httpGet: { path: '/health/readiness', port: 'http' }, periodSeconds: 5 },
              livenessProbe: { httpGet: { path: '/health/liveliness', port: 'http' }, periodSeconds: 10 },
              startupProbe: { httpGet: { path: '/health/readiness', port: 4000 }, failureThreshold: 30 },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
        },
      },
    },
  };
}

export function gatewayService(): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'gateway', namespace: NAMESPACE, labels: gatewayLabels },
    spec: { type: 'ClusterIP', selector: gatewayLabels, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] },
  };
}

export function gatewayConfigMap(): Manifest {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'gateway-config', namespace: NAMESPACE }, data: { LOG_LEVEL: 'info' } };
}

/** A bare Pod with the restricted profile's settings, for the Pod Security tests. */
export function restrictedPod(): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'probe', namespace: NAMESPACE, labels: { app: 'probe' } },
    spec: {
      securityContext: podSecurityContext,
      containers: [
        {
          name: 'main',
          image: 'busybox:1.36',
          resources,
          securityContext: restrictedContainerSecurityContext,
          readinessProbe: { exec: { command: ['true'] } },
          livenessProbe: { exec: { command: ['true'] } },
        },
      ],
    },
  };
}

export function postgresCluster(): Manifest {
  return {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: 'pg', namespace: NAMESPACE },
    spec: {
      instances: 3,
      storage: { size: '20Gi' },
      bootstrap: { initdb: { database: 'switchyard', owner: 'switchyard' } },
      resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } },
      plugins: [{ name: 'barman-cloud.cloudnative-pg.io', isWALArchiver: true, parameters: { barmanObjectName: 'pg-backups' } }],
    },
  };
}

export function objectStore(): Manifest {
  return {
    apiVersion: 'barmancloud.cnpg.io/v1',
    kind: 'ObjectStore',
    metadata: { name: 'pg-backups', namespace: NAMESPACE },
    spec: {
      configuration: {
        destinationPath: 's3://backups/switchyard',
        s3Credentials: { accessKeyId: { name: 'backup-s3', key: 'ACCESS_KEY_ID' }, secretAccessKey: { name: 'backup-s3', key: 'SECRET_ACCESS_KEY' } },
      },
    },
  };
}

export function providerKeysExternalSecret(): Manifest {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: 'provider-keys', namespace: NAMESPACE },
    spec: {
      refreshInterval: '1h',
      secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault' },
      target: { name: 'gateway-provider-keys', creationPolicy: 'Owner' },
      data: [{ secretKey: 'OPENAI_API_KEY', remoteRef: { key: 'switchyard/openai', property: 'api-key' } }],
    },
  };
}

export function gatewayServiceMonitor(): Manifest {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: 'gateway', namespace: NAMESPACE },
    spec: {
      selector: { matchLabels: gatewayLabels },
      endpoints: [
        {
          port: 'http',
          path: '/metrics',
          interval: '30s',
          basicAuth: { username: { name: 'metrics-auth', key: 'username' }, password: { name: 'metrics-auth', key: 'password' } },
        },
      ],
    },
  };
}

export const vllmLabels = { 'app.kubernetes.io/name': 'vllm', 'switchyard.dev/model': 'llama' };

export function inferencePool(): Manifest {
  return {
    apiVersion: 'inference.networking.k8s.io/v1',
    kind: 'InferencePool',
    metadata: { name: 'llama', namespace: NAMESPACE },
    spec: { selector: { matchLabels: vllmLabels }, targetPorts: [{ number: 8000 }], endpointPickerRef: { name: 'llama-epp', port: { number: 9002 } } },
  };
}

export function inferenceRoute(): Manifest {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'llama', namespace: NAMESPACE },
    spec: {
      parentRefs: [{ name: 'internal', namespace: 'gateway-system' }],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/v1' } }],
          backendRefs: [{ group: 'inference.networking.k8s.io', kind: 'InferencePool', name: 'llama' }],
        },
      ],
    },
  };
}

/** A GPU model server Deployment (vLLM) that meets the restricted profile. */
export function vllmDeployment(): Manifest {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'vllm-llama', namespace: NAMESPACE },
    spec: {
      selector: { matchLabels: vllmLabels },
      template: {
        metadata: { labels: vllmLabels },
        spec: {
          securityContext: podSecurityContext,
          containers: [
            {
              name: 'vllm',
              image: 'vllm/vllm-openai:v0.10.0',
              args: ['--model', 'meta-llama/Llama-3.1-8B-Instruct'],
              ports: [{ name: 'http', containerPort: 8000 }],
              resources: {
                requests: { cpu: '4', memory: '32Gi', 'nvidia.com/gpu': 1 },
                limits: { cpu: '8', memory: '48Gi', 'nvidia.com/gpu': 1 },
              },
              securityContext: restrictedContainerSecurityContext,
              readinessProbe: { httpGet: { path: '/health', port: 'http' } },
              livenessProbe: { httpGet: { path: '/health', port: 'http' } },
              volumeMounts: [{ name: 'shm', mountPath: '/dev/shm' }],
            },
          ],
          volumes: [{ name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: '8Gi' } }],
        },
      },
    },
  };
}
