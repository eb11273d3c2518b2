// Rule `reference`: every reference to another object resolves to something that will exist.
//
// Provided by the set: every object itself; the Secret (or ConfigMap) an ExternalSecret creates
// (`spec.target.name`, defaulting to the ExternalSecret's name, unless creationPolicy is Merge or None);
// the Secret of a cert-manager Certificate (`spec.secretName`) and the TLS Secrets of an Ingress or
// Gateway annotated for cert-manager's ingress/gateway shim; the Secrets and Services CloudNativePG
// creates for a Cluster (`<name>-app`, `<name>-superuser`, `<name>-ca`, `<name>-server`,
// `<name>-replication`; `<name>-rw`, `-ro`, `-r`) and the Service of a Pooler; the `default`
// ServiceAccount and the `kube-root-ca.crt` ConfigMap of every namespace; and the names the caller
// declares in `externalNames` (objects another tool creates).
//
// References marked `optional: true` are not checked: Kubernetes starts the pod without them.

import type { ManifestIssue } from './manifest-issue';
import { arrayAt, childPointer, labelsAt, splitApiVersion, stringAt, valueAt } from './manifest-object';
import type { IndexedObject } from './manifest-object';
import type { PodTemplate } from './pod-templates';

/**
 * Names of objects that other tools create (Pulumi, an operator, a platform team), so references to
 * them resolve. Each entry is `name` (any namespace) or `namespace/name`.
 */
export interface ExternalNames {
  /** @default - none */
  readonly secrets?: readonly string[];
  /** @default - none */
  readonly configMaps?: readonly string[];
  /** @default - none (the `default` ServiceAccount always exists) */
  readonly serviceAccounts?: readonly string[];
  /** @default - none */
  readonly persistentVolumeClaims?: readonly string[];
  /** @default - none */
  readonly services?: readonly string[];
  /** External Secrets Operator SecretStores. @default - none */
  readonly secretStores?: readonly string[];
  /** External Secrets Operator ClusterSecretStores. @default - none */
  readonly clusterSecretStores?: readonly string[];
}

interface Target {
  readonly group: string;
  readonly kind: string;
}

interface Reference {
  readonly target: Target;
  readonly name: string;
  /** Undefined for cluster-scoped targets. */
  readonly namespace: string | undefined;
  readonly path: string;
  readonly what: string;
}

const SECRET: Target = { group: '', kind: 'Secret' };
const CONFIG_MAP: Target = { group: '', kind: 'ConfigMap' };
const SERVICE_ACCOUNT: Target = { group: '', kind: 'ServiceAccount' };
const PVC: Target = { group: '', kind: 'PersistentVolumeClaim' };
const SERVICE: Target = { group: '', kind: 'Service' };
const SECRET_STORE: Target = { group: 'external-secrets.io', kind: 'SecretStore' };
const CLUSTER_SECRET_STORE: Target = { group: 'external-secrets.io', kind: 'ClusterSecretStore' };
const CNPG_CLUSTER: Target = { group: 'postgresql.cnpg.io', kind: 'Cluster' };
const BARMAN_OBJECT_STORE: Target = { group: 'barmancloud.cnpg.io', kind: 'ObjectStore' };
const INFERENCE_POOL: Target = { group: 'inference.networking.k8s.io', kind: 'InferencePool' };
const ROLE: Target = { group: 'rbac.authorization.k8s.io', kind: 'Role' };

const EXTERNAL_NAME_KEYS: Readonly<Record<string, keyof ExternalNames>> = {
  ' Secret': 'secrets',
  ' ConfigMap': 'configMaps',
  ' ServiceAccount': 'serviceAccounts',
  ' PersistentVolumeClaim': 'persistentVolumeClaims',
  ' Service': 'services',
  'external-secrets.io SecretStore': 'secretStores',
  'external-secrets.io ClusterSecretStore': 'clusterSecretStores',
};

const CERT_MANAGER_ANNOTATIONS = ['cert-manager.io/issuer', 'cert-manager.io/cluster-issuer'];
const CNPG_SECRET_SUFFIXES = ['-app', '-superuser', '-ca', '-server', '-replication'];
const CNPG_SERVICE_SUFFIXES = ['-rw', '-ro', '-r'];
const BARMAN_PLUGIN = 'barman-cloud.cloudnative-pg.io';

/** Monitoring endpoint fields holding a SecretKeySelector (Secret) or ConfigMapKeySelector. */
const MONITOR_SELECTORS: readonly { readonly path: readonly string[]; readonly target: Target }[] = [
  { path: ['basicAuth', 'username'], target: SECRET },
  { path: ['basicAuth', 'password'], target: SECRET },
  { path: ['bearerTokenSecret'], target: SECRET },
  { path: ['authorization', 'credentials'], target: SECRET },
  { path: ['oauth2', 'clientSecret'], target: SECRET },
  { path: ['oauth2', 'clientId', 'secret'], target: SECRET },
  { path: ['oauth2', 'clientId', 'configMap'], target: CONFIG_MAP },
  ...['tlsConfig', 'oauth2/tlsConfig'].flatMap((prefix) => {
    const base = prefix.split('/');
    return [
      { path: [...base, 'ca', 'secret'], target: SECRET },
      { path: [...base, 'ca', 'configMap'], target: CONFIG_MAP },
      { path: [...base, 'cert', 'secret'], target: SECRET },
      { path: [...base, 'cert', 'configMap'], target: CONFIG_MAP },
      { path: [...base, 'keySecret'], target: SECRET },
    ];
  }),
];

export function checkReferences(
  objects: readonly IndexedObject[],
  templates: readonly PodTemplate[],
  externalNames: ExternalNames,
): ManifestIssue[] {
  const provided = providedNames(objects);
  const issues: ManifestIssue[] = [];
  const report = (owner: IndexedObject, references: readonly Reference[]): void => {
    for (const reference of references) {
      if (isProvided(reference, provided, externalNames)) continue;
      issues.push({ object: owner.description, path: reference.path, message: missingMessage(reference), rule: 'reference' });
    }
  };
  for (const template of templates) report(template.owner, podTemplateReferences(template));
  for (const entry of objects) report(entry, objectReferences(entry));
  return issues;
}

function targetKey(target: Target): string {
  return `${target.group} ${target.kind}`;
}

/** `group kind` → `namespace/name` of everything the set provides. */
function providedNames(objects: readonly IndexedObject[]): Map<string, Set<string>> {
  const provided = new Map<string, Set<string>>();
  const add = (target: Target, namespace: string, name: string | undefined): void => {
    if (name === undefined || name === '') return;
    const key = targetKey(target);
    let names = provided.get(key);
    if (names === undefined) {
      names = new Set();
      provided.set(key, names);
    }
    names.add(`${namespace}/${name}`);
  };
  for (const entry of objects) {
    add({ group: entry.group, kind: entry.kind }, entry.namespace, entry.name);
    const annotations = labelsAt(entry.object, 'metadata', 'annotations');
    const certManaged = CERT_MANAGER_ANNOTATIONS.some((key) => annotations[key] !== undefined) || annotations['kubernetes.io/tls-acme'] === 'true';
    switch (`${entry.group} ${entry.kind}`) {
      case 'external-secrets.io ExternalSecret': {
        const policy = stringAt(entry.object, 'spec', 'target', 'creationPolicy');
        if (policy === 'Merge' || policy === 'None') break;
        const manifestApiVersion = stringAt(entry.object, 'spec', 'target', 'manifest', 'apiVersion');
        const manifestKind = stringAt(entry.object, 'spec', 'target', 'manifest', 'kind');
        const target = manifestKind === undefined ? SECRET : { group: splitApiVersion(manifestApiVersion ?? 'v1').group, kind: manifestKind };
        add(target, entry.namespace, stringAt(entry.object, 'spec', 'target', 'name') ?? entry.name);
        break;
      }
      case 'cert-manager.io Certificate':
        add(SECRET, entry.namespace, stringAt(entry.object, 'spec', 'secretName'));
        break;
      case 'networking.k8s.io Ingress':
        if (certManaged) for (const tls of arrayAt(entry.object, 'spec', 'tls')) add(SECRET, entry.namespace, stringAt(tls, 'secretName'));
        break;
      case 'gateway.networking.k8s.io Gateway':
        if (!certManaged) break;
        for (const listener of arrayAt(entry.object, 'spec', 'listeners')) {
          for (const ref of arrayAt(listener, 'tls', 'certificateRefs')) add(SECRET, stringAt(ref, 'namespace') ?? entry.namespace, stringAt(ref, 'name'));
        }
        break;
      case 'postgresql.cnpg.io Cluster':
        for (const suffix of CNPG_SECRET_SUFFIXES) add(SECRET, entry.namespace, `${entry.name}${suffix}`);
        for (const suffix of CNPG_SERVICE_SUFFIXES) add(SERVICE, entry.namespace, `${entry.name}${suffix}`);
        break;
      case 'postgresql.cnpg.io Pooler':
        add(SERVICE, entry.namespace, entry.name);
        break;
      default:
        break;
    }
  }
  return provided;
}

function isProvided(reference: Reference, provided: ReadonlyMap<string, ReadonlySet<string>>, externalNames: ExternalNames): boolean {
  const { target, name, namespace } = reference;
  if (target.group === '' && target.kind === 'ServiceAccount' && name === 'default') return true;
  if (target.group === '' && target.kind === 'ConfigMap' && name === 'kube-root-ca.crt') return true;
  const names = provided.get(targetKey(target));
  if (names !== undefined) {
    if (namespace !== undefined && names.has(`${namespace}/${name}`)) return true;
    if (namespace === undefined && [...names].some((entry) => entry.slice(entry.indexOf('/') + 1) === name)) return true;
  }
  const externalKey = EXTERNAL_NAME_KEYS[targetKey(target)];
  const declared = externalKey === undefined ? [] : (externalNames[externalKey] ?? []);
  return declared.some((entry) => entry === name || (namespace !== undefined && entry === `${namespace}/${name}`));
}

function missingMessage(reference: Reference): string {
  const { target, name, namespace } = reference;
  const kind = target.group === '' ? target.kind : `${target.kind} (${target.group})`;
  const where = namespace === undefined ? '' : ` in namespace ${namespace}`;
  const externalKey = EXTERNAL_NAME_KEYS[targetKey(target)];
  const sources =
    target.group === '' && target.kind === 'Secret'
      ? 'no Secret, ExternalSecret target, cert-manager Certificate or CloudNativePG Cluster in the set provides it'
      : `no ${target.kind} in the set has that name`;
  const fix = externalKey === undefined ? '' : `; if another tool creates it, list it in externalNames.${externalKey}`;
  return `${reference.what} refers to ${kind} "${name}"${where}, but ${sources}${fix}`;
}

function podTemplateReferences(template: PodTemplate): Reference[] {
  const references: Reference[] = [];
  const { namespace, spec, specPath } = template;
  const add = (target: Target, name: unknown, path: string, what: string, optional?: unknown): void => {
    if (typeof name !== 'string' || name === '' || optional === true) return;
    references.push({ target, name, namespace, path, what });
  };
  for (const entry of template.containers) {
    const who = `container "${entry.name}"`;
    arrayAt(entry.container, 'envFrom').forEach((source, index) => {
      add(
        SECRET,
        valueAt(source, 'secretRef', 'name'),
        childPointer(entry.path, 'envFrom', index, 'secretRef', 'name'),
        `${who} envFrom`,
        valueAt(source, 'secretRef', 'optional'),
      );
      add(
        CONFIG_MAP,
        valueAt(source, 'configMapRef', 'name'),
        childPointer(entry.path, 'envFrom', index, 'configMapRef', 'name'),
        `${who} envFrom`,
        valueAt(source, 'configMapRef', 'optional'),
      );
    });
    arrayAt(entry.container, 'env').forEach((variable, index) => {
      const variableName = stringAt(variable, 'name') ?? `#${index}`;
      const secretKeyRef = valueAt(variable, 'valueFrom', 'secretKeyRef');
      const configMapKeyRef = valueAt(variable, 'valueFrom', 'configMapKeyRef');
      const what = `${who} env ${variableName}`;
      add(
        SECRET,
        valueAt(secretKeyRef, 'name'),
        childPointer(entry.path, 'env', index, 'valueFrom', 'secretKeyRef', 'name'),
        what,
        valueAt(secretKeyRef, 'optional'),
      );
      add(
        CONFIG_MAP,
        valueAt(configMapKeyRef, 'name'),
        childPointer(entry.path, 'env', index, 'valueFrom', 'configMapKeyRef', 'name'),
        what,
        valueAt(configMapKeyRef, 'optional'),
      );
    });
  }
  arrayAt(spec, 'volumes').forEach((volume, index) => {
    const what = `volume "${stringAt(volume, 'name') ?? `#${index}`}"`;
    const path = childPointer(specPath, 'volumes', index);
    add(SECRET, valueAt(volume, 'secret', 'secretName'), childPointer(path, 'secret', 'secretName'), what, valueAt(volume, 'secret', 'optional'));
    add(CONFIG_MAP, valueAt(volume, 'configMap', 'name'), childPointer(path, 'configMap', 'name'), what, valueAt(volume, 'configMap', 'optional'));
    add(PVC, valueAt(volume, 'persistentVolumeClaim', 'claimName'), childPointer(path, 'persistentVolumeClaim', 'claimName'), what);
    arrayAt(volume, 'projected', 'sources').forEach((source, sourceIndex) => {
      const sourcePath = childPointer(path, 'projected', 'sources', sourceIndex);
      add(SECRET, valueAt(source, 'secret', 'name'), childPointer(sourcePath, 'secret', 'name'), what, valueAt(source, 'secret', 'optional'));
      add(CONFIG_MAP, valueAt(source, 'configMap', 'name'), childPointer(sourcePath, 'configMap', 'name'), what, valueAt(source, 'configMap', 'optional'));
    });
  });
  arrayAt(spec, 'imagePullSecrets').forEach((secret, index) => {
    add(SECRET, valueAt(secret, 'name'), childPointer(specPath, 'imagePullSecrets', index, 'name'), 'imagePullSecrets');
  });
  add(SERVICE_ACCOUNT, spec.serviceAccountName, childPointer(specPath, 'serviceAccountName'), 'serviceAccountName');
  return references;
}

function objectReferences(entry: IndexedObject): Reference[] {
  const references: Reference[] = [];
  const { object, namespace } = entry;
  const add = (target: Target, name: unknown, path: string, what: string, options: { namespace?: string | undefined; optional?: unknown } = {}): void => {
    if (typeof name !== 'string' || name === '' || options.optional === true) return;
    references.push({ target, name, namespace: 'namespace' in options ? options.namespace : namespace, path, what });
  };
  const selectorAt = (value: unknown, path: string, keys: readonly string[], target: Target, what: string): void => {
    const selector = valueAt(value, ...keys);
    add(target, valueAt(selector, 'name'), childPointer(path, ...keys, 'name'), what, { optional: valueAt(selector, 'optional') });
  };

  switch (`${entry.group} ${entry.kind}`) {
    case 'monitoring.coreos.com ServiceMonitor':
    case 'monitoring.coreos.com PodMonitor': {
      const list = entry.kind === 'ServiceMonitor' ? 'endpoints' : 'podMetricsEndpoints';
      arrayAt(object, 'spec', list).forEach((endpoint, index) => {
        const path = childPointer('/spec', list, index);
        for (const field of MONITOR_SELECTORS) selectorAt(endpoint, path, field.path, field.target, `${list}[${index}].${field.path.join('.')}`);
      });
      break;
    }
    case 'networking.k8s.io Ingress': {
      arrayAt(object, 'spec', 'tls').forEach((tls, index) => add(SECRET, valueAt(tls, 'secretName'), childPointer('/spec/tls', index, 'secretName'), 'tls'));
      add(SERVICE, valueAt(object, 'spec', 'defaultBackend', 'service', 'name'), '/spec/defaultBackend/service/name', 'defaultBackend');
      arrayAt(object, 'spec', 'rules').forEach((rule, ruleIndex) => {
        arrayAt(rule, 'http', 'paths').forEach((path, pathIndex) => {
          add(
            SERVICE,
            valueAt(path, 'backend', 'service', 'name'),
            childPointer('/spec/rules', ruleIndex, 'http', 'paths', pathIndex, 'backend', 'service', 'name'),
            'backend',
          );
        });
      });
      break;
    }
    case 'gateway.networking.k8s.io Gateway':
      arrayAt(object, 'spec', 'listeners').forEach((listener, listenerIndex) => {
        arrayAt(listener, 'tls', 'certificateRefs').forEach((ref, refIndex) => {
          if ((stringAt(ref, 'group') ?? '') !== '' || (stringAt(ref, 'kind') ?? 'Secret') !== 'Secret') return;
          const path = childPointer('/spec/listeners', listenerIndex, 'tls', 'certificateRefs', refIndex, 'name');
          add(SECRET, valueAt(ref, 'name'), path, 'listener certificateRef', { namespace: stringAt(ref, 'namespace') ?? namespace });
        });
      });
      break;
    case 'gateway.networking.k8s.io HTTPRoute':
    case 'gateway.networking.k8s.io GRPCRoute':
      arrayAt(object, 'spec', 'rules').forEach((rule, ruleIndex) => {
        arrayAt(rule, 'backendRefs').forEach((ref, refIndex) => {
          const group = stringAt(ref, 'group') ?? '';
          const kind = stringAt(ref, 'kind') ?? 'Service';
          const isService = group === '' && kind === 'Service';
          const isPool = group === INFERENCE_POOL.group && kind === INFERENCE_POOL.kind;
          const target = isService ? SERVICE : isPool ? INFERENCE_POOL : undefined;
          if (target === undefined) return;
          add(target, valueAt(ref, 'name'), childPointer('/spec/rules', ruleIndex, 'backendRefs', refIndex, 'name'), 'backendRef', {
            namespace: stringAt(ref, 'namespace') ?? namespace,
          });
        });
      });
      break;
    case 'inference.networking.k8s.io InferencePool': {
      const group = stringAt(object, 'spec', 'endpointPickerRef', 'group') ?? '';
      const kind = stringAt(object, 'spec', 'endpointPickerRef', 'kind') ?? 'Service';
      if (group === '' && kind === 'Service') {
        add(SERVICE, valueAt(object, 'spec', 'endpointPickerRef', 'name'), '/spec/endpointPickerRef/name', 'endpointPickerRef');
      }
      break;
    }
    case 'external-secrets.io ExternalSecret': {
      const kind = stringAt(object, 'spec', 'secretStoreRef', 'kind') ?? 'SecretStore';
      const name = valueAt(object, 'spec', 'secretStoreRef', 'name');
      if (kind === 'ClusterSecretStore') add(CLUSTER_SECRET_STORE, name, '/spec/secretStoreRef/name', 'secretStoreRef', { namespace: undefined });
      else add(SECRET_STORE, name, '/spec/secretStoreRef/name', 'secretStoreRef');
      break;
    }
    case 'postgresql.cnpg.io Cluster': {
      for (const method of ['initdb', 'recovery', 'pg_basebackup']) {
        selectorAt(object, '', ['spec', 'bootstrap', method, 'secret'], SECRET, `bootstrap.${method}.secret`);
      }
      selectorAt(object, '', ['spec', 'superuserSecret'], SECRET, 'superuserSecret');
      for (const field of ['serverTLSSecret', 'serverCASecret', 'clientCASecret', 'replicationTLSSecret']) {
        add(SECRET, valueAt(object, 'spec', 'certificates', field), `/spec/certificates/${field}`, `certificates.${field}`);
      }
      arrayAt(object, 'spec', 'imagePullSecrets').forEach((secret, index) => {
        add(SECRET, valueAt(secret, 'name'), childPointer('/spec/imagePullSecrets', index, 'name'), 'imagePullSecrets');
      });
      arrayAt(object, 'spec', 'monitoring', 'customQueriesSecret').forEach((secret, index) => {
        add(SECRET, valueAt(secret, 'name'), childPointer('/spec/monitoring/customQueriesSecret', index, 'name'), 'monitoring.customQueriesSecret');
      });
      arrayAt(object, 'spec', 'monitoring', 'customQueriesConfigMap').forEach((configMap, index) => {
        add(
          CONFIG_MAP,
          valueAt(configMap, 'name'),
          childPointer('/spec/monitoring/customQueriesConfigMap', index, 'name'),
          'monitoring.customQueriesConfigMap',
        );
      });
      arrayAt(object, 'spec', 'plugins').forEach((plugin, index) => {
        if (stringAt(plugin, 'name') !== BARMAN_PLUGIN) return;
        add(
          BARMAN_OBJECT_STORE,
          valueAt(plugin, 'parameters', 'barmanObjectName'),
          childPointer('/spec/plugins', index, 'parameters', 'barmanObjectName'),
          'barman-cloud plugin',
        );
      });
      break;
    }
    case 'postgresql.cnpg.io Pooler':
      add(CNPG_CLUSTER, valueAt(object, 'spec', 'cluster', 'name'), '/spec/cluster/name', 'cluster');
      for (const field of ['authQuerySecret', 'serverTLSSecret', 'serverCASecret', 'clientTLSSecret', 'clientCASecret']) {
        selectorAt(object, '', ['spec', 'pgbouncer', field], SECRET, `pgbouncer.${field}`);
      }
      break;
    case 'postgresql.cnpg.io ScheduledBackup':
    case 'postgresql.cnpg.io Backup':
    case 'postgresql.cnpg.io Database':
      add(CNPG_CLUSTER, valueAt(object, 'spec', 'cluster', 'name'), '/spec/cluster/name', 'cluster');
      break;
    case 'barmancloud.cnpg.io ObjectStore': {
      const credentials: Readonly<Record<string, readonly string[]>> = {
        s3Credentials: ['accessKeyId', 'secretAccessKey', 'region', 'sessionToken'],
        azureCredentials: ['connectionString', 'storageAccount', 'storageKey', 'storageSasToken'],
        googleCredentials: ['applicationCredentials'],
      };
      for (const [provider, fields] of Object.entries(credentials)) {
        for (const field of fields) selectorAt(object, '', ['spec', 'configuration', provider, field], SECRET, `configuration.${provider}.${field}`);
      }
      selectorAt(object, '', ['spec', 'configuration', 'endpointCA'], SECRET, 'configuration.endpointCA');
      break;
    }
    case 'apps.nvidia.com NIMService':
      add(SECRET, valueAt(object, 'spec', 'authSecret'), '/spec/authSecret', 'authSecret');
      arrayAt(object, 'spec', 'image', 'pullSecrets').forEach((secret, index) => {
        add(SECRET, secret, childPointer('/spec/image/pullSecrets', index), 'image.pullSecrets');
      });
      break;
    case 'apps StatefulSet':
      add(SERVICE, valueAt(object, 'spec', 'serviceName'), '/spec/serviceName', 'serviceName');
      break;
    case 'autoscaling HorizontalPodAutoscaler': {
      const apiVersion = stringAt(object, 'spec', 'scaleTargetRef', 'apiVersion') ?? '';
      const kind = stringAt(object, 'spec', 'scaleTargetRef', 'kind');
      if (kind === undefined) break;
      const target = { group: splitApiVersion(apiVersion).group, kind };
      add(target, valueAt(object, 'spec', 'scaleTargetRef', 'name'), '/spec/scaleTargetRef/name', 'scaleTargetRef');
      break;
    }
    case 'rbac.authorization.k8s.io RoleBinding':
    case 'rbac.authorization.k8s.io ClusterRoleBinding':
      if (entry.kind === 'RoleBinding' && stringAt(object, 'roleRef', 'kind') === 'Role') {
        add(ROLE, valueAt(object, 'roleRef', 'name'), '/roleRef/name', 'roleRef');
      }
      arrayAt(object, 'subjects').forEach((subject, index) => {
        if (stringAt(subject, 'kind') !== 'ServiceAccount') return;
        add(
          SERVICE_ACCOUNT,
          valueAt(subject, 'name'),
          childPointer('/subjects', index, 'name'),
          'subject',
          { namespace: stringAt(subject, 'namespace') ?? namespace },
        );
      });
      break;
    default:
      break;
  }
  return references;
}
