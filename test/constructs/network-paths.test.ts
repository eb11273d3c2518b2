// The prod NetworkPolicies allow exactly the paths the gateway needs: evaluated connection by
// connection with the validator's NetworkPolicy evaluator.
import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';

import { PlatformChart } from '../../constructs/platform-chart';
import { networkPolicyAllows, workloadEndpoint } from '../../constructs/validation';
import type { NetworkConnection, NetworkEndpoint } from '../../constructs/validation';
import { loadPlatformSettings } from '../../stacks/settings';

const NAMESPACE = 'switchyard';
const manifest = Testing.synth(new PlatformChart(Testing.app(), 'switchyard', { settings: loadPlatformSettings('prod') }));
const options = { defaultNamespace: NAMESPACE };
const gateway = workloadEndpoint(manifest, { kind: 'Deployment', name: 'switchyard-gateway' }, options);
const migration = workloadEndpoint(manifest, { kind: 'Job', name: manifest.find((object) => object.kind === 'Job')?.metadata.name as string }, options);
const pooler = workloadEndpoint(manifest, { kind: 'Pooler', name: 'switchyard-postgres-pooler' }, options);
const primary = workloadEndpoint(manifest, { kind: 'Cluster', name: 'switchyard-postgres' }, options);
const valkey = workloadEndpoint(manifest, { kind: 'StatefulSet', name: 'switchyard-valkey' }, options);
const vllm = workloadEndpoint(manifest, { kind: 'Deployment', name: 'switchyard-llama-3-1-8b' }, options);
const pod = (namespace: string, labels: Record<string, string> = {}): NetworkEndpoint => ({ namespace, labels });
const dataPlane = pod(NAMESPACE, { 'gateway.networking.k8s.io/gateway-name': 'inference-gateway' });

function allows(from: NetworkEndpoint, to: NetworkEndpoint, port: number | string, protocol: NetworkConnection['protocol'] = 'TCP'): boolean {
  return networkPolicyAllows(manifest, { from, to, port, protocol }, options);
}

describe('prod network paths', () => {
  it.each([
    ['the ingress controller → gateway', pod('ingress-nginx'), gateway, 4000],
    ['Prometheus → gateway', pod('monitoring'), gateway, 4000],
    ['gateway → PgBouncer', gateway, pooler, 5432],
    ['gateway → Valkey', gateway, valkey, 6379],
    ['gateway → sentinels', gateway, valkey, 26379],
    ['gateway → internal Gateway (InferencePool)', gateway, dataPlane, 80],
    ['gateway → DNS (UDP)', gateway, pod('kube-system', { 'k8s-app': 'kube-dns' }), 53],
    ['gateway → a provider API', gateway, { ip: '104.18.6.192' }, 443],
    ['migration Job → Postgres primary', migration, primary, 5432],
  ] as const)('allows %s', (_name, from, to, port) => {
    expect(allows(from, to, port, port === 53 ? 'UDP' : 'TCP')).toBe(true);
  });

  it.each([
    ['another namespace → gateway', pod('apps'), gateway, 4000],
    ['gateway → a private address on 443', gateway, { ip: '10.1.2.3' }, 443],
    ['gateway → cloud metadata', gateway, { ip: '169.254.169.254' }, 80],
    ['gateway → a provider on plain HTTP', gateway, { ip: '104.18.6.192' }, 80],
    ['gateway → vLLM pods directly (the pool is the path)', gateway, vllm, 8000],
    ['gateway → Postgres primary directly (the pooler is the path)', gateway, primary, 5432],
    ['migration Job → the internet', migration, { ip: '104.18.6.192' }, 443],
    ['anyone → migration Job', pod(NAMESPACE), migration, 4000],
  ] as const)('denies %s', (_name, from, to, port) => {
    expect(allows(from, to, port)).toBe(false);
  });
});
