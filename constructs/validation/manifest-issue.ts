// What the validator reports, and how it is printed.

/**
 * The rule an issue breaks.
 * - `schema`: the Kubernetes OpenAPI definitions (core kinds) or the CRD's openAPIV3Schema (custom
 *   resources), strictly: unknown fields are errors; also duplicate keys in list-map lists.
 * - `metadata`: object names, label and annotation syntax, duplicate objects.
 * - `pss-restricted`: the restricted Pod Security Standard.
 * - `pss-exception`: a declared Pod Security exception that is malformed or no longer needed.
 * - `resources`: container requests and limits (and what the API server checks about them).
 * - `probes`: readiness and liveness probes of long-running containers.
 * - `service-selector`: a Service's selector and named target ports against the pod templates.
 * - `selector`: other selectors: workload selector vs template, PodDisruptionBudget, ServiceMonitor,
 *   PodMonitor, InferencePool.
 * - `reference`: a reference to a Secret, ConfigMap, ServiceAccount, PVC, Service or other object
 *   that nothing in the set (or the declared external names) provides.
 * - `network-policy`: NetworkPolicy selectors that select nothing.
 */
export type ManifestRule =
  | 'schema'
  | 'metadata'
  | 'pss-restricted'
  | 'pss-exception'
  | 'resources'
  | 'probes'
  | 'service-selector'
  | 'selector'
  | 'reference'
  | 'network-policy';

/** One problem with one object of the manifest set. */
export interface ManifestIssue {
  /** The object, e.g. `apps/v1 Deployment switchyard/gateway`. */
  readonly object: string;
  /** JSON pointer to the field, e.g. `/spec/template/spec/containers/0/securityContext`; '' for the whole object. */
  readonly path: string;
  /** What is wrong and, where it helps, what to do. */
  readonly message: string;
  readonly rule: ManifestRule;
  /** For `pss-restricted` and `pss-exception`: the Pod Security Standards control, e.g. `runAsNonRoot`. */
  readonly check?: string;
  /** Where the object came from (file name), when it was loaded from a directory. */
  readonly source?: string;
}

/**
 * Renders issues grouped by object, one line per issue:
 * ```
 * 2 manifest issues
 * apps/v1 Deployment switchyard/gateway
 *   /spec/replicas: must be integer, got string "3" [schema]
 * ```
 */
export function formatManifestIssues(issues: readonly ManifestIssue[]): string {
  if (issues.length === 0) return 'no manifest issues';
  const byObject = new Map<string, ManifestIssue[]>();
  for (const issue of issues) {
    const key = issue.source === undefined ? issue.object : `${issue.object} (${issue.source})`;
    const group = byObject.get(key);
    if (group === undefined) byObject.set(key, [issue]);
    else group.push(issue);
  }
  const lines = [`${issues.length} manifest issue${issues.length === 1 ? '' : 's'}`];
  for (const [object, group] of byObject) {
    lines.push(object);
    for (const issue of group) {
      const rule = issue.check === undefined ? issue.rule : `${issue.rule}/${issue.check}`;
      lines.push(`  ${issue.path === '' ? '(object)' : issue.path}: ${issue.message} [${rule}]`);
    }
  }
  return lines.join('\n');
}
