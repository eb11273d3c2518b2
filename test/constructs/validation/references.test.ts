import { describe, expect, it } from 'vitest';
import type { ExternalNames } from '../../../constructs/validation';
import {
  gatewayConfigMap,
  gatewayDeployment,
  gatewayService,
  gatewayServiceMonitor,
  NAMESPACE,
  objectStore,
  patch,
  postgresCluster,
  providerKeysExternalSecret,
  summarize,
  validatorFor,
} from './support';
import type { Manifest } from './support';

const referenceIssues = (objects: Manifest[], externalNames: ExternalNames = {}) =>
  validatorFor({ externalNames }).validate(objects).filter((issue) => issue.rule === 'reference');

const keyEnv = '/spec/template/spec/containers/0/env/1';

/** The gateway reading OPENAI_API_KEY from Secret `secretName`. */
function gatewayReading(secretName: string, optional?: boolean): Manifest {
  const secretKeyRef = optional === undefined ? { name: secretName, key: 'OPENAI_API_KEY' } : { name: secretName, key: 'OPENAI_API_KEY', optional };
  return patch(gatewayDeployment(), keyEnv, { name: 'OPENAI_API_KEY', valueFrom: { secretKeyRef } });
}

const base = (): Manifest[] => [gatewayService(), gatewayConfigMap()];

describe('Secret and ConfigMap references', () => {
  it('fails when a secretKeyRef names a Secret nothing provides', () => {
    // GIVEN
    const deployment = gatewayReading('provider-keys');
    // WHEN
    const issues = referenceIssues([deployment, ...base()]);
    // THEN
    expect(issues).toEqual([
      {
        object: `apps/v1 Deployment ${NAMESPACE}/gateway`,
        path: `${keyEnv}/valueFrom/secretKeyRef/name`,
        message:
          'container "gateway" env OPENAI_API_KEY refers to Secret "provider-keys" in namespace switchyard, ' +
          'but no Secret, ExternalSecret target, cert-manager Certificate or CloudNativePG Cluster in the set provides it; ' +
          'if another tool creates it, list it in externalNames.secrets',
        rule: 'reference',
      },
    ]);
  });

  it('resolves a Secret in the set', () => {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'provider-keys', namespace: NAMESPACE },
      type: 'Opaque',
      data: { OPENAI_API_KEY: 'c2stdGVzdA==' },
    };
    expect(referenceIssues([gatewayReading('provider-keys'), secret, ...base()])).toEqual([]);
  });

  it("resolves an ExternalSecret's target name, or its own name when the target has none", () => {
    const externalSecret = providerKeysExternalSecret();
    const unnamedTarget = patch(externalSecret, '/spec/target/name', undefined);
    const externalNames = { clusterSecretStores: ['vault'] };
    expect(referenceIssues([gatewayReading('gateway-provider-keys'), externalSecret, ...base()], externalNames)).toEqual([]);
    expect(referenceIssues([gatewayReading('provider-keys'), unnamedTarget, ...base()], externalNames)).toEqual([]);
  });

  it('does not count an ExternalSecret that merges into an existing Secret', () => {
    const merging = patch(providerKeysExternalSecret(), '/spec/target/creationPolicy', 'Merge');
    const issues = referenceIssues([gatewayReading('gateway-provider-keys'), merging, ...base()], { clusterSecretStores: ['vault'] });
    expect(summarize(issues)).toEqual([{ rule: 'reference', path: `${keyEnv}/valueFrom/secretKeyRef/name` }]);
  });

  it('resolves declared external names, by name or namespace/name', () => {
    expect(referenceIssues([gatewayReading('provider-keys'), ...base()], { secrets: ['provider-keys'] })).toEqual([]);
    expect(referenceIssues([gatewayReading('provider-keys'), ...base()], { secrets: [`${NAMESPACE}/provider-keys`] })).toEqual([]);
    expect(summarize(referenceIssues([gatewayReading('provider-keys'), ...base()], { secrets: ['other/provider-keys'] }))).toEqual([
      { rule: 'reference', path: `${keyEnv}/valueFrom/secretKeyRef/name` },
    ]);
  });

  it('resolves the app Secret of a CloudNativePG Cluster', () => {
    const objects = [gatewayReading('pg-app'), postgresCluster(), objectStore(), ...base()];
    expect(referenceIssues(objects, { secrets: ['backup-s3'] })).toEqual([]);
  });

  it('skips optional references', () => {
    expect(referenceIssues([gatewayReading('maybe-keys', true), ...base()])).toEqual([]);
  });

  it('fails when envFrom, volumes or imagePullSecrets name missing objects, or the namespace differs', () => {
    // GIVEN the ConfigMap in another namespace, a secret volume and a pull secret nobody creates
    let deployment = patch(gatewayDeployment(), '/spec/template/spec/volumes/1', { name: 'tls', secret: { secretName: 'gateway-tls' } });
    deployment = patch(deployment, '/spec/template/spec/imagePullSecrets', [{ name: 'ghcr' }]);
    const configMap = patch(gatewayConfigMap(), '/metadata/namespace', 'other');
    // THEN
    expect(summarize(referenceIssues([deployment, configMap, gatewayService()]))).toEqual([
      { rule: 'reference', path: '/spec/template/spec/containers/0/envFrom/0/configMapRef/name' },
      { rule: 'reference', path: '/spec/template/spec/volumes/1/secret/secretName' },
      { rule: 'reference', path: '/spec/template/spec/imagePullSecrets/0/name' },
    ]);
  });

  it('checks ServiceMonitor credentials', () => {
    const objects = [gatewayDeployment(), gatewayServiceMonitor(), ...base()];
    expect(summarize(referenceIssues(objects))).toEqual([
      { rule: 'reference', path: '/spec/endpoints/0/basicAuth/username/name' },
      { rule: 'reference', path: '/spec/endpoints/0/basicAuth/password/name' },
    ]);
    expect(referenceIssues(objects, { secrets: ['metrics-auth'] })).toEqual([]);
  });

  it('resolves TLS Secrets that cert-manager creates', () => {
    // GIVEN an Ingress annotated for cert-manager, and one whose Secret comes from a Certificate
    const ingress = (name: string, annotations: Record<string, string>): Manifest => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name, namespace: NAMESPACE, annotations },
      spec: {
        ingressClassName: 'nginx',
        tls: [{ hosts: ['llm.example.com'], secretName: `${name}-tls` }],
        rules: [
          {
            host: 'llm.example.com',
            http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'gateway', port: { name: 'http' } } } }] },
          },
        ],
      },
    });
    const certificate = {
      apiVersion: 'cert-manager.io/v1',
      kind: 'Certificate',
      metadata: { name: 'manual', namespace: NAMESPACE },
      spec: { secretName: 'manual-tls', dnsNames: ['llm.example.com'], issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer' } },
    };
    const objects = [gatewayDeployment(), ...base(), ingress('shim', { 'cert-manager.io/cluster-issuer': 'letsencrypt' }), ingress('manual', {}), certificate];
    // THEN both resolve; without the Certificate the second does not
    expect(referenceIssues(objects)).toEqual([]);
    expect(summarize(referenceIssues(objects.slice(0, -1)))).toEqual([{ rule: 'reference', path: '/spec/tls/0/secretName' }]);
  });

  it('fails when a ServiceAccount, ObjectStore or ClusterSecretStore is missing', () => {
    const deployment = patch(gatewayDeployment(), '/spec/template/spec/serviceAccountName', 'gateway');
    expect(summarize(referenceIssues([deployment, postgresCluster(), providerKeysExternalSecret(), ...base()]))).toEqual([
      { rule: 'reference', path: '/spec/template/spec/serviceAccountName' },
      { rule: 'reference', path: '/spec/plugins/0/parameters/barmanObjectName' },
      { rule: 'reference', path: '/spec/secretStoreRef/name' },
    ]);
  });
});
