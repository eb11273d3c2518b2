import { describe, expect, it } from 'vitest';
import { createManifestValidator, formatManifestIssues } from '../../../constructs/validation';
import type { PodSecurityException } from '../../../constructs/validation';
import { gatewayDeployment, NAMESPACE, patch, restrictedPod, sharedDir, summarize, validatorFor, vllmDeployment } from './support';
import type { Manifest } from './support';

const validator = validatorFor();
const pssIssues = (objects: Manifest[], exceptions: readonly PodSecurityException[] = []) =>
  (exceptions.length === 0 ? validator : validatorFor({ pssExceptions: exceptions }))
    .validate(objects)
    .filter((issue) => issue.rule === 'pss-restricted' || issue.rule === 'pss-exception');

const container = '/spec/containers/0';

describe('restricted Pod Security Standard', () => {
  it('passes a pod with the restricted settings', () => {
    const issues = validator.validate([restrictedPod()]);
    expect(issues, formatManifestIssues(issues)).toEqual([]);
  });

  it('fails when a Pod does not run as non-root', () => {
    // GIVEN neither the pod nor the container sets runAsNonRoot
    const pod = patch(patch(restrictedPod(), '/spec/securityContext/runAsNonRoot', undefined), `${container}/securityContext/runAsNonRoot`, undefined);
    // THEN
    expect(pssIssues([pod])).toEqual([
      {
        object: `v1 Pod ${NAMESPACE}/probe`,
        path: `${container}/securityContext/runAsNonRoot`,
        message: 'container "main" must run as non-root: set runAsNonRoot: true on the container or the pod',
        rule: 'pss-restricted',
        check: 'runAsNonRoot',
      },
    ]);
  });

  it('accepts runAsNonRoot on the container alone, and fails when a container sets it false', () => {
    const containerOnly = patch(restrictedPod(), '/spec/securityContext/runAsNonRoot', undefined);
    const overridden = patch(restrictedPod(), `${container}/securityContext/runAsNonRoot`, false);
    expect(pssIssues([containerOnly])).toEqual([]);
    expect(summarize(pssIssues([overridden]))).toEqual([{ rule: 'pss-restricted', path: `${container}/securityContext/runAsNonRoot`, check: 'runAsNonRoot' }]);
  });

  it('fails when a hostPath volume is used', () => {
    const pod = patch(restrictedPod(), '/spec/volumes', [{ name: 'host', hostPath: { path: '/var/run' } }]);
    expect(pssIssues([pod])).toEqual([
      {
        object: `v1 Pod ${NAMESPACE}/probe`,
        path: '/spec/volumes/0/hostPath',
        message: 'volume "host" must not be a hostPath volume',
        rule: 'pss-restricted',
        check: 'hostPathVolumes',
      },
    ]);
  });

  it('fails for each baseline and restricted control that is broken', () => {
    // GIVEN one pod breaking many controls at once
    let pod = restrictedPod();
    pod = patch(pod, '/spec/hostNetwork', true);
    pod = patch(pod, '/spec/hostIPC', true);
    pod = patch(pod, '/spec/volumes', [{ name: 'data', nfs: { server: 'nfs.local', path: '/data' } }]);
    pod = patch(pod, '/spec/securityContext/sysctls', [{ name: 'net.core.somaxconn', value: '1024' }]);
    pod = patch(pod, '/spec/securityContext/runAsUser', 0);
    pod = patch(pod, `${container}/securityContext`, {
      privileged: true,
      allowPrivilegeEscalation: true,
      capabilities: { add: ['SYS_ADMIN', 'NET_BIND_SERVICE'] },
      seccompProfile: { type: 'Unconfined' },
      procMount: 'Unmasked',
      seLinuxOptions: { user: 'system_u' },
    });
    pod = patch(pod, `${container}/ports`, [{ containerPort: 80, hostPort: 80 }]);
    // THEN
    expect(pssIssues([pod]).map((issue) => issue.check)).toEqual([
      'hostNamespaces',
      'hostNamespaces',
      'restrictedVolumes',
      'sysctls',
      'runAsUser',
      'privileged',
      'capabilities',
      'capabilities',
      'hostPorts',
      'seLinuxOptions',
      'procMount',
      'seccompProfile',
      'allowPrivilegeEscalation',
    ]);
  });

  it('fails when seccomp is set neither on the pod nor on the container, and accepts it on the container', () => {
    const none = patch(restrictedPod(), '/spec/securityContext/seccompProfile', undefined);
    const onContainer = patch(none, `${container}/securityContext/seccompProfile`, { type: 'Localhost', localhostProfile: 'profiles/strict.json' });
    expect(summarize(pssIssues([none]))).toEqual([{ rule: 'pss-restricted', path: `${container}/securityContext/seccompProfile`, check: 'seccompProfile' }]);
    expect(pssIssues([onContainer])).toEqual([]);
  });

  it('allows adding NET_BIND_SERVICE only', () => {
    const pod = patch(restrictedPod(), `${container}/securityContext/capabilities/add`, ['NET_BIND_SERVICE']);
    expect(pssIssues([pod])).toEqual([]);
  });

  it('checks init containers and the pod templates of workloads', () => {
    const deployment = patch(gatewayDeployment(), '/spec/template/spec/initContainers', [
      { name: 'migrate', image: 'x:1', resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '256Mi' } } },
    ]);
    expect(pssIssues([deployment])).toEqual([
      {
        object: `apps/v1 Deployment ${NAMESPACE}/gateway`,
        path: '/spec/template/spec/initContainers/0/securityContext/capabilities/drop',
        message: 'init container "migrate" must drop ALL capabilities (securityContext.capabilities.drop: [ALL])',
        rule: 'pss-restricted',
        check: 'capabilities',
      },
      {
        object: `apps/v1 Deployment ${NAMESPACE}/gateway`,
        path: '/spec/template/spec/initContainers/0/securityContext/allowPrivilegeEscalation',
        message: 'init container "migrate" must set securityContext.allowPrivilegeEscalation: false',
        rule: 'pss-restricted',
        check: 'allowPrivilegeEscalation',
      },
    ]);
  });
});

describe('Pod Security exceptions', () => {
  const rootModelServer = (): Manifest =>
    patch(
      patch(patch(vllmDeployment(), '/spec/template/spec/securityContext/runAsNonRoot', false), '/spec/template/spec/securityContext/runAsUser', 0),
      '/spec/template/spec/containers/0/securityContext/runAsNonRoot',
      undefined,
    );
  const exception: PodSecurityException = {
    kind: 'Deployment',
    name: 'vllm-llama',
    container: 'vllm',
    checks: ['runAsNonRoot', 'runAsUser'],
    reason: 'the vllm/vllm-openai image writes its compile cache under /root and must start as root',
  };

  it('excuses the listed checks for the listed container, pod-level settings included', () => {
    // GIVEN a model server that runs as root at pod level
    const deployment = rootModelServer();
    // THEN without the exception it fails; with it, it passes
    expect(pssIssues([deployment]).map((issue) => issue.check)).toEqual(['runAsNonRoot', 'runAsUser', 'runAsNonRoot']);
    expect(pssIssues([deployment], [exception])).toEqual([]);
  });

  it('does not excuse other containers or other checks', () => {
    // GIVEN a sidecar without runAsNonRoot and a privileged vllm container
    const sidecar = { name: 'metrics', image: 'exporter:1', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } };
    const deployment = patch(
      patch(rootModelServer(), '/spec/template/spec/containers/1', sidecar),
      '/spec/template/spec/containers/0/securityContext/privileged',
      true,
    );
    // THEN
    expect(summarize(pssIssues([deployment], [exception]))).toEqual([
      { rule: 'pss-restricted', path: '/spec/template/spec/containers/0/securityContext/privileged', check: 'privileged' },
      { rule: 'pss-restricted', path: '/spec/template/spec/containers/1/securityContext/runAsNonRoot', check: 'runAsNonRoot' },
    ]);
  });

  it('reports an exception the pod no longer needs', () => {
    const issues = pssIssues([vllmDeployment()], [exception]);
    const unneeded = (check: string) =>
      `the Pod Security exception for container "vllm" allows ${check}, which the pod does not need; remove it from pssExceptions`;
    expect(issues.map((issue) => [issue.rule, issue.check, issue.message])).toEqual([
      ['pss-exception', 'runAsNonRoot', unneeded('runAsNonRoot')],
      ['pss-exception', 'runAsUser', unneeded('runAsUser')],
    ]);
  });

  it('reports an exception for a container the pod does not have', () => {
    const issues = pssIssues([vllmDeployment()], [{ ...exception, container: 'vlm' }]);
    expect(issues.map((issue) => issue.message)).toEqual(['a Pod Security exception names container "vlm", which the pod does not have']);
  });

  it('fails when an exception has no reason', () => {
    expect(() => createManifestValidator({ sharedDir, pssExceptions: [{ ...exception, reason: ' ' }] })).toThrow(
      'pssExceptions[0] (Deployment/vllm-llama container "vllm") has no reason; say why the container cannot meet the restricted profile',
    );
  });
});
