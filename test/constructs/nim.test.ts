import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { describe, expect, it } from 'vitest';

import { NimDeployment, NimService } from '../../constructs/nim';
import { namespacedChart, onlyObject, validationReport } from './support/manifests';

const IMAGE = 'nim/meta/llama-3.1-8b-instruct:1.8.4';

function secrets(chart: ReturnType<typeof namespacedChart>) {
  return {
    ngcApiKeySecret: kplus.Secret.fromSecretName(chart, 'Ngc', 'ngc-api-key'),
    imagePullSecret: kplus.Secret.fromSecretName(chart, 'Pull', 'ngc-pull'),
  };
}

describe('NimService', () => {
  it('renders a NIMService for the NIM operator', () => {
    // GIVEN
    const chart = namespacedChart();

    // WHEN
    const nim = new NimService(chart, 'Nim', { image: IMAGE, model: 'meta/llama-3.1-8b-instruct', gpus: 2, ...secrets(chart) });

    // THEN
    const manifest = Testing.synth(chart);
    const resource = onlyObject(manifest, 'NIMService');
    expect(resource).toMatchSnapshot();
    expect(resource.spec.image).toEqual({ repository: 'nim/meta/llama-3.1-8b-instruct', tag: '1.8.4', pullPolicy: 'IfNotPresent', pullSecrets: ['ngc-pull'] });
    expect(resource.spec.authSecret).toBe('ngc-api-key');
    expect(resource.spec.resources).toEqual({ requests: { cpu: '4', memory: '24576Mi' }, limits: { cpu: '8', memory: '49152Mi', 'nvidia.com/gpu': 2 } });
    expect(nim.gatewayModels).toEqual([
      { name: 'meta/llama-3.1-8b-instruct', model: 'nvidia_nim/meta/llama-3.1-8b-instruct', apiBase: `http://${nim.name}.switchyard.svc:8000/v1`, mode: 'chat' },
    ]);
    expect(validationReport(manifest, { externalNames: { secrets: ['ngc-api-key', 'ngc-pull'] } })).toBe('no manifest issues');
  });

  it('fails when the image has no tag', () => {
    const chart = namespacedChart();
    expect(() => new NimService(chart, 'Nim', { image: 'nim/meta/llama', model: 'meta/llama', ...secrets(chart) })).toThrow('image must be pinned by tag');
  });
});

describe('NimDeployment', () => {
  it('runs a NIM as a plain Deployment with the NGC key and pull secret', () => {
    // GIVEN
    const chart = namespacedChart();

    // WHEN
    new NimDeployment(chart, 'Nim', { image: IMAGE, model: 'meta/llama-3.1-8b-instruct', ...secrets(chart) });

    // THEN
    const manifest = Testing.synth(chart);
    expect(manifest).toMatchSnapshot();
    const pod = onlyObject(manifest, 'Deployment').spec.template.spec;
    expect(pod.imagePullSecrets).toEqual([{ name: 'ngc-pull' }]);
    expect(pod.containers[0].env[0]).toEqual({ name: 'NGC_API_KEY', valueFrom: { secretKeyRef: { key: 'NGC_API_KEY', name: 'ngc-api-key' } } });
    expect(pod.containers[0].readinessProbe.httpGet.path).toBe('/v1/health/ready');
    expect(pod.containers[0].resources.limits['nvidia.com/gpu']).toBe('1');
    expect(validationReport(manifest, { externalNames: { secrets: ['ngc-api-key', 'ngc-pull'] } })).toBe('no manifest issues');
  });

  it('fails when gpus is zero', () => {
    const chart = namespacedChart();
    expect(() => new NimDeployment(chart, 'Nim', { image: IMAGE, model: 'm', gpus: 0, ...secrets(chart) })).toThrow('gpus must be a whole number of at least 1, got 0');
  });
});
