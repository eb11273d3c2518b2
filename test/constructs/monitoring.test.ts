import { Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { describe, expect, it } from 'vitest';

import { Gateway } from '../../constructs/gateway';
import { Monitoring } from '../../constructs/monitoring';
import { namespacedChart, objectsOf, onlyObject, validationReport } from './support/manifests';

describe('Monitoring', () => {
  it('scrapes the gateway and alerts on errors, latency, budgets, cooldowns and the database', () => {
    // GIVEN
    const chart = namespacedChart();
    const gateway = new Gateway(chart, 'Gateway', { image: 'switchyard-gateway:0.1.0' });

    // WHEN
    new Monitoring(chart, 'Monitoring', { gateway, labels: { release: 'kube-prometheus-stack' }, postgresClusterName: 'switchyard-postgres' });

    // THEN
    const manifest = Testing.synth(chart);
    const serviceMonitor = onlyObject(manifest, 'ServiceMonitor');
    const rules = onlyObject(manifest, 'PrometheusRule');
    expect([serviceMonitor, rules]).toMatchSnapshot();
    expect(serviceMonitor.spec.endpoints).toEqual([{ port: 'http', path: '/metrics', interval: '30s' }]);
    expect(serviceMonitor.metadata.labels.release).toBe('kube-prometheus-stack');
    expect(rules.spec.groups[0].rules.map((rule: { alert: string }) => rule.alert)).toEqual([
      'SwitchyardGatewayDown',
      'SwitchyardHighErrorRate',
      'SwitchyardHighLatency',
      'SwitchyardTeamBudgetExhausted',
      'SwitchyardKeyBudgetExhausted',
      'SwitchyardDeploymentCooldown',
      'SwitchyardDeploymentOutage',
      'SwitchyardDatabaseDown',
    ]);
    expect(rules.spec.groups[0].rules[1].expr).toBe(
      `sum(rate(litellm_proxy_failed_requests_metric_total{service="${gateway.service.name}"}[5m])) / sum(rate(litellm_proxy_total_requests_metric_total{service="${gateway.service.name}"}[5m])) > 0.05`,
    );
    expect(validationReport(manifest)).toBe('no manifest issues');
  });

  it('sends credentials when the gateway protects /metrics', () => {
    const chart = namespacedChart();
    const gateway = new Gateway(chart, 'Gateway', { image: 'switchyard-gateway:0.1.0' });
    const secret = kplus.Secret.fromSecretName(chart, 'Token', 'metrics-token');
    new Monitoring(chart, 'Monitoring', { gateway, metricsBearerToken: { secret, key: 'token' } });
    expect(onlyObject(Testing.synth(chart), 'ServiceMonitor').spec.endpoints[0].authorization).toEqual({ type: 'Bearer', credentials: { name: 'metrics-token', key: 'token' } });
  });

  it('accepts custom alerts', () => {
    const chart = namespacedChart();
    const monitoring = new Monitoring(chart, 'Monitoring', { gateway: new Gateway(chart, 'Gateway', { image: 'switchyard-gateway:0.1.0' }) });
    monitoring.addAlert({ name: 'SwitchyardCustom', expr: 'vector(1)', summary: 's', description: 'd' });
    const rules = objectsOf(Testing.synth(chart), 'PrometheusRule')[0]?.spec.groups[0].rules;
    expect(rules.at(-1)).toEqual({ alert: 'SwitchyardCustom', expr: 'vector(1)', for: '300s', labels: { severity: 'warning' }, annotations: { summary: 's', description: 'd' } });
  });

  it('fails when only half of basic auth is given', () => {
    const chart = namespacedChart();
    const gateway = new Gateway(chart, 'Gateway', { image: 'switchyard-gateway:0.1.0' });
    const secret = kplus.Secret.fromSecretName(chart, 'Auth', 'auth');
    expect(() => new Monitoring(chart, 'Monitoring', { gateway, metricsBasicAuthUsername: { secret, key: 'user' } })).toThrow(
      'metricsBasicAuthUsername and metricsBasicAuthPassword go together',
    );
  });

  it('fails when an alert name is reused', () => {
    const chart = namespacedChart();
    const monitoring = new Monitoring(chart, 'Monitoring', { gateway: new Gateway(chart, 'Gateway', { image: 'switchyard-gateway:0.1.0' }) });
    expect(() => monitoring.addAlert({ name: 'SwitchyardHighLatency', expr: 'vector(1)', summary: 's', description: 'd' })).toThrow('alert SwitchyardHighLatency already exists');
  });

  it('fails when the error rate is not a percentage', () => {
    const chart = namespacedChart();
    expect(() => new Monitoring(chart, 'Monitoring', { gateway: new Gateway(chart, 'Gateway', { image: 'switchyard-gateway:0.1.0' }), errorRatePercent: 150 })).toThrow(
      'errorRatePercent must be between 0 and 100 (exclusive), got 150',
    );
  });
});
