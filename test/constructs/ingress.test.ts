import { Duration, Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';

import { Gateway } from '../../constructs/gateway';
import { GatewayHttpRoute, GatewayIngress, IngressController } from '../../constructs/ingress';
import { namespacedChart, onlyObject, validationReport } from './support/manifests';

function gatewayIn(chart: ReturnType<typeof namespacedChart>): Gateway {
  return new Gateway(chart, 'Gateway', { image: 'switchyard-gateway:0.1.0', networkPolicy: false, maxReplicas: 2 });
}

describe('GatewayIngress', () => {
  it('renders an nginx Ingress with a cert-manager certificate and streaming-safe proxy settings', () => {
    // GIVEN
    const chart = namespacedChart();
    const gateway = gatewayIn(chart);

    // WHEN
    const ingress = new GatewayIngress(chart, 'Ingress', { gateway, host: 'llm.example.com', clusterIssuer: 'letsencrypt' });

    // THEN
    const manifest = Testing.synth(chart);
    const object = onlyObject(manifest, 'Ingress');
    expect(object).toMatchSnapshot();
    expect(object.metadata.annotations).toEqual({
      'cert-manager.io/cluster-issuer': 'letsencrypt',
      'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true',
      'nginx.ingress.kubernetes.io/proxy-body-size': '16m',
      'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
      'nginx.ingress.kubernetes.io/proxy-http-version': '1.1',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '600',
      'nginx.ingress.kubernetes.io/proxy-request-buffering': 'off',
      'nginx.ingress.kubernetes.io/proxy-send-timeout': '600',
    });
    expect(object.spec.ingressClassName).toBe('nginx');
    expect(object.spec.tls).toEqual([{ hosts: ['llm.example.com'], secretName: ingress.tlsSecretName }]);
    expect(object.spec.rules[0].http.paths[0].backend.service).toEqual({ name: gateway.service.name, port: { number: 80 } });
    expect(validationReport(manifest)).toBe('no manifest issues');
  });

  it('writes Traefik router annotations', () => {
    const chart = namespacedChart();
    new GatewayIngress(chart, 'Ingress', { gateway: gatewayIn(chart), host: 'llm.example.com', controller: IngressController.TRAEFIK, issuer: 'ca', tlsSecretName: 'llm-tls' });
    const object = onlyObject(Testing.synth(chart), 'Ingress');
    expect(object.metadata.annotations).toEqual({
      'cert-manager.io/issuer': 'ca',
      'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure',
      'traefik.ingress.kubernetes.io/router.tls': 'true',
    });
    expect(object.spec.ingressClassName).toBe('traefik');
    expect(object.spec.tls[0].secretName).toBe('llm-tls');
  });

  it('serves plain HTTP when tls is off', () => {
    const chart = namespacedChart();
    new GatewayIngress(chart, 'Ingress', { gateway: gatewayIn(chart), host: 'llm.dev.example.com', tls: false, requestTimeoutSeconds: 120, maxRequestBodyMiB: 4 });
    const object = onlyObject(Testing.synth(chart), 'Ingress');
    expect(object.spec.tls).toBeUndefined();
    expect(object.metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout']).toBe('120');
    expect(object.metadata.annotations['nginx.ingress.kubernetes.io/proxy-body-size']).toBe('4m');
  });

  it('fails when nginx-only settings are given for Traefik', () => {
    const chart = namespacedChart();
    expect(() => new GatewayIngress(chart, 'Ingress', { gateway: gatewayIn(chart), host: 'a.example.com', controller: IngressController.TRAEFIK, requestTimeoutSeconds: 60 })).toThrow(
      'requestTimeoutSeconds and maxRequestBodyMiB are nginx annotations',
    );
  });

  it('fails when the host is not a DNS name', () => {
    const chart = namespacedChart();
    expect(() => new GatewayIngress(chart, 'Ingress', { gateway: gatewayIn(chart), host: 'https://llm.example.com' })).toThrow(
      'host must be a DNS name such as llm.example.com, got "https://llm.example.com"',
    );
  });

  it('fails when both issuer kinds are set', () => {
    const chart = namespacedChart();
    expect(() => new GatewayIngress(chart, 'Ingress', { gateway: gatewayIn(chart), host: 'a.example.com', issuer: 'a', clusterIssuer: 'b' })).toThrow('set clusterIssuer or issuer, not both');
  });
});

describe('GatewayHttpRoute', () => {
  it('attaches the gateway to a shared Gateway API Gateway with a long request timeout', () => {
    // GIVEN
    const chart = namespacedChart();
    const gateway = gatewayIn(chart);

    // WHEN
    new GatewayHttpRoute(chart, 'Route', {
      gateway,
      parentGatewayName: 'public',
      parentGatewayNamespace: 'gateway-system',
      sectionName: 'https',
      hostnames: ['llm.example.com'],
      requestTimeout: Duration.minutes(15),
    });

    // THEN
    const route = onlyObject(Testing.synth(chart), 'HTTPRoute');
    expect(route).toMatchSnapshot();
    expect(route.spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public', namespace: 'gateway-system', sectionName: 'https' }]);
    expect(route.spec.rules[0].timeouts).toEqual({ request: '900s' });
    expect(route.spec.rules[0].backendRefs).toEqual([{ name: gateway.service.name, port: 80 }]);
  });

  it('fails when a host name is not a DNS name', () => {
    const chart = namespacedChart();
    expect(() => new GatewayHttpRoute(chart, 'Route', { gateway: gatewayIn(chart), parentGatewayName: 'public', hostnames: ['LLM'] })).toThrow('hostnames must be DNS names');
  });
});
