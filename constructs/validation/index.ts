// constructs/validation: validates rendered manifests (cdk8s synth output) against the Kubernetes and
// CRD schemas, strictly, and against the platform's own rules (references, selectors, resources,
// probes, the restricted Pod Security Standard, NetworkPolicies). Named exports only; directories are
// parameters (nothing here reads the environment).
//
//   const validator = createManifestValidator({ sharedDir, externalNames: { secrets: ['provider-keys'] } });
//   const issues = validator.validate(Testing.synth(chart));
//   expect(issues, formatManifestIssues(issues)).toEqual([]);
//
//   networkPolicyAllows(objects, { from: workloadEndpoint(objects, { kind: 'Deployment', name: 'gateway' }),
//                                  to: { ip: '162.159.140.245' }, port: 443 });

export { createManifestValidator } from './manifest-validator';
export type { DirectoryValidation, ManifestValidator, ValidatorOptions } from './manifest-validator';

export { formatManifestIssues } from './manifest-issue';
export type { ManifestIssue, ManifestRule } from './manifest-issue';

export { describeManifestObject } from './manifest-object';
export type { Labels, ManifestObject } from './manifest-object';

export { loadManifestDirectory, loadManifestsFromYaml } from './load-manifests';
export type { ManifestFile } from './load-manifests';

export { KUBERNETES_VERSIONS } from './schema-registry';
export type { KubernetesVersion } from './schema-registry';

export { POD_SECURITY_CHECKS } from './pod-security';
export type { PodSecurityCheck, PodSecurityException } from './pod-security';

export type { ExternalNames } from './references';
export type { ExternalPod, PodPort } from './pod-templates';

export { evaluateNetworkPolicies, networkPolicyAllows, workloadEndpoint } from './network-policy';
export type {
  AddressEndpoint,
  NetworkConnection,
  NetworkEndpoint,
  NetworkPolicyOptions,
  NetworkPolicyVerdict,
  NetworkProtocol,
  PodEndpoint,
} from './network-policy';

export { labelSelectorMatches } from './label-selector';
export { isQuantity, parseQuantity } from './quantity';
