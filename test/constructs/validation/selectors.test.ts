import { describe, expect, it } from 'vitest';
import {
  gatewayConfigMap,
  gatewayDeployment,
  gatewayLabels,
  gatewayService,
  gatewayServiceMonitor,
  inferencePool,
  NAMESPACE,
  patch,
  postgresCluster,
  summarize,
  validatorFor,
  vllmDeployment,
} from './support';
import type { Manifest } from './support';

const validator = validatorFor({ externalNames: { secrets: ['metrics-auth'], services: ['llama-epp'] } });
const selectorIssues = (objects: Manifest[]) =>
  validator.validate(objects).filter((issue) => issue.rule === 'service-selector' || issue.rule === 'selector' || issue.rule === 'network-policy');

describe('Service selectors', () => {
  it('fails when a Service selects no pod template', () => {
    // GIVEN a Service whose selector has a typo
    const service = patch(gatewayService(), '/spec/selector', { 'app.kubernetes.io/name': 'gatway' });
    // THEN
    expect(selectorIssues([gatewayDeployment(), gatewayConfigMap(), service])).toEqual([
      {
        object: `v1 Service ${NAMESPACE}/gateway`,
        path: '/spec/selector',
        message: 'selector app.kubernetes.io/name=gatway selects no pods: no pod template in namespace switchyard has these labels',
        rule: 'service-selector',
      },
    ]);
  });

  it('fails when the pods are in another namespace', () => {
    const service = patch(gatewayService(), '/metadata/namespace', 'other');
    expect(summarize(selectorIssues([gatewayDeployment(), gatewayConfigMap(), service]))).toEqual([{ rule: 'service-selector', path: '/spec/selector' }]);
  });

  it('accepts a Service without a selector (external endpoints)', () => {
    const service = patch(gatewayService(), '/spec/selector', undefined);
    expect(selectorIssues([service])).toEqual([]);
  });

  it('fails when a named targetPort is not a container port of the selected pods', () => {
    const service = patch(gatewayService(), '/spec/ports/0/targetPort', 'htp');
    expect(summarize(selectorIssues([gatewayDeployment(), gatewayConfigMap(), service]))).toEqual([{ rule: 'service-selector', path: '/spec/ports/0/targetPort' }]);
  });

  it('accepts Services that select CloudNativePG pods', () => {
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'pg-metrics', namespace: NAMESPACE },
      spec: { selector: { 'cnpg.io/cluster': 'pg' }, ports: [{ port: 9187, targetPort: 'metrics' }] },
    };
    expect(selectorIssues([service, postgresCluster()])).toEqual([]);
  });

  it('accepts pods declared as external', () => {
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'nim', namespace: NAMESPACE },
      spec: { selector: { app: 'nim-llama' }, ports: [{ port: 8000 }] },
    };
    const withExternal = validatorFor({ externalPods: [{ namespace: NAMESPACE, labels: { app: 'nim-llama' }, description: 'pods of the NIMService nim-llama' }] });
    expect(selectorIssues([service])).toHaveLength(1);
    expect(withExternal.validate([service])).toEqual([]);
  });
});

describe('other selectors', () => {
  it("fails when a Deployment's selector does not match its template", () => {
    const deployment = patch(gatewayDeployment(), '/spec/selector/matchLabels', { app: 'other' });
    expect(selectorIssues([deployment, gatewayConfigMap()]).map((issue) => [issue.rule, issue.message])).toEqual([
      ['selector', 'selector app=other does not match the pod template labels app.kubernetes.io/name=gateway,app.kubernetes.io/instance=switchyard'],
    ]);
  });

  it('fails when a ServiceMonitor selects no Service or names a port the Service lacks', () => {
    const noService = gatewayServiceMonitor();
    const wrongPort = patch(patch(gatewayServiceMonitor(), '/metadata/name', 'gateway-2'), '/spec/endpoints/0/port', 'metrics');
    expect(summarize(selectorIssues([noService, gatewayDeployment(), gatewayConfigMap()]))).toEqual([{ rule: 'selector', path: '/spec/selector' }]);
    expect(summarize(selectorIssues([wrongPort, gatewayDeployment(), gatewayService(), gatewayConfigMap()]))).toEqual([
      { rule: 'selector', path: '/spec/endpoints/0/port' },
    ]);
  });

  it('checks PodMonitors, PodDisruptionBudgets and InferencePools against pods', () => {
    // GIVEN a PodMonitor for the CNPG pods, a PDB for the gateway, and an InferencePool for the vLLM pods
    const podMonitor = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PodMonitor',
      metadata: { name: 'pg', namespace: NAMESPACE },
      spec: { selector: { matchLabels: { 'cnpg.io/cluster': 'pg' } }, podMetricsEndpoints: [{ port: 'metrics' }] },
    };
    const pdb = {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'gateway', namespace: NAMESPACE },
      spec: { minAvailable: 1, selector: { matchLabels: gatewayLabels } },
    };
    const objects = [podMonitor, pdb, inferencePool(), postgresCluster(), gatewayDeployment(), gatewayConfigMap(), vllmDeployment()];
    // THEN all select something; with the labels changed, none does
    expect(selectorIssues(objects)).toEqual([]);
    const broken = [
      patch(podMonitor, '/spec/selector/matchLabels/cnpg.io~1cluster', 'pgg'),
      patch(pdb, '/spec/selector/matchLabels', { app: 'nope' }),
      patch(inferencePool(), '/spec/selector/matchLabels', { app: 'nope' }),
      ...objects.slice(3),
    ];
    expect(summarize(selectorIssues(broken))).toEqual([
      { rule: 'selector', path: '/spec/selector' },
      { rule: 'selector', path: '/spec/selector' },
      { rule: 'selector', path: '/spec/selector/matchLabels' },
    ]);
  });

  it("accepts peers that select a Gateway's proxy pods (GEP-1762 label)", () => {
    const gateway = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'inference-gateway', namespace: NAMESPACE },
      spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
    };
    const policy = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'gateway', namespace: NAMESPACE },
      spec: {
        podSelector: { matchLabels: gatewayLabels },
        policyTypes: ['Egress'],
        egress: [{ to: [{ podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'inference-gateway' } } }], ports: [{ port: 80 }] }],
      },
    };
    expect(selectorIssues([policy, gateway, gatewayDeployment(), gatewayConfigMap()])).toEqual([]);
    expect(summarize(selectorIssues([policy, gatewayDeployment(), gatewayConfigMap()]))).toEqual([{ rule: 'network-policy', path: '/spec/egress/0/to/0/podSelector' }]);
  });

  it('fails when a NetworkPolicy or a same-namespace peer selects no pods', () => {
    const policy = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'gateway', namespace: NAMESPACE },
      spec: {
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'gatewy' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ podSelector: { matchLabels: { 'cnpg.io/cluster': 'pgg' } } }], ports: [{ port: 5432 }] }],
      },
    };
    expect(summarize(selectorIssues([policy, gatewayDeployment(), gatewayConfigMap(), postgresCluster()]))).toEqual([
      { rule: 'network-policy', path: '/spec/podSelector' },
      { rule: 'network-policy', path: '/spec/egress/0/to/0/podSelector' },
    ]);
  });
});
