// The OpenAPI `format`s that appear in the Kubernetes definitions and the vendored CRDs, registered on
// ajv. A format not listed here is dropped from the schema before compiling: the API server ignores
// formats it does not know, and so do we (leniently) rather than let ajv log or fail.
// @see https://github.com/kubernetes/kube-openapi (pkg/validation/strfmt) for the formats the API server checks

import { isIP } from 'node:net';
import type { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { isQuantity } from './quantity';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MAC = /^(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$/;

/** Formats ajv-formats provides with the semantics Kubernetes uses. */
const AJV_FORMATS = ['date-time', 'date', 'time', 'ipv4', 'ipv6'] as const;

/** Every format name the transformed schemas may keep. */
export const KNOWN_FORMATS: ReadonlySet<string> = new Set<string>([
  ...AJV_FORMATS,
  'datetime',
  'int32',
  'int64',
  'float',
  'double',
  'byte',
  'password',
  'quantity',
  'cidr',
  'mac',
]);

export function registerKubernetesFormats(ajv: Ajv): void {
  addFormats(ajv, [...AJV_FORMATS]);
  ajv.addFormat('datetime', ajv.formats['date-time'] ?? true);
  ajv.addFormat('int32', { type: 'number', validate: (value: number) => Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX });
  ajv.addFormat('int64', { type: 'number', validate: (value: number) => Number.isInteger(value) });
  ajv.addFormat('float', { type: 'number', validate: () => true });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  ajv.addFormat('byte', { type: 'string', validate: (value: string) => BASE64.test(value) });
  ajv.addFormat('password', { type: 'string', validate: () => true });
  ajv.addFormat('quantity', { type: 'string', validate: isQuantity });
  ajv.addFormat('cidr', { type: 'string', validate: isCidr });
  ajv.addFormat('mac', { type: 'string', validate: (value: string) => MAC.test(value) });
}

function isCidr(value: string): boolean {
  const slash = value.indexOf('/');
  if (slash === -1) return false;
  const family = isIP(value.slice(0, slash));
  const prefixText = value.slice(slash + 1);
  if (family === 0 || !/^\d{1,3}$/.test(prefixText)) return false;
  return Number(prefixText) <= (family === 4 ? 32 : 128);
}
