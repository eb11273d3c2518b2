// Kubernetes label selectors: the `matchLabels`/`matchExpressions` form (Deployments, NetworkPolicies,
// PodDisruptionBudgets, monitors) and the plain map form (Service selector).
// @see https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors

import { arrayAt, isRecord, labelsAt } from './manifest-object';
import type { Labels } from './manifest-object';

/**
 * Whether a `metav1.LabelSelector` selects `labels`. An empty selector (`{}`) selects everything;
 * a missing one (`undefined`/`null`) selects nothing, as in the Kubernetes API.
 */
export function labelSelectorMatches(selector: unknown, labels: Labels): boolean {
  if (!isRecord(selector)) return false;
  if (!mapSelectorMatches(labelsAt(selector, 'matchLabels'), labels)) return false;
  return arrayAt(selector, 'matchExpressions').every((expression) => expressionMatches(expression, labels));
}

/** Whether every `key: value` of a plain map selector is among `labels` (an empty map selects everything). */
export function mapSelectorMatches(selector: Labels, labels: Labels): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/** Whether a `metav1.LabelSelector` is `{}` (or has only empty parts), which selects everything. */
export function isEmptyLabelSelector(selector: unknown): boolean {
  return isRecord(selector) && Object.keys(labelsAt(selector, 'matchLabels')).length === 0 && arrayAt(selector, 'matchExpressions').length === 0;
}

/** Renders a selector for messages: `app=gateway,tier in (web)`. */
export function describeLabelSelector(selector: unknown): string {
  if (!isRecord(selector)) return '<none>';
  const parts = Object.entries(labelsAt(selector, 'matchLabels')).map(([key, value]) => `${key}=${value}`);
  for (const expression of arrayAt(selector, 'matchExpressions')) {
    if (!isRecord(expression)) continue;
    const values = arrayAt(expression, 'values').map(String).join(',');
    parts.push(`${String(expression.key)} ${String(expression.operator)}${values === '' ? '' : ` (${values})`}`);
  }
  return parts.length === 0 ? '<everything>' : parts.join(',');
}

function expressionMatches(expression: unknown, labels: Labels): boolean {
  if (!isRecord(expression) || typeof expression.key !== 'string') return false;
  const has = Object.prototype.hasOwnProperty.call(labels, expression.key);
  const value = labels[expression.key];
  const values = arrayAt(expression, 'values');
  switch (expression.operator) {
    case 'In':
      return has && values.includes(value);
    case 'NotIn':
      return !has || !values.includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    default:
      // An unknown operator is a schema/API error elsewhere; it selects nothing here.
      return false;
  }
}
