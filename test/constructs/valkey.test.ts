import { Node } from 'constructs';
import { Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { describe, expect, it } from 'vitest';

import { Valkey, ValkeyMode } from '../../constructs/valkey';
import { namespacedChart, objectsOf, onlyObject, validationReport } from './support/manifests';

function password(chart: ReturnType<typeof namespacedChart>): kplus.SecretValue {
  return { secret: kplus.Secret.fromSecretName(chart, 'Password', 'valkey-password'), key: 'password' };
}

describe('Valkey', () => {
  it('renders a standalone Valkey with its exporter', () => {
    // GIVEN
    const chart = namespacedChart();

    // WHEN
    const valkey = new Valkey(chart, 'Valkey', { password: password(chart) });
    valkey.addPodMonitor();

    // THEN
    const manifest = Testing.synth(chart);
    expect(manifest).toMatchSnapshot();
    const statefulSet = onlyObject(manifest, 'StatefulSet');
    expect(statefulSet.spec.replicas).toBe(1);
    expect(statefulSet.spec.template.spec.containers.map((container: { name: string; image: string }) => [container.name, container.image])).toEqual([
      ['valkey', 'valkey/valkey:8.1'],
      ['exporter', 'oliver006/redis_exporter:v1.67.0'],
    ]);
    expect(objectsOf(manifest, 'PodDisruptionBudget')).toEqual([]);
    expect(validationReport(manifest, { externalNames: { secrets: ['valkey-password'] } })).toBe('no manifest issues');
  });

  it('keeps the password out of the command line and the config map', () => {
    const chart = namespacedChart();
    new Valkey(chart, 'Valkey', { password: password(chart) });
    const manifest = Testing.synth(chart);
    const container = onlyObject(manifest, 'StatefulSet').spec.template.spec.containers[0];
    expect(container.command).toEqual(['/scripts/start-valkey.sh']);
    expect(container.args).toBeUndefined();
    expect(container.env.find((variable: { name: string }) => variable.name === 'VALKEY_PASSWORD').valueFrom).toEqual({
      secretKeyRef: { key: 'password', name: 'valkey-password' },
    });
    expect(onlyObject(manifest, 'ConfigMap').data['start-valkey.sh']).toContain('umask 077');
  });

  it('renders Sentinel HA with three pods, a sentinel per pod, a disruption budget and spread', () => {
    // GIVEN
    const chart = namespacedChart();

    // WHEN
    const valkey = new Valkey(chart, 'Valkey', { password: password(chart), mode: ValkeyMode.SENTINEL, storageSize: Size.gibibytes(5), storageClass: 'gp3' });

    // THEN
    const manifest = Testing.synth(chart);
    expect(manifest).toMatchSnapshot();
    const statefulSet = onlyObject(manifest, 'StatefulSet');
    expect(statefulSet.spec.replicas).toBe(3);
    expect(statefulSet.spec.template.spec.containers.map((container: { name: string }) => container.name)).toEqual(['valkey', 'sentinel', 'exporter']);
    expect(statefulSet.spec.volumeClaimTemplates).toEqual([
      expect.objectContaining({ spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5120Mi' } }, storageClassName: 'gp3' } }),
    ]);
    expect(onlyObject(manifest, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
    expect(objectsOf(manifest, 'Service', valkey.name)[0]?.spec.ports).toEqual([{ name: 'sentinel', port: 26379, targetPort: 26379 }]);
    expect(validationReport(manifest, { externalNames: { secrets: ['valkey-password'] } })).toBe('no manifest issues');
  });

  it('tells the gateway where the sentinels are', () => {
    // GIVEN
    const chart = namespacedChart('llm');

    // WHEN
    const valkey = new Valkey(chart, 'Valkey', { password: password(chart), mode: ValkeyMode.SENTINEL, masterSetName: 'cache' });

    // THEN
    const env = Object.fromEntries(valkey.gatewayConnection().env.map((variable) => [variable.name, variable.value.value ?? variable.value.valueFrom]));
    const headless = onlyObject(Testing.synth(chart), 'StatefulSet').spec.serviceName;
    expect(env).toEqual({
      REDIS_SENTINEL_NODES: JSON.stringify([0, 1, 2].map((index) => [`${valkey.name}-${index}.${headless}.llm.svc`, 26379])),
      REDIS_SERVICE_NAME: 'cache',
      REDIS_PASSWORD: { secretKeyRef: { key: 'password', name: 'valkey-password' } },
      REDIS_SENTINEL_PASSWORD: { secretKeyRef: { key: 'password', name: 'valkey-password' } },
    });
  });

  it('exposes the StatefulSet as its default child', () => {
    const chart = namespacedChart();
    const valkey = new Valkey(chart, 'Valkey', { password: password(chart) });
    expect(Node.of(valkey).defaultChild).toBe(valkey.statefulSet);
  });

  it('fails when the image is not pinned', () => {
    const chart = namespacedChart();
    expect(() => new Valkey(chart, 'Valkey', { password: password(chart), image: 'valkey/valkey:latest' })).toThrow(
      'image must be pinned by tag or digest, e.g. valkey/valkey:8.1, got "valkey/valkey:latest"',
    );
  });

  it('fails when a storage class comes without a size', () => {
    const chart = namespacedChart();
    expect(() => new Valkey(chart, 'Valkey', { password: password(chart), storageClass: 'gp3' })).toThrow('storageClass needs storageSize');
  });

  it('fails when a PodMonitor is asked for without the exporter', () => {
    const chart = namespacedChart();
    const valkey = new Valkey(chart, 'Valkey', { password: password(chart), metrics: false });
    expect(() => valkey.addPodMonitor()).toThrow('addPodMonitor needs the exporter; set metrics to true');
  });
});
