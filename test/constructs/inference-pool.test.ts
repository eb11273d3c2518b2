import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';

import { Gateway } from '../../constructs/gateway';
import { InferencePool, MODEL_NAME_HEADER } from '../../constructs/inference-pool';
import { VllmServer } from '../../constructs/vllm';
import { namespacedChart, objectsOf, onlyObject, validationReport } from './support/manifests';

const EPP_IMAGE = 'gateway-api-inference-extension/epp:v1.6.0';

describe('InferencePool', () => {
  it('renders the pool, its endpoint picker and the route from the internal Gateway', () => {
    // GIVEN
    const chart = namespacedChart('llm');
    const backend = new VllmServer(chart, 'Llama', { model: 'meta-llama/Llama-3.1-8B-Instruct', servedModelName: 'llama' });

    // WHEN
    const pool = new InferencePool(chart, 'Pool', { backend, endpointPickerImage: EPP_IMAGE, gatewayName: 'inference-gateway', gatewayClassName: 'kgateway' });
    pool.addPodMonitor();

    // THEN
    const manifest = Testing.synth(chart);
    expect(manifest.filter((object) => object.kind !== 'Deployment' || object.metadata?.name !== backend.name)).toMatchSnapshot();
    const inferencePool = onlyObject(manifest, 'InferencePool');
    expect(inferencePool.apiVersion).toBe('inference.networking.k8s.io/v1');
    expect(inferencePool.spec).toEqual({
      selector: { matchLabels: backend.podLabels },
      targetPorts: [{ number: 8000 }],
      endpointPickerRef: { kind: 'Service', name: pool.endpointPickerService.name, port: { number: 9002 }, failureMode: 'FailClose' },
    });
    const epp = objectsOf(manifest, 'Deployment').find((object) => object.metadata.name === pool.endpointPicker.name);
    expect(epp?.spec.template.spec.containers[0].args).toEqual(['--pool-name', pool.name, '--config-file', '/config/config.yaml', '--zap-encoder', 'json', '--metrics-endpoint-auth=false']);
    expect(epp?.spec.template.spec.containers[0].livenessProbe).toEqual({ grpc: { port: 9003, service: 'inference-extension' }, initialDelaySeconds: 5, periodSeconds: 10 });
    expect(epp?.spec.strategy).toEqual({ type: 'Recreate' });
    const role = onlyObject(manifest, 'Role');
    expect(role.rules.map((rule: { apiGroups: string[]; resources: string[] }) => `${rule.apiGroups[0]}/${rule.resources.join(',')}`)).toEqual([
      '/pods',
      'inference.networking.k8s.io/inferencepools',
      'inference.networking.x-k8s.io/inferenceobjectives',
      'inference.networking.x-k8s.io/inferencemodelrewrites',
    ]);
    const route = onlyObject(manifest, 'HTTPRoute');
    expect(route.spec.rules[0].matches[0].headers).toEqual([{ type: 'Exact', name: MODEL_NAME_HEADER, value: 'llama' }]);
    expect(route.spec.rules[0].backendRefs).toEqual([{ group: 'inference.networking.k8s.io', kind: 'InferencePool', name: pool.name }]);
    expect(onlyObject(manifest, 'Gateway').spec.gatewayClassName).toBe('kgateway');
    expect(
      validationReport(manifest, { defaultNamespace: 'llm', externalPods: [{ namespace: 'llm', labels: { 'gateway.networking.k8s.io/gateway-name': 'inference-gateway' }, description: 'data plane' }] }),
    ).toBe('no manifest issues');
  });

  it('sends the gateway to the pool through the internal Gateway, naming the model in a header', () => {
    // GIVEN
    const chart = namespacedChart('llm');
    const backend = new VllmServer(chart, 'Llama', { model: 'meta-llama/Llama-3.1-8B-Instruct', servedModelName: 'llama', gatewayModelName: 'llama-3.1' });
    const pool = new InferencePool(chart, 'Pool', { backend, endpointPickerImage: EPP_IMAGE, gatewayName: 'inference-gateway' });
    const gateway = new Gateway(chart, 'Gateway', { image: 'switchyard-gateway:0.1.0' });

    // WHEN
    gateway.addModelServer(pool);

    // THEN
    expect(gateway.config.text).toContain(
      [
        '  - model_name: llama-3.1',
        '    litellm_params:',
        '      model: hosted_vllm/llama',
        '      api_base: http://inference-gateway.llm.svc/v1',
        '      extra_headers:',
        '        X-Gateway-Model-Name: llama',
      ].join('\n'),
    );
    const egress = objectsOf(Testing.synth(chart), 'NetworkPolicy')[0]?.spec.egress.at(-1);
    expect(egress).toEqual({ ports: [{ port: 80, protocol: 'TCP' }], to: [{ podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'inference-gateway' } } }] });
  });

  it('runs several endpoint pickers with leader election', () => {
    const chart = namespacedChart();
    const backend = new VllmServer(chart, 'Llama', { model: 'm/x' });
    const pool = new InferencePool(chart, 'Pool', { backend, endpointPickerImage: EPP_IMAGE, gatewayName: 'gw', endpointPickerReplicas: 2, failOpen: true });
    const manifest = Testing.synth(chart);
    const epp = objectsOf(manifest, 'Deployment').find((object) => object.metadata.name === pool.endpointPicker.name);
    expect(epp?.spec.template.spec.containers[0].args).toContain('--ha-enable-leader-election');
    expect(epp?.spec.template.spec.containers[0].readinessProbe.grpc.service).toBe('readiness');
    expect(onlyObject(manifest, 'Role').rules.some((rule: { resources: string[] }) => rule.resources.includes('leases'))).toBe(true);
    expect(onlyObject(manifest, 'InferencePool').spec.endpointPickerRef.failureMode).toBe('FailOpen');
  });

  it('fails when the endpoint picker image is not pinned', () => {
    const chart = namespacedChart();
    expect(() => new InferencePool(chart, 'Pool', { backend: new VllmServer(chart, 'Llama', { model: 'm/x' }), endpointPickerImage: 'epp:latest', gatewayName: 'gw' })).toThrow(
      'endpointPickerImage must be pinned by tag or digest, got "epp:latest"',
    );
  });

  it('fails when a Gateway is to be created in another namespace', () => {
    const chart = namespacedChart();
    expect(
      () =>
        new InferencePool(chart, 'Pool', {
          backend: new VllmServer(chart, 'Llama', { model: 'm/x' }),
          endpointPickerImage: EPP_IMAGE,
          gatewayName: 'gw',
          gatewayClassName: 'istio',
          gatewayNamespace: 'istio-system',
        }),
    ).toThrow("gatewayClassName creates the Gateway in the pool's namespace");
  });

  it('fails when the gateway URL has a path', () => {
    const chart = namespacedChart();
    expect(
      () =>
        new InferencePool(chart, 'Pool', {
          backend: new VllmServer(chart, 'Llama', { model: 'm/x' }),
          endpointPickerImage: EPP_IMAGE,
          gatewayName: 'gw',
          gatewayUrl: 'http://gw/v1',
        }),
    ).toThrow('gatewayUrl must be a base URL without a path');
  });
});
