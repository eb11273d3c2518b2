import { describe, expect, it } from 'vitest';
import { gatewayDeployment, NAMESPACE, patch, postgresCluster, restrictedPod, summarize, validatorFor, vllmDeployment } from './support';
import type { Manifest } from './support';

const validator = validatorFor({ externalNames: { secrets: ['backup-s3'] } });
const issuesOf = (objects: Manifest[], rules: readonly string[] = ['resources', 'probes']) =>
  validator.validate(objects).filter((issue) => rules.includes(issue.rule));

const gatewayContainer = '/spec/template/spec/containers/0';

describe('resources', () => {
  it('fails when a container lacks requests or limits for cpu and memory', () => {
    // GIVEN a gateway container with only a memory limit
    const deployment = patch(gatewayDeployment(), `${gatewayContainer}/resources`, { limits: { memory: '1Gi' } });
    // THEN
    expect(issuesOf([deployment])).toEqual([
      {
        object: `apps/v1 Deployment ${NAMESPACE}/gateway`,
        path: `${gatewayContainer}/resources`,
        message: 'container "gateway" must set resources requests.cpu, requests.memory, limits.cpu',
        rule: 'resources',
      },
    ]);
  });

  it('fails when a request exceeds its limit', () => {
    const deployment = patch(gatewayDeployment(), `${gatewayContainer}/resources/requests/memory`, '2Gi');
    expect(issuesOf([deployment]).map((issue) => [issue.path, issue.message])).toEqual([
      [`${gatewayContainer}/resources/requests/memory`, 'container "gateway" requests more memory (2Gi) than its limit (1Gi)'],
    ]);
  });

  it('fails when a GPU is requested without an equal limit', () => {
    const withoutLimit = patch(vllmDeployment(), '/spec/template/spec/containers/0/resources/limits/nvidia.com~1gpu', undefined);
    const unequal = patch(vllmDeployment(), '/spec/template/spec/containers/0/resources/limits/nvidia.com~1gpu', 2);
    expect(summarize(issuesOf([withoutLimit, unequal]))).toEqual([
      { rule: 'resources', path: '/spec/template/spec/containers/0/resources/limits/nvidia.com~1gpu' },
      { rule: 'resources', path: '/spec/template/spec/containers/0/resources/requests/nvidia.com~1gpu' },
    ]);
  });

  it('checks init containers and operator-run containers (CNPG Cluster)', () => {
    const deployment = patch(gatewayDeployment(), '/spec/template/spec/initContainers', [
      { name: 'migrate', image: 'x:1', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } },
    ]);
    const cluster = patch(postgresCluster(), '/spec/resources', undefined);
    expect(summarize(issuesOf([deployment, cluster]))).toEqual([
      { rule: 'resources', path: '/spec/template/spec/initContainers/0/resources' },
      { rule: 'resources', path: '/spec/resources' },
    ]);
  });
});

describe('probes', () => {
  it('fails when a long-running container has no readiness or liveness probe', () => {
    const deployment = patch(patch(gatewayDeployment(), `${gatewayContainer}/readinessProbe`, undefined), `${gatewayContainer}/livenessProbe`, undefined);
    expect(issuesOf([deployment])).toEqual([
      {
        object: `apps/v1 Deployment ${NAMESPACE}/gateway`,
        path: gatewayContainer,
        message: 'container "gateway" has no readinessProbe and livenessProbe',
        rule: 'probes',
      },
    ]);
  });

  it('does not require probes of Job pods or init containers', () => {
    // GIVEN the restricted pod spec without probes, as a Job and as an init container
    const podSpec = patch(patch(restrictedPod(), '/spec/containers/0/readinessProbe', undefined), '/spec/containers/0/livenessProbe', undefined).spec as Manifest;
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'migrate', namespace: NAMESPACE },
      spec: { template: { spec: { ...podSpec, restartPolicy: 'Never' } } },
    };
    const deployment = patch(gatewayDeployment(), '/spec/template/spec/initContainers', podSpec.containers);
    // THEN
    expect(issuesOf([job, deployment])).toEqual([]);
  });
});
