import { Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { describe, expect, it } from 'vitest';

import { Gateway } from '../../constructs/gateway';
import { VllmServer } from '../../constructs/vllm';
import { namespacedChart, objectsOf, onlyObject, validationReport } from './support/manifests';

describe('VllmServer', () => {
  it('runs vLLM on GPU nodes with a model cache, in-memory /dev/shm and a long startup probe', () => {
    // GIVEN
    const chart = namespacedChart();
    const hfToken = { secret: kplus.Secret.fromSecretName(chart, 'HfToken', 'hf-token'), key: 'HF_TOKEN' };

    // WHEN
    const server = new VllmServer(chart, 'Llama', {
      model: 'meta-llama/Llama-3.1-8B-Instruct',
      servedModelName: 'llama-3.1-8b',
      tensorParallelSize: 2,
      maxModelLen: 8192,
      gpuMemoryUtilization: 0.85,
      hfToken,
      modelCacheSize: Size.gibibytes(80),
      modelCacheStorageClass: 'fast',
    });
    server.addPodMonitor();

    // THEN
    const manifest = Testing.synth(chart);
    expect(manifest).toMatchSnapshot();
    const pod = onlyObject(manifest, 'Deployment').spec.template.spec;
    const container = pod.containers[0];
    expect(container.image).toBe('vllm/vllm-openai:v0.10.1');
    expect(container.args).toEqual([
      '--model', 'meta-llama/Llama-3.1-8B-Instruct',
      '--served-model-name', 'llama-3.1-8b',
      '--host', '0.0.0.0',
      '--port', '8000',
      '--tensor-parallel-size', '2',
      '--gpu-memory-utilization', '0.85',
      '--max-model-len', '8192',
      '--enable-prefix-caching',
    ]);
    expect(container.resources.limits['nvidia.com/gpu']).toBe('2');
    expect(container.startupProbe).toEqual(expect.objectContaining({ failureThreshold: 180, periodSeconds: 10, httpGet: { path: '/health', port: 8000, scheme: 'HTTP' } }));
    expect(pod.volumes.find((volume: { name: string }) => volume.name === 'dshm')).toEqual({ name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: '8192Mi' } });
    expect(pod.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions).toEqual([
      { key: 'nvidia.com/gpu.present', operator: 'In', values: ['true'] },
    ]);
    expect(onlyObject(manifest, 'PersistentVolumeClaim').spec).toEqual(
      expect.objectContaining({ accessModes: ['ReadWriteOnce'], storageClassName: 'fast', resources: { requests: { storage: '80Gi' } } }),
    );
    // No Pod Security exception: the GPU comes from the device plugin, not from privileges.
    expect(validationReport(manifest, { externalNames: { secrets: ['hf-token'] } })).toBe('no manifest issues');
  });

  it('shares one ReadWriteMany cache between replicas and places pods with a runtime class', () => {
    const chart = namespacedChart();
    new VllmServer(chart, 'Llama', { model: 'm/x', replicas: 2, runtimeClassName: 'nvidia', gpuNodeSelector: { 'node.kubernetes.io/instance-type': 'g6.xlarge' }, gpuTolerationKeys: [] });
    const manifest = Testing.synth(chart);
    expect(onlyObject(manifest, 'PersistentVolumeClaim').spec.accessModes).toEqual(['ReadWriteMany']);
    const pod = onlyObject(manifest, 'Deployment').spec.template.spec;
    expect(pod.runtimeClassName).toBe('nvidia');
    expect(pod.tolerations).toBeUndefined();
  });

  it('uses an existing model cache claim', () => {
    const chart = namespacedChart();
    new VllmServer(chart, 'Llama', { model: 'm/x', modelCacheClaimName: 'models' });
    const manifest = Testing.synth(chart);
    expect(objectsOf(manifest, 'PersistentVolumeClaim')).toEqual([]);
    expect(onlyObject(manifest, 'Deployment').spec.template.spec.volumes[0]).toEqual({ name: 'model-cache', persistentVolumeClaim: { claimName: 'models', readOnly: false } });
  });

  it('adds itself to the gateway as hosted_vllm with its Service as api_base', () => {
    // GIVEN
    const chart = namespacedChart('llm');
    const server = new VllmServer(chart, 'Llama', { model: 'meta-llama/Llama-3.1-8B-Instruct', servedModelName: 'llama', gatewayModelName: 'llama-3.1' });
    const gateway = new Gateway(chart, 'Gateway', { image: 'switchyard-gateway:0.1.0' });

    // WHEN
    gateway.addModelServer(server);

    // THEN
    expect(gateway.config.text).toContain(
      ['  - model_name: llama-3.1', '    litellm_params:', '      model: hosted_vllm/llama', `      api_base: http://${server.service.name}.llm.svc:8000/v1`].join('\n'),
    );
    const egress = onlyObject(Testing.synth(chart), 'NetworkPolicy').spec.egress.at(-1);
    expect(egress).toEqual({ ports: [{ port: 8000, protocol: 'TCP' }], to: [{ podSelector: { matchLabels: server.podLabels } }] });
  });

  it('fails when extraArgs set what a prop sets', () => {
    expect(() => new VllmServer(namespacedChart(), 'Llama', { model: 'm/x', extraArgs: ['--port=9000'] })).toThrow('extraArgs must not set --port; use the matching prop');
  });

  it('fails when the GPU memory share is out of range', () => {
    expect(() => new VllmServer(namespacedChart(), 'Llama', { model: 'm/x', gpuMemoryUtilization: 1.5 })).toThrow('gpuMemoryUtilization must be more than 0 and at most 1, got 1.5');
  });

  it('fails when the startup timeout is too short to load a model', () => {
    expect(() => new VllmServer(namespacedChart(), 'Llama', { model: 'm/x', startupTimeout: Duration.seconds(30) })).toThrow('startupTimeout must be at least a minute');
  });

  it('fails when an existing claim is combined with a size', () => {
    expect(() => new VllmServer(namespacedChart(), 'Llama', { model: 'm/x', modelCacheClaimName: 'models', modelCacheSize: Size.gibibytes(1) })).toThrow(
      'modelCacheClaimName uses an existing claim; drop modelCacheSize and modelCacheStorageClass',
    );
  });
});
