// Kubernetes resource quantities ("500m", "2Gi", "1e3").
// @see https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/

const QUANTITY_PATTERN = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([eE][+-]?\d+)|(n|u|m|k|M|G|T|P|E))?$/;

const BINARY_SUFFIX: Readonly<Record<string, number>> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL_SUFFIX: Readonly<Record<string, number>> = { n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** Whether `text` is a valid quantity string. */
export function isQuantity(text: string): boolean {
  return QUANTITY_PATTERN.test(text);
}

/** The numeric value of a quantity (cores for cpu, bytes for memory), or undefined when it is not one. */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = QUANTITY_PATTERN.exec(value);
  if (match === null) return undefined;
  const [, number, binary, exponent, decimal] = match;
  const base = Number(number);
  if (binary !== undefined) return base * (BINARY_SUFFIX[binary] ?? 1);
  if (exponent !== undefined) return base * 10 ** Number(exponent.slice(1));
  if (decimal !== undefined) return base * (DECIMAL_SUFFIX[decimal] ?? 1);
  return base;
}
