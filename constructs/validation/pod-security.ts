// Rule `pss-restricted`: the restricted Pod Security Standard (which includes baseline), as the
// Pod Security Admission controller checks it at the `latest` policy version, for every pod template.
// Exceptions are per container and must give a reason; one that excuses nothing is reported
// (`pss-exception`) so that exceptions do not outlive their need.
// @see https://kubernetes.io/docs/concepts/security/pod-security-standards/

import type { ManifestIssue } from './manifest-issue';
import { arrayAt, childPointer, isRecord, recordAt, stringAt, valueAt } from './manifest-object';
import type { IndexedObject } from './manifest-object';
import type { ContainerList, PodTemplate } from './pod-templates';

/** The Pod Security Standards controls, named after the pod-security-admission check ids. */
export type PodSecurityCheck =
  | 'hostProcess'
  | 'hostNamespaces'
  | 'privileged'
  | 'capabilities'
  | 'hostPathVolumes'
  | 'hostPorts'
  | 'appArmorProfile'
  | 'seLinuxOptions'
  | 'procMount'
  | 'seccompProfile'
  | 'sysctls'
  | 'restrictedVolumes'
  | 'allowPrivilegeEscalation'
  | 'runAsNonRoot'
  | 'runAsUser';

export const POD_SECURITY_CHECKS: readonly PodSecurityCheck[] = [
  'hostProcess',
  'hostNamespaces',
  'privileged',
  'capabilities',
  'hostPathVolumes',
  'hostPorts',
  'appArmorProfile',
  'seLinuxOptions',
  'procMount',
  'seccompProfile',
  'sysctls',
  'restrictedVolumes',
  'allowPrivilegeEscalation',
  'runAsNonRoot',
  'runAsUser',
];

/**
 * A documented exception from the restricted profile for one container of one workload, e.g. a GPU
 * model server whose image must start as root.
 */
export interface PodSecurityException {
  /** Kind of the workload, e.g. `Deployment`. */
  readonly kind: string;
  /** Name of the workload. */
  readonly name: string;
  /** @default - the workload in any namespace */
  readonly namespace?: string;
  /**
   * The container the exception is for. Pod-level settings (host namespaces, volumes, sysctls, the
   * pod securityContext) are excused when an exception for any container of the pod lists the check.
   */
  readonly container: string;
  /** The controls the container may break. */
  readonly checks: readonly PodSecurityCheck[];
  /** Why the container needs the exception (required, non-empty). */
  readonly reason: string;
}

/** One broken control. `container` is undefined for pod-level settings. */
export interface PodSecurityViolation {
  readonly check: PodSecurityCheck;
  readonly path: string;
  readonly message: string;
  readonly container?: string;
}

const RESTRICTED_VOLUME_TYPES: ReadonlySet<string> = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);
const SAFE_SYSCTLS: ReadonlySet<string> = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
]);
const SELINUX_TYPES: ReadonlySet<string> = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
const PROFILE_TYPES: ReadonlySet<string> = new Set(['RuntimeDefault', 'Localhost']);
const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';
const ADDABLE_CAPABILITY = 'NET_BIND_SERVICE';

const LIST_LABEL: Readonly<Record<ContainerList, string>> = {
  containers: 'container',
  initContainers: 'init container',
  ephemeralContainers: 'ephemeral container',
};

/** Throws when an exception is malformed (validate early, in the caller's words). */
export function assertPodSecurityExceptions(exceptions: readonly PodSecurityException[]): void {
  exceptions.forEach((exception, index) => {
    const where = `pssExceptions[${index}] (${exception.kind}/${exception.name} container ${JSON.stringify(exception.container)})`;
    if (typeof exception.reason !== 'string' || exception.reason.trim() === '') {
      throw new Error(`${where} has no reason; say why the container cannot meet the restricted profile`);
    }
    if (exception.checks.length === 0) throw new Error(`${where} lists no checks; name the controls it excuses, e.g. ['runAsNonRoot']`);
    for (const check of exception.checks) {
      if (!POD_SECURITY_CHECKS.includes(check)) {
        throw new Error(`${where} names unknown check ${JSON.stringify(check)}; use one of ${POD_SECURITY_CHECKS.join(', ')}`);
      }
    }
  });
}

/** Every restricted-profile violation of one pod template. */
export function podSecurityViolations(template: PodTemplate): PodSecurityViolation[] {
  const violations: PodSecurityViolation[] = [];
  const add = (check: PodSecurityCheck, path: string, message: string, container?: string): void => {
    violations.push(container === undefined ? { check, path, message } : { check, path, message, container });
  };
  const { spec, specPath } = template;
  const podContext = recordAt(spec, 'securityContext');
  const podContextPath = childPointer(specPath, 'securityContext');
  // Linux-only controls do not apply to Windows pods.
  const windows = stringAt(spec, 'os', 'name') === 'windows';

  if (valueAt(podContext, 'windowsOptions', 'hostProcess') === true) {
    add('hostProcess', childPointer(podContextPath, 'windowsOptions', 'hostProcess'), 'pod must not set windowsOptions.hostProcess: true');
  }
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) {
    if (spec[field] === true) add('hostNamespaces', childPointer(specPath, field), `pod must not set ${field}: true`);
  }
  arrayAt(spec, 'volumes').forEach((volume, index) => {
    if (!isRecord(volume)) return;
    const name = stringAt(volume, 'name') ?? `#${index}`;
    for (const key of Object.keys(volume)) {
      if (key === 'name' || RESTRICTED_VOLUME_TYPES.has(key)) continue;
      if (key === 'hostPath') add('hostPathVolumes', childPointer(specPath, 'volumes', index, key), `volume "${name}" must not be a hostPath volume`);
      else {
        add(
          'restrictedVolumes',
          childPointer(specPath, 'volumes', index, key),
          `volume "${name}" has type ${key}; the restricted profile allows only ${[...RESTRICTED_VOLUME_TYPES].join(', ')}`,
        );
      }
    }
  });
  arrayAt(podContext, 'sysctls').forEach((sysctl, index) => {
    const name = stringAt(sysctl, 'name');
    if (name === undefined || !SAFE_SYSCTLS.has(name)) {
      add(
        'sysctls',
        childPointer(podContextPath, 'sysctls', index, 'name'),
        `sysctl ${JSON.stringify(name)} is not in the safe set the baseline profile allows`,
      );
    }
  });
  const podSeLinux = seLinuxProblem(podContext);
  if (podSeLinux !== undefined) add('seLinuxOptions', childPointer(podContextPath, 'seLinuxOptions'), `pod ${podSeLinux}`);
  const podAppArmor = stringAt(podContext, 'appArmorProfile', 'type');
  if (podAppArmor !== undefined && !PROFILE_TYPES.has(podAppArmor)) {
    add(
      'appArmorProfile',
      childPointer(podContextPath, 'appArmorProfile', 'type'),
      `pod appArmorProfile.type must be RuntimeDefault or Localhost, got ${podAppArmor}`,
    );
  }
  const podSeccomp = stringAt(podContext, 'seccompProfile', 'type');
  const podSeccompAllowed = podSeccomp !== undefined && PROFILE_TYPES.has(podSeccomp);
  if (!windows && podSeccomp !== undefined && !podSeccompAllowed) {
    add(
      'seccompProfile',
      childPointer(podContextPath, 'seccompProfile', 'type'),
      `pod seccompProfile.type must be RuntimeDefault or Localhost, got ${podSeccomp}`,
    );
  }
  const podRunAsNonRoot = valueAt(podContext, 'runAsNonRoot');
  if (podRunAsNonRoot === false) add('runAsNonRoot', childPointer(podContextPath, 'runAsNonRoot'), 'pod must not set runAsNonRoot: false');
  if (valueAt(podContext, 'runAsUser') === 0) add('runAsUser', childPointer(podContextPath, 'runAsUser'), 'pod must not set runAsUser: 0 (root)');

  for (const entry of template.containers) {
    const who = `${LIST_LABEL[entry.list]} "${entry.name}"`;
    const context = recordAt(entry.container, 'securityContext');
    const contextPath = childPointer(entry.path, 'securityContext');
    const addForContainer = (check: PodSecurityCheck, path: string, message: string): void => add(check, path, `${who} ${message}`, entry.name);

    if (valueAt(context, 'windowsOptions', 'hostProcess') === true) {
      addForContainer('hostProcess', childPointer(contextPath, 'windowsOptions', 'hostProcess'), 'must not set windowsOptions.hostProcess: true');
    }
    if (valueAt(context, 'privileged') === true) addForContainer('privileged', childPointer(contextPath, 'privileged'), 'must not be privileged');
    if (!windows && !arrayAt(context, 'capabilities', 'drop').includes('ALL')) {
      addForContainer(
        'capabilities',
        childPointer(contextPath, 'capabilities', 'drop'),
        'must drop ALL capabilities (securityContext.capabilities.drop: [ALL])',
      );
    }
    const added = arrayAt(context, 'capabilities', 'add').filter((capability) => capability !== ADDABLE_CAPABILITY);
    if (added.length > 0) {
      addForContainer(
        'capabilities',
        childPointer(contextPath, 'capabilities', 'add'),
        `may add only ${ADDABLE_CAPABILITY}, not ${added.map(String).join(', ')}`,
      );
    }
    arrayAt(entry.container, 'ports').forEach((port, index) => {
      const hostPort = valueAt(port, 'hostPort');
      if (typeof hostPort === 'number' && hostPort !== 0) {
        addForContainer('hostPorts', childPointer(entry.path, 'ports', index, 'hostPort'), `must not use hostPort ${hostPort}`);
      }
    });
    const appArmor = stringAt(context, 'appArmorProfile', 'type');
    if (appArmor !== undefined && !PROFILE_TYPES.has(appArmor)) {
      addForContainer(
        'appArmorProfile',
        childPointer(contextPath, 'appArmorProfile', 'type'),
        `appArmorProfile.type must be RuntimeDefault or Localhost, got ${appArmor}`,
      );
    }
    const appArmorAnnotation = template.annotations[`${APPARMOR_ANNOTATION_PREFIX}${entry.name}`];
    if (appArmorAnnotation !== undefined && appArmorAnnotation !== 'runtime/default' && !appArmorAnnotation.startsWith('localhost/')) {
      addForContainer(
        'appArmorProfile',
        childPointer(template.metadataPath, 'annotations', `${APPARMOR_ANNOTATION_PREFIX}${entry.name}`),
        `AppArmor annotation must be runtime/default or localhost/*, got ${appArmorAnnotation}`,
      );
    }
    const seLinux = seLinuxProblem(context);
    if (seLinux !== undefined) addForContainer('seLinuxOptions', childPointer(contextPath, 'seLinuxOptions'), seLinux);
    const procMount = stringAt(context, 'procMount');
    if (procMount !== undefined && procMount !== 'Default') {
      addForContainer('procMount', childPointer(contextPath, 'procMount'), `procMount must be Default, got ${procMount}`);
    }
    if (!windows) {
      const seccomp = stringAt(context, 'seccompProfile', 'type');
      if (seccomp !== undefined && !PROFILE_TYPES.has(seccomp)) {
        addForContainer(
          'seccompProfile',
          childPointer(contextPath, 'seccompProfile', 'type'),
          `seccompProfile.type must be RuntimeDefault or Localhost, got ${seccomp}`,
        );
      } else if (seccomp === undefined && !podSeccompAllowed) {
        addForContainer(
          'seccompProfile',
          childPointer(contextPath, 'seccompProfile'),
          'must set seccompProfile.type RuntimeDefault or Localhost (on the container or the pod)',
        );
      }
      if (valueAt(context, 'allowPrivilegeEscalation') !== false) {
        addForContainer(
          'allowPrivilegeEscalation',
          childPointer(contextPath, 'allowPrivilegeEscalation'),
          'must set securityContext.allowPrivilegeEscalation: false',
        );
      }
    }
    const runAsNonRoot = valueAt(context, 'runAsNonRoot');
    if (runAsNonRoot === false) addForContainer('runAsNonRoot', childPointer(contextPath, 'runAsNonRoot'), 'must not set runAsNonRoot: false');
    else if (runAsNonRoot !== true && podRunAsNonRoot !== true) {
      addForContainer('runAsNonRoot', childPointer(contextPath, 'runAsNonRoot'), 'must run as non-root: set runAsNonRoot: true on the container or the pod');
    }
    if (valueAt(context, 'runAsUser') === 0) addForContainer('runAsUser', childPointer(contextPath, 'runAsUser'), 'must not set runAsUser: 0 (root)');
  }
  return violations;
}

/** Restricted-profile issues for every template, less the declared exceptions, plus unneeded exceptions. */
export function checkPodSecurity(templates: readonly PodTemplate[], exceptions: readonly PodSecurityException[]): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  for (const template of templates) {
    const applicable = exceptions.filter((exception) => exceptionMatches(exception, template.owner));
    const used = new Set<string>();
    for (const violation of podSecurityViolations(template)) {
      const excusing = applicable.filter(
        (exception) => exception.checks.includes(violation.check) && (violation.container === undefined || violation.container === exception.container),
      );
      if (excusing.length > 0) {
        for (const exception of excusing) used.add(`${exception.container}\u0000${violation.check}`);
        continue;
      }
      issues.push({ object: template.owner.description, path: violation.path, message: violation.message, rule: 'pss-restricted', check: violation.check });
    }
    for (const exception of applicable) {
      const container = template.containers.find((entry) => entry.name === exception.container);
      if (container === undefined) {
        issues.push({
          object: template.owner.description,
          path: template.specPath,
          message: `a Pod Security exception names container "${exception.container}", which the pod does not have`,
          rule: 'pss-exception',
        });
        continue;
      }
      for (const check of exception.checks) {
        if (used.has(`${exception.container}\u0000${check}`)) continue;
        issues.push({
          object: template.owner.description,
          path: container.path,
          message:
            `the Pod Security exception for container "${exception.container}" allows ${check}, ` +
            'which the pod does not need; remove it from pssExceptions',
          rule: 'pss-exception',
          check,
        });
      }
    }
  }
  return issues;
}

function exceptionMatches(exception: PodSecurityException, owner: IndexedObject): boolean {
  return exception.kind === owner.kind && exception.name === owner.name && (exception.namespace === undefined || exception.namespace === owner.namespace);
}

function seLinuxProblem(context: Record<string, unknown> | undefined): string | undefined {
  const options = recordAt(context, 'seLinuxOptions');
  if (options === undefined) return undefined;
  const type = stringAt(options, 'type');
  if (type !== undefined && !SELINUX_TYPES.has(type)) {
    return `seLinuxOptions.type must be one of container_t, container_init_t, container_kvm_t, container_engine_t, got ${type}`;
  }
  if ((stringAt(options, 'user') ?? '') !== '' || (stringAt(options, 'role') ?? '') !== '') return 'must not set seLinuxOptions.user or seLinuxOptions.role';
  return undefined;
}
