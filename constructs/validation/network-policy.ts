// Evaluates the set's NetworkPolicies for one connection, so tests can assert which paths are open.
//
// Semantics follow the NetworkPolicy API: a pod is isolated for egress (ingress) when some policy in
// its namespace selects it and has that policy type; an isolated pod's traffic is allowed only when
// a rule of one of those policies allows it; a connection needs both the source's egress and the
// destination's ingress. Only the policies in the set count (a cluster may have more).
// Peers: `podSelector` (same namespace), `namespaceSelector` (+ `podSelector`), `ipBlock` (with
// `except`). An `ipBlock` only matches address endpoints: pod IPs are not known before deployment.
// Ports: numbers, `endPort` ranges and named ports (resolved against the destination pod's ports).
// @see https://kubernetes.io/docs/concepts/services-networking/network-policies/

import { BlockList, isIP } from 'node:net';
import { labelSelectorMatches } from './label-selector';
import { arrayAt, indexObjects, isRecord, labelsAt, stringAt, valueAt } from './manifest-object';
import type { IndexedObject, Labels, ManifestObject } from './manifest-object';
import { podSourcesOf } from './pod-templates';
import type { PodPort } from './pod-templates';

export type NetworkProtocol = 'TCP' | 'UDP' | 'SCTP';

/** A pod, described by its namespace and labels. */
export interface PodEndpoint {
  readonly namespace: string;
  readonly labels: Labels;
  /**
   * Labels of the pod's namespace, added to those of a Namespace object in the set and to
   * `kubernetes.io/metadata.name`, which every namespace has.
   * @default - from the set
   */
  readonly namespaceLabels?: Labels;
  /** Container ports, for named ports. @default - none */
  readonly ports?: readonly PodPort[];
}

/** An address outside the cluster's pods (a provider API, a DNS server's IP). */
export interface AddressEndpoint {
  readonly ip: string;
}

export type NetworkEndpoint = PodEndpoint | AddressEndpoint;

export interface NetworkConnection {
  readonly from: NetworkEndpoint;
  readonly to: NetworkEndpoint;
  /** Destination port number, or the name of a container port of the destination pod. */
  readonly port: number | string;
  /** @default 'TCP' */
  readonly protocol?: NetworkProtocol;
}

export interface NetworkPolicyOptions {
  /** Namespace of objects that set none. @default 'default' */
  readonly defaultNamespace?: string;
}

/** How the set's NetworkPolicies treat one connection. Policy names are `namespace/name`. */
export interface NetworkPolicyVerdict {
  readonly allowed: boolean;
  /** Policies that isolate the source for egress; empty when its egress is unrestricted. */
  readonly egressPolicies: readonly string[];
  /** Those of `egressPolicies` with a rule that allows the connection. */
  readonly egressAllowedBy: readonly string[];
  /** Policies that isolate the destination for ingress; empty when its ingress is unrestricted. */
  readonly ingressPolicies: readonly string[];
  /** Those of `ingressPolicies` with a rule that allows the connection. */
  readonly ingressAllowedBy: readonly string[];
}

/** Evaluates every NetworkPolicy of `objects` for `connection`. */
export function evaluateNetworkPolicies(
  objects: readonly ManifestObject[],
  connection: NetworkConnection,
  options: NetworkPolicyOptions = {},
): NetworkPolicyVerdict {
  const indexed = indexObjects(objects, options.defaultNamespace ?? 'default');
  const policies = indexed.filter((entry) => entry.group === 'networking.k8s.io' && entry.kind === 'NetworkPolicy');
  const namespaceLabels = namespaceLabelsOf(indexed);
  const protocol = connection.protocol ?? 'TCP';
  const port = resolvePort(connection.port, protocol, connection.to);

  const side = (direction: 'Egress' | 'Ingress'): { isolating: string[]; allowing: string[] } => {
    const subject = direction === 'Egress' ? connection.from : connection.to;
    const peer = direction === 'Egress' ? connection.to : connection.from;
    const isolating: string[] = [];
    const allowing: string[] = [];
    if (!isPod(subject)) return { isolating, allowing };
    for (const policy of policies) {
      if (policy.namespace !== subject.namespace || !policyTypes(policy).includes(direction)) continue;
      if (!labelSelectorMatches(valueAt(policy.object, 'spec', 'podSelector') ?? {}, subject.labels)) continue;
      const name = `${policy.namespace}/${policy.name}`;
      isolating.push(name);
      const rules = arrayAt(policy.object, 'spec', direction === 'Egress' ? 'egress' : 'ingress');
      const peersKey = direction === 'Egress' ? 'to' : 'from';
      const allows = rules.some(
        (rule) =>
          peersMatch(arrayAt(rule, peersKey), peer, policy.namespace, namespaceLabels) && portsMatch(arrayAt(rule, 'ports'), port, protocol, connection.to),
      );
      if (allows) allowing.push(name);
    }
    return { isolating, allowing };
  };

  const egress = side('Egress');
  const ingress = side('Ingress');
  return {
    allowed: (egress.isolating.length === 0 || egress.allowing.length > 0) && (ingress.isolating.length === 0 || ingress.allowing.length > 0),
    egressPolicies: egress.isolating,
    egressAllowedBy: egress.allowing,
    ingressPolicies: ingress.isolating,
    ingressAllowedBy: ingress.allowing,
  };
}

/** Whether the set's NetworkPolicies allow `connection` (both the source's egress and the destination's ingress). */
export function networkPolicyAllows(objects: readonly ManifestObject[], connection: NetworkConnection, options: NetworkPolicyOptions = {}): boolean {
  return evaluateNetworkPolicies(objects, connection, options).allowed;
}

/**
 * The pods of a workload in the set (Deployment, StatefulSet, …, or a CloudNativePG Cluster/Pooler),
 * as an endpoint for `networkPolicyAllows`. Throws when the set has no such workload.
 */
export function workloadEndpoint(
  objects: readonly ManifestObject[],
  workload: { readonly kind: string; readonly name: string; readonly namespace?: string },
  options: NetworkPolicyOptions = {},
): PodEndpoint {
  const defaultNamespace = options.defaultNamespace ?? 'default';
  const sources = podSourcesOf(indexObjects(objects, defaultNamespace), [], defaultNamespace);
  const source = sources.find(
    (candidate) =>
      candidate.owner !== undefined &&
      candidate.owner.kind === workload.kind &&
      candidate.owner.name === workload.name &&
      (workload.namespace === undefined || candidate.namespace === workload.namespace),
  );
  if (source === undefined) throw new Error(`no ${workload.kind} named ${JSON.stringify(workload.name)} with a pod template in the set`);
  return { namespace: source.namespace, labels: source.labels, ports: source.ports ?? [] };
}

function isPod(endpoint: NetworkEndpoint): endpoint is PodEndpoint {
  return 'labels' in endpoint;
}

function policyTypes(policy: IndexedObject): readonly string[] {
  const declared = arrayAt(policy.object, 'spec', 'policyTypes').filter((type): type is string => typeof type === 'string');
  if (declared.length > 0) return declared;
  return valueAt(policy.object, 'spec', 'egress') === undefined ? ['Ingress'] : ['Ingress', 'Egress'];
}

function namespaceLabelsOf(objects: readonly IndexedObject[]): Map<string, Labels> {
  const labels = new Map<string, Labels>();
  for (const entry of objects) {
    if (entry.group === '' && entry.kind === 'Namespace') labels.set(entry.name, labelsAt(entry.object, 'metadata', 'labels'));
  }
  return labels;
}

function peersMatch(peers: readonly unknown[], endpoint: NetworkEndpoint, policyNamespace: string, namespaceLabels: ReadonlyMap<string, Labels>): boolean {
  // No peers: the rule applies to every source/destination.
  if (peers.length === 0) return true;
  return peers.some((peer) => peerMatches(peer, endpoint, policyNamespace, namespaceLabels));
}

function peerMatches(peer: unknown, endpoint: NetworkEndpoint, policyNamespace: string, namespaceLabels: ReadonlyMap<string, Labels>): boolean {
  if (!isRecord(peer)) return false;
  if (isRecord(peer.ipBlock)) return !isPod(endpoint) && ipBlockMatches(peer.ipBlock, endpoint.ip);
  if (!isPod(endpoint)) return false;
  if (peer.namespaceSelector !== undefined) {
    const labels = { ...namespaceLabels.get(endpoint.namespace), ...endpoint.namespaceLabels, 'kubernetes.io/metadata.name': endpoint.namespace };
    if (!labelSelectorMatches(peer.namespaceSelector, labels)) return false;
    return peer.podSelector === undefined || labelSelectorMatches(peer.podSelector, endpoint.labels);
  }
  if (peer.podSelector !== undefined) return endpoint.namespace === policyNamespace && labelSelectorMatches(peer.podSelector, endpoint.labels);
  return false;
}

function ipBlockMatches(ipBlock: Record<string, unknown>, ip: string): boolean {
  const cidr = stringAt(ipBlock, 'cidr');
  if (cidr === undefined || !cidrContains(cidr, ip)) return false;
  return !arrayAt(ipBlock, 'except').some((except) => typeof except === 'string' && cidrContains(except, ip));
}

function cidrContains(cidr: string, ip: string): boolean {
  const slash = cidr.indexOf('/');
  const network = slash === -1 ? cidr : cidr.slice(0, slash);
  const family = isIP(network);
  if (family === 0 || isIP(ip) !== family) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const prefix = slash === -1 ? (family === 4 ? 32 : 128) : Number(cidr.slice(slash + 1));
  const list = new BlockList();
  list.addSubnet(network, prefix, type);
  return list.check(ip, type);
}

/** The destination port number, resolving a named port against the destination pod. */
function resolvePort(port: number | string, protocol: string, destination: NetworkEndpoint): number | undefined {
  if (typeof port === 'number') return port;
  if (!isPod(destination)) return undefined;
  return destination.ports?.find((candidate) => candidate.name === port && candidate.protocol === protocol)?.containerPort;
}

function portsMatch(ports: readonly unknown[], port: number | undefined, protocol: string, destination: NetworkEndpoint): boolean {
  // No ports: the rule applies to every port.
  if (ports.length === 0) return true;
  return ports.some((entry) => {
    if (!isRecord(entry) || (stringAt(entry, 'protocol') ?? 'TCP') !== protocol) return false;
    const rulePort = entry.port;
    if (rulePort === undefined) return true;
    if (port === undefined) return false;
    if (typeof rulePort === 'number') {
      const endPort = typeof entry.endPort === 'number' ? entry.endPort : rulePort;
      return port >= rulePort && port <= endPort;
    }
    if (typeof rulePort === 'string') return resolvePort(rulePort, protocol, destination) === port;
    return false;
  });
}
