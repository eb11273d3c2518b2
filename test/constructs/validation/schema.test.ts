import { describe, expect, it } from 'vitest';
import { formatManifestIssues } from '../../../constructs/validation';
import {
  gatewayConfigMap,
  gatewayDeployment,
  gatewayService,
  gatewayServiceMonitor,
  inferencePool,
  inferenceRoute,
  NAMESPACE,
  objectStore,
  patch,
  postgresCluster,
  providerKeysExternalSecret,
  summarize,
  validatorFor,
  vllmDeployment,
} from './support';

const external = { externalNames: { secrets: ['metrics-auth', 'backup-s3'], services: ['llama-epp'], clusterSecretStores: ['vault'] } };
const validator = validatorFor(external);
const schemaIssues = (objects: Record<string, unknown>[]) => validator.validate(objects).filter((issue) => issue.rule === 'schema');

describe('core kinds against the Kubernetes definitions', () => {
  it('passes a restricted Deployment, Service and ConfigMap on Kubernetes 1.28 and 1.33', () => {
    // GIVEN
    const objects = [gatewayDeployment(), gatewayService(), gatewayConfigMap()];
    // WHEN
    const both = validator.validate(objects);
    const only128 = validatorFor({ ...external, kubernetesVersions: ['1.28'] }).validate(objects);
    const only133 = validatorFor({ ...external, kubernetesVersions: ['1.33'] }).validate(objects);
    // THEN
    expect(both, formatManifestIssues(both)).toEqual([]);
    expect(only128).toEqual([]);
    expect(only133).toEqual([]);
  });

  it('fails when a field is unknown, naming its path', () => {
    // GIVEN
    const deployment = patch(patch(gatewayDeployment(), '/spec/replica', 2), '/spec/template/spec/containers/0/imagePullPolicyy', 'Always');
    // WHEN
    const issues = schemaIssues([deployment, gatewayService(), gatewayConfigMap()]);
    // THEN
    expect(issues).toEqual([
      { object: `apps/v1 Deployment ${NAMESPACE}/gateway`, path: '/spec/replica', message: 'unknown field "replica"', rule: 'schema' },
      {
        object: `apps/v1 Deployment ${NAMESPACE}/gateway`,
        path: '/spec/template/spec/containers/0/imagePullPolicyy',
        message: 'unknown field "imagePullPolicyy"',
        rule: 'schema',
      },
    ]);
  });

  it('fails when metadata or the top level has an unknown field', () => {
    const configMap = patch(patch(gatewayConfigMap(), '/metadata/label', { a: 'b' }), '/extra', true);
    expect(summarize(schemaIssues([configMap]))).toEqual([
      { rule: 'schema', path: '/extra' },
      { rule: 'schema', path: '/metadata/label' },
    ]);
  });

  it('keeps free-form maps open: labels, annotations, resource names, ConfigMap data', () => {
    const deployment = patch(gatewayDeployment(), '/spec/template/metadata/annotations/prometheus.io~1scrape', 'true');
    const configMap = patch(gatewayConfigMap(), '/data/ANY_KEY', 'value');
    expect(schemaIssues([deployment, configMap, vllmDeployment()])).toEqual([]);
  });

  it('fails when a type is wrong', () => {
    const issues = schemaIssues([patch(gatewayDeployment(), '/spec/replicas', '3')]);
    expect(issues).toEqual([
      { object: `apps/v1 Deployment ${NAMESPACE}/gateway`, path: '/spec/replicas', message: 'must be integer, got string "3"', rule: 'schema' },
    ]);
  });

  it('fails when a required field is missing', () => {
    const deployment = patch(gatewayDeployment(), '/spec/selector', undefined);
    const service = patch(gatewayService(), '/spec/ports/0/port', undefined);
    expect(schemaIssues([deployment, service])).toEqual([
      { object: `apps/v1 Deployment ${NAMESPACE}/gateway`, path: '/spec/selector', message: 'missing required field "selector"', rule: 'schema' },
      { object: `v1 Service ${NAMESPACE}/gateway`, path: '/spec/ports/0/port', message: 'missing required field "port"', rule: 'schema' },
    ]);
  });

  it('fails when a quantity is malformed or an int32 overflows', () => {
    const deployment = patch(patch(gatewayDeployment(), '/spec/template/spec/containers/0/resources/limits/cpu', 'lots'), '/spec/replicas', 2 ** 31);
    expect(summarize(schemaIssues([deployment]))).toEqual([
      { rule: 'schema', path: '/spec/replicas' },
      { rule: 'schema', path: '/spec/template/spec/containers/0/resources/limits/cpu' },
    ]);
  });

  it('accepts int-or-string fields as either, and rejects other types there', () => {
    const numeric = patch(gatewayService(), '/spec/ports/0/targetPort', 4000);
    const wrong = patch(gatewayService(), '/spec/ports/0/targetPort', true);
    expect(schemaIssues([numeric])).toEqual([]);
    expect(schemaIssues([wrong]).map((issue) => issue.message)).toEqual(['must be integer or string, got boolean true']);
  });

  it('says when a field exists in only one of the Kubernetes versions', () => {
    // GIVEN trafficDistribution, which Services gained in 1.31
    const service = patch(gatewayService(), '/spec/trafficDistribution', 'PreferClose');
    // THEN
    expect(schemaIssues([service]).map((issue) => [issue.path, issue.message])).toEqual([
      ['/spec/trafficDistribution', 'unknown field "trafficDistribution" (Kubernetes 1.28 only)'],
    ]);
    expect(validatorFor({ ...external, kubernetesVersions: ['1.33'] }).validate([service, gatewayDeployment(), gatewayConfigMap()])).toEqual([]);
  });

  it('fails on duplicate keys of list-map lists', () => {
    // GIVEN two container ports 4000/TCP (protocol defaults to TCP) and two env vars named PORT (a map list from 1.33)
    const deployment = patch(
      patch(gatewayDeployment(), '/spec/template/spec/containers/0/ports/1', { name: 'http2', containerPort: 4000 }),
      '/spec/template/spec/containers/0/env/1',
      { name: 'PORT', value: '5000' },
    );
    // THEN
    const duplicate = '(keys of this list must be unique; server-side apply rejects duplicates)';
    expect(schemaIssues([deployment]).map((issue) => [issue.path, issue.message])).toEqual([
      ['/spec/template/spec/containers/0/env/1', `duplicate entry with name="PORT" ${duplicate} (Kubernetes 1.33 only)`],
      ['/spec/template/spec/containers/0/ports/1', `duplicate entry with containerPort=4000, protocol="TCP" ${duplicate}`],
    ]);
  });

  it('fails when the apiVersion and kind have no schema', () => {
    const widget = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: {} };
    const oldCronJob = { apiVersion: 'batch/v1beta1', kind: 'CronJob', metadata: { name: 'c' }, spec: {} };
    const noSchema = (what: string) => `no schema for ${what}: not a Kubernetes 1.28/1.33 kind, and no CRD under crds/ defines it`;
    expect(schemaIssues([widget, oldCronJob])).toEqual([
      { object: 'example.com/v1 Widget w', path: '/apiVersion', message: noSchema('example.com/v1 Widget'), rule: 'schema' },
      { object: 'batch/v1beta1 CronJob c', path: '/apiVersion', message: noSchema('batch/v1beta1 CronJob'), rule: 'schema' },
    ]);
  });

  it('fails when apiVersion or kind is missing', () => {
    expect(summarize(schemaIssues([{ kind: 'ConfigMap', metadata: { name: 'x' } }, { apiVersion: 'v1', metadata: { name: 'y' } }]))).toEqual([
      { rule: 'schema', path: '/apiVersion' },
      { rule: 'schema', path: '/kind' },
    ]);
  });
});

describe('custom resources against their CRDs', () => {
  it('passes a CNPG Cluster, ObjectStore, ExternalSecret, ServiceMonitor, InferencePool and HTTPRoute', () => {
    const objects = [postgresCluster(), objectStore(), providerKeysExternalSecret(), gatewayServiceMonitor(), inferencePool(), inferenceRoute()];
    const issues = schemaIssues(objects);
    expect(issues, formatManifestIssues(issues)).toEqual([]);
  });

  it('fails when a custom resource has an unknown field, at any depth', () => {
    const route = patch(inferenceRoute(), '/spec/rules/0/backendRefs/0/weigth', 1);
    const pool = patch(inferencePool(), '/spec/targetPort', 8000);
    const cluster = patch(postgresCluster(), '/spec/storage/sizee', '1Gi');
    expect(schemaIssues([route, pool, cluster])).toEqual([
      {
        object: `gateway.networking.k8s.io/v1 HTTPRoute ${NAMESPACE}/llama`,
        path: '/spec/rules/0/backendRefs/0/weigth',
        message: 'unknown field "weigth"',
        rule: 'schema',
      },
      { object: `inference.networking.k8s.io/v1 InferencePool ${NAMESPACE}/llama`, path: '/spec/targetPort', message: 'unknown field "targetPort"', rule: 'schema' },
      { object: `postgresql.cnpg.io/v1 Cluster ${NAMESPACE}/pg`, path: '/spec/storage/sizee', message: 'unknown field "sizee"', rule: 'schema' },
    ]);
  });

  it('fails when a custom resource breaks a type, bound or required field', () => {
    const monitor = patch(gatewayServiceMonitor(), '/spec/endpoints/0/port', 4000);
    const pool = patch(inferencePool(), '/spec/targetPorts', undefined);
    const route = patch(inferenceRoute(), '/spec/rules/0/backendRefs/0/port', 99999);
    expect(schemaIssues([monitor, pool, route]).map((issue) => [issue.path, issue.message])).toEqual([
      ['/spec/endpoints/0/port', 'must be string, got number 4000'],
      ['/spec/targetPorts', 'missing required field "targetPorts"'],
      ['/spec/rules/0/backendRefs/0/port', 'must be <= 65535, got number 99999'],
    ]);
  });

  it('fails when a custom resource has a value outside its enum', () => {
    const secret = patch(providerKeysExternalSecret(), '/spec/secretStoreRef/kind', 'Vault');
    expect(schemaIssues([secret]).map((issue) => [issue.path, issue.message])).toEqual([
      ['/spec/secretStoreRef/kind', 'must be one of "SecretStore", "ClusterSecretStore", got string "Vault"'],
    ]);
  });

  it("checks a custom resource's metadata against ObjectMeta", () => {
    const secret = patch(providerKeysExternalSecret(), '/metadata/labelz', { a: 'b' });
    expect(summarize(schemaIssues([secret]))).toEqual([{ rule: 'schema', path: '/metadata/labelz' }]);
  });

  it('accepts x-kubernetes-int-or-string quantities as numbers and keeps CRD maps open', () => {
    // GIVEN a numeric cpu limit (int-or-string) and free-form PgBouncer parameters
    const pooler = {
      apiVersion: 'postgresql.cnpg.io/v1',
      kind: 'Pooler',
      metadata: { name: 'pg-pooler', namespace: NAMESPACE },
      spec: { cluster: { name: 'pg' }, instances: 2, type: 'rw', pgbouncer: { poolMode: 'transaction', parameters: { max_client_conn: '1000' } } },
    };
    const cluster = patch(postgresCluster(), '/spec/resources/limits/cpu', 2);
    expect(schemaIssues([pooler, cluster])).toEqual([]);
  });

  it('fails when the CRD does not serve the version', () => {
    const legacy = patch(providerKeysExternalSecret(), '/apiVersion', 'external-secrets.io/v1beta1');
    const [issue] = schemaIssues([legacy]);
    expect(issue?.path).toBe('/apiVersion');
    expect(issue?.message).toBe(
      'external-secrets.io/v1beta1 ExternalSecret is not served by its CRD (crds/external-secrets/external-secrets.io_externalsecrets.yaml); served: v1',
    );
  });
});
