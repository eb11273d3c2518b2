import { describe, expect, it } from 'vitest';
import { evaluateNetworkPolicies, formatManifestIssues, networkPolicyAllows, workloadEndpoint } from '../../../constructs/validation';
import type { NetworkConnection, PodEndpoint } from '../../../constructs/validation';
import { gatewayConfigMap, gatewayDeployment, gatewayLabels, NAMESPACE, postgresCluster, validatorFor, vllmDeployment } from './support';
import type { Manifest } from './support';

const policy = (name: string, spec: Manifest): Manifest => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace: NAMESPACE },
  spec,
});
const inNamespace = (namespace: string, labels: Record<string, string>) => [
  { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } }, podSelector: { matchLabels: labels } },
];
const valkeyLabels = { 'app.kubernetes.io/name': 'valkey' };
const valkeyStatefulSet: Manifest = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'valkey', namespace: NAMESPACE },
  spec: {
    serviceName: 'valkey',
    selector: { matchLabels: valkeyLabels },
    template: {
      metadata: { labels: valkeyLabels },
      spec: { containers: [{ name: 'valkey', image: 'valkey/valkey:8', ports: [{ name: 'valkey', containerPort: 6379 }] }] },
    },
  },
};

// GIVEN the gateway's policies as the platform renders them: default deny, ingress from the ingress
// controller and Prometheus, egress to Postgres, Valkey, the model servers, DNS and the providers
const objects: Manifest[] = [
  gatewayDeployment(),
  gatewayConfigMap(),
  vllmDeployment(),
  postgresCluster(),
  valkeyStatefulSet,
  policy('default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] }),
  policy('gateway', {
    podSelector: { matchLabels: gatewayLabels },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [
      { from: inNamespace('ingress-nginx', { 'app.kubernetes.io/name': 'ingress-nginx' }), ports: [{ port: 'http', protocol: 'TCP' }] },
      { from: inNamespace('monitoring', { 'app.kubernetes.io/name': 'prometheus' }), ports: [{ port: 4000 }] },
    ],
    egress: [
      { to: [{ podSelector: { matchLabels: { 'cnpg.io/cluster': 'pg' } } }], ports: [{ port: 5432 }] },
      { to: [{ podSelector: { matchLabels: valkeyLabels } }], ports: [{ port: 6379 }, { port: 26379 }] },
      { to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'vllm' } } }], ports: [{ port: 8000 }] },
      { to: inNamespace('kube-system', { 'k8s-app': 'kube-dns' }), ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] },
      { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] } }], ports: [{ port: 443 }] },
    ],
  }),
  policy('vllm', {
    podSelector: { matchLabels: { 'app.kubernetes.io/name': 'vllm' } },
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ podSelector: { matchLabels: gatewayLabels } }], ports: [{ port: 'http' }] }],
  }),
  policy('valkey', {
    podSelector: { matchLabels: valkeyLabels },
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ podSelector: { matchLabels: gatewayLabels } }], ports: [{ port: 6379 }, { port: 26379 }] }],
  }),
  policy('postgres', {
    podSelector: { matchLabels: { 'cnpg.io/cluster': 'pg' } },
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ podSelector: { matchLabels: gatewayLabels } }], ports: [{ port: 5432 }] }],
  }),
];

const gateway = workloadEndpoint(objects, { kind: 'Deployment', name: 'gateway' });
const vllm = workloadEndpoint(objects, { kind: 'Deployment', name: 'vllm-llama' });
const postgres = workloadEndpoint(objects, { kind: 'Cluster', name: 'pg' });
const ingressController: PodEndpoint = { namespace: 'ingress-nginx', labels: { 'app.kubernetes.io/name': 'ingress-nginx' } };
const prometheus: PodEndpoint = { namespace: 'monitoring', labels: { 'app.kubernetes.io/name': 'prometheus' } };
const neighbour: PodEndpoint = { namespace: NAMESPACE, labels: { app: 'debug' } };
const valkey = workloadEndpoint(objects, { kind: 'StatefulSet', name: 'valkey' });
const dns: PodEndpoint = { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } };
const providerApi = { ip: '162.159.140.245' };

const allows = (connection: NetworkConnection): boolean => networkPolicyAllows(objects, connection);

describe('networkPolicyAllows', () => {
  it('validates the policy set itself', () => {
    const issues = validatorFor().validate(objects).filter((issue) => issue.rule === 'network-policy');
    expect(issues, formatManifestIssues(issues)).toEqual([]);
  });

  it('allows ingress to the gateway from the ingress controller and Prometheus only', () => {
    expect(allows({ from: ingressController, to: gateway, port: 4000 })).toBe(true);
    expect(allows({ from: ingressController, to: gateway, port: 'http' })).toBe(true);
    expect(allows({ from: prometheus, to: gateway, port: 4000 })).toBe(true);
    expect(allows({ from: neighbour, to: gateway, port: 4000 })).toBe(false);
    expect(allows({ from: { ...prometheus, namespace: 'default' }, to: gateway, port: 4000 })).toBe(false);
    expect(allows({ from: ingressController, to: gateway, port: 9090 })).toBe(false);
  });

  it('allows the gateway to reach Postgres, Valkey and the model servers on their ports only', () => {
    expect(allows({ from: gateway, to: postgres, port: 5432 })).toBe(true);
    expect(allows({ from: gateway, to: postgres, port: 22 })).toBe(false);
    expect(allows({ from: gateway, to: valkey, port: 6379 })).toBe(true);
    expect(allows({ from: gateway, to: valkey, port: 26379 })).toBe(true);
    expect(allows({ from: gateway, to: vllm, port: 8000 })).toBe(true);
    expect(allows({ from: gateway, to: vllm, port: 'http' })).toBe(true);
    expect(allows({ from: neighbour, to: vllm, port: 8000 })).toBe(false);
    expect(allows({ from: neighbour, to: postgres, port: 5432 })).toBe(false);
    expect(allows({ from: neighbour, to: valkey, port: 6379 })).toBe(false);
  });

  it('allows DNS over UDP and TCP 53 in kube-system', () => {
    expect(allows({ from: gateway, to: dns, port: 53, protocol: 'UDP' })).toBe(true);
    expect(allows({ from: gateway, to: dns, port: 53 })).toBe(true);
    expect(allows({ from: gateway, to: { ...dns, namespace: 'default' }, port: 53, protocol: 'UDP' })).toBe(false);
  });

  it('allows HTTPS to public addresses but not to private ranges or other ports', () => {
    expect(allows({ from: gateway, to: providerApi, port: 443 })).toBe(true);
    expect(allows({ from: gateway, to: { ip: '10.3.0.12' }, port: 443 })).toBe(false);
    expect(allows({ from: gateway, to: { ip: '192.168.1.10' }, port: 443 })).toBe(false);
    expect(allows({ from: gateway, to: providerApi, port: 80 })).toBe(false);
  });

  it('explains which policies isolate and which allow', () => {
    expect(evaluateNetworkPolicies(objects, { from: neighbour, to: gateway, port: 4000 })).toEqual({
      allowed: false,
      egressPolicies: [],
      egressAllowedBy: [],
      ingressPolicies: [`${NAMESPACE}/default-deny-ingress`, `${NAMESPACE}/gateway`],
      ingressAllowedBy: [],
    });
    // a pod no egress policy selects is not restricted
    expect(evaluateNetworkPolicies(objects, { from: vllm, to: providerApi, port: 80 })).toMatchObject({ allowed: true, egressPolicies: [] });
  });

  it('fails to find a workload that is not in the set', () => {
    expect(() => workloadEndpoint(objects, { kind: 'Deployment', name: 'nope' })).toThrow('no Deployment named "nope" with a pod template in the set');
  });
});
