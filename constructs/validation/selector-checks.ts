// Rules `service-selector`, `selector` and `network-policy`: selectors must select something.
// - A Service with a selector selects at least one pod (template, operator pod or declared external
//   pod) in its namespace, and its named targetPorts are container port names of those pods.
// - An apps/v1 workload's selector matches its own template (the API server rejects it otherwise).
// - PodDisruptionBudgets, PodMonitors and InferencePools select pods; ServiceMonitors select Services
//   that have the named endpoint ports.
// - A NetworkPolicy's podSelector (unless empty, which selects every pod) and its same-namespace
//   podSelector peers select pods.

import { describeLabelSelector, isEmptyLabelSelector, labelSelectorMatches, mapSelectorMatches } from './label-selector';
import type { ManifestIssue } from './manifest-issue';
import { arrayAt, childPointer, isRecord, labelsAt, stringAt, valueAt } from './manifest-object';
import type { IndexedObject, Labels } from './manifest-object';
import type { PodSource, PodTemplate } from './pod-templates';

export function checkSelectors(objects: readonly IndexedObject[], templates: readonly PodTemplate[], pods: readonly PodSource[]): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const services = objects.filter((entry) => entry.group === '' && entry.kind === 'Service');

  for (const template of templates) {
    if (template.owner.group !== 'apps') continue;
    const selector = valueAt(template.owner.object, 'spec', 'selector');
    if (!isRecord(selector)) continue; // a missing selector is a schema error
    if (isEmptyLabelSelector(selector)) {
      issues.push({ object: template.owner.description, path: '/spec/selector', message: 'selector must not be empty', rule: 'selector' });
    } else if (!labelSelectorMatches(selector, template.labels)) {
      issues.push({
        object: template.owner.description,
        path: '/spec/selector',
        message: `selector ${describeLabelSelector(selector)} does not match the pod template labels ${describeLabels(template.labels)}`,
        rule: 'selector',
      });
    }
  }

  for (const entry of objects) {
    const issue = (rule: ManifestIssue['rule'], path: string, message: string): void => {
      issues.push({ object: entry.description, path, message, rule });
    };
    switch (`${entry.group} ${entry.kind}`) {
      case ' Service': {
        if (stringAt(entry.object, 'spec', 'type') === 'ExternalName') break;
        const selector = labelsAt(entry.object, 'spec', 'selector');
        if (Object.keys(selector).length === 0) break; // no selector: endpoints are managed elsewhere
        const selected = pods.filter((pod) => pod.namespace === entry.namespace && mapSelectorMatches(selector, pod.labels));
        if (selected.length === 0) {
          issue(
            'service-selector',
            '/spec/selector',
            `selector ${describeLabels(selector)} selects no pods: no pod template in namespace ${entry.namespace} has these labels`,
          );
          break;
        }
        arrayAt(entry.object, 'spec', 'ports').forEach((port, index) => {
          const targetPort = valueAt(port, 'targetPort');
          if (typeof targetPort !== 'string') return;
          const known = selected.filter((pod) => pod.ports !== undefined);
          if (known.length > 0 && !known.some((pod) => (pod.ports ?? []).some((candidate) => candidate.name === targetPort))) {
            issue(
              'service-selector',
              childPointer('/spec/ports', index, 'targetPort'),
              `targetPort "${targetPort}" is not a named container port of the selected pods (${known.map((pod) => pod.description).join('; ')})`,
            );
          }
        });
        break;
      }
      case 'policy PodDisruptionBudget': {
        const selector = valueAt(entry.object, 'spec', 'selector');
        if (isEmptyLabelSelector(selector)) break;
        if (!pods.some((pod) => pod.namespace === entry.namespace && labelSelectorMatches(selector, pod.labels))) {
          issue('selector', '/spec/selector', `selector ${describeLabelSelector(selector)} selects no pods in namespace ${entry.namespace}`);
        }
        break;
      }
      case 'inference.networking.k8s.io InferencePool': {
        const selector = labelsAt(entry.object, 'spec', 'selector', 'matchLabels');
        if (!pods.some((pod) => pod.namespace === entry.namespace && mapSelectorMatches(selector, pod.labels))) {
          issue('selector', '/spec/selector/matchLabels', `selector ${describeLabels(selector)} selects no model-server pods in namespace ${entry.namespace}`);
        }
        break;
      }
      case 'monitoring.coreos.com ServiceMonitor': {
        const namespaces = monitorNamespaces(entry);
        const selector = valueAt(entry.object, 'spec', 'selector');
        const selected = services.filter(
          (service) => inNamespaces(service.namespace, namespaces) && labelSelectorMatches(selector, labelsAt(service.object, 'metadata', 'labels')),
        );
        if (selected.length === 0) {
          issue('selector', '/spec/selector', `selector ${describeLabelSelector(selector)} selects no Service in ${describeNamespaces(namespaces)}`);
          break;
        }
        arrayAt(entry.object, 'spec', 'endpoints').forEach((endpoint, index) => {
          const port = stringAt(endpoint, 'port');
          if (port === undefined) return;
          const named = selected.some((service) => arrayAt(service.object, 'spec', 'ports').some((candidate) => stringAt(candidate, 'name') === port));
          if (named) return;
          const names = selected.map((service) => service.name).join(', ');
          issue('selector', childPointer('/spec/endpoints', index, 'port'), `port "${port}" is not a named port of the selected Services (${names})`);
        });
        break;
      }
      case 'monitoring.coreos.com PodMonitor': {
        const namespaces = monitorNamespaces(entry);
        const selector = valueAt(entry.object, 'spec', 'selector');
        const selected = pods.filter((pod) => inNamespaces(pod.namespace, namespaces) && labelSelectorMatches(selector, pod.labels));
        if (selected.length === 0) {
          issue('selector', '/spec/selector', `selector ${describeLabelSelector(selector)} selects no pods in ${describeNamespaces(namespaces)}`);
          break;
        }
        const known = selected.filter((pod) => pod.ports !== undefined);
        arrayAt(entry.object, 'spec', 'podMetricsEndpoints').forEach((endpoint, index) => {
          const port = stringAt(endpoint, 'port');
          if (port === undefined || known.length === 0) return;
          if (!known.some((pod) => (pod.ports ?? []).some((candidate) => candidate.name === port))) {
            issue('selector', childPointer('/spec/podMetricsEndpoints', index, 'port'), `port "${port}" is not a named container port of the selected pods`);
          }
        });
        break;
      }
      case 'networking.k8s.io NetworkPolicy': {
        // A missing podSelector is a schema error; like the API's empty selector it would select every pod.
        const podSelector = valueAt(entry.object, 'spec', 'podSelector') ?? {};
        if (!isEmptyLabelSelector(podSelector) && !pods.some((pod) => pod.namespace === entry.namespace && labelSelectorMatches(podSelector, pod.labels))) {
          issue(
            'network-policy',
            '/spec/podSelector',
            `podSelector ${describeLabelSelector(podSelector)} selects no pods in namespace ${entry.namespace}, so the policy does nothing`,
          );
        }
        for (const [direction, peersKey] of [
          ['ingress', 'from'],
          ['egress', 'to'],
        ] as const) {
          arrayAt(entry.object, 'spec', direction).forEach((rule, ruleIndex) => {
            arrayAt(rule, peersKey).forEach((peer, peerIndex) => {
              if (!isRecord(peer) || peer.namespaceSelector !== undefined || !isRecord(peer.podSelector) || isEmptyLabelSelector(peer.podSelector)) return;
              if (pods.some((pod) => pod.namespace === entry.namespace && labelSelectorMatches(peer.podSelector, pod.labels))) return;
              issue(
                'network-policy',
                childPointer('/spec', direction, ruleIndex, peersKey, peerIndex, 'podSelector'),
                `peer podSelector ${describeLabelSelector(peer.podSelector)} selects no pods in namespace ${entry.namespace}`,
              );
            });
          });
        }
        break;
      }
      default:
        break;
    }
  }
  return issues;
}

/** Namespaces a ServiceMonitor/PodMonitor looks in; undefined means all. */
function monitorNamespaces(entry: IndexedObject): readonly string[] | undefined {
  if (valueAt(entry.object, 'spec', 'namespaceSelector', 'any') === true) return undefined;
  const names = arrayAt(entry.object, 'spec', 'namespaceSelector', 'matchNames').filter((name): name is string => typeof name === 'string');
  return names.length > 0 ? names : [entry.namespace];
}

function inNamespaces(namespace: string, namespaces: readonly string[] | undefined): boolean {
  return namespaces === undefined || namespaces.includes(namespace);
}

function describeNamespaces(namespaces: readonly string[] | undefined): string {
  return namespaces === undefined ? 'any namespace' : `namespace ${namespaces.join(', ')}`;
}

function describeLabels(labels: Labels): string {
  const parts = Object.entries(labels).map(([key, value]) => `${key}=${value}`);
  return parts.length === 0 ? '<none>' : parts.join(',');
}
