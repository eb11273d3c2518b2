// Scalar values as LiteLLM configs write them: `os.environ/NAME` references, numbers that may be
// quoted, booleans that may be words. Shared by the schema (at load) and the resolver (for values
// that arrive through environment variables), so both apply the same rules and messages.

/** A reference to an environment variable, resolved when the config is loaded. */
export type EnvReference = `os.environ/${string}`;

/** The prefix LiteLLM gives environment references. */
export const ENV_REFERENCE_PREFIX = 'os.environ/';

/** Is `value` an `os.environ/NAME` reference (well-formed or not)? */
export function isEnvReference(value: unknown): value is EnvReference {
  return typeof value === 'string' && value.startsWith(ENV_REFERENCE_PREFIX);
}

/** The variable name of an `os.environ/NAME` reference. */
export function envReferenceName(reference: EnvReference): string {
  return reference.slice(ENV_REFERENCE_PREFIX.length);
}

const ENV_NAME = /^[^\s=]+$/;

export type FieldResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

function fail(message: string): { ok: false; message: string } {
  return { ok: false, message };
}

/** A short, safe description of a value for messages: strings quoted and cut, collections named. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

/** Checks the name of an `os.environ/NAME` reference. */
export function parseEnvReference(value: EnvReference): FieldResult<EnvReference> {
  const name = envReferenceName(value);
  if (name === '') return fail('os.environ/ needs a variable name, e.g. os.environ/OPENAI_API_KEY');
  if (!ENV_NAME.test(name)) return fail(`${JSON.stringify(name)} is not an environment variable name`);
  return { ok: true, value };
}

/** Text: strings as they are; numbers become their decimal text (`api_version: 2024.10` is fine). */
export function parseTextValue(value: unknown): FieldResult<string> {
  if (typeof value === 'string') return { ok: true, value };
  if (typeof value === 'number' && Number.isFinite(value)) return { ok: true, value: String(value) };
  return fail(`expected a string, got ${describeValue(value)}`);
}

/** Limits a number field checks. */
export interface NumberConstraints {
  /**
   * Only whole numbers.
   * @default false
   */
  readonly integer?: boolean;
  /**
   * The smallest allowed value.
   * @default - no lower bound
   */
  readonly min?: number;
  /**
   * Whether `min` itself is excluded (`timeout` must be more than 0).
   * @default false
   */
  readonly exclusiveMin?: boolean;
}

const NUMERIC_TEXT = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** A number, from a YAML number or a numeric string (`rpm: "100"`), checked against `constraints`. */
export function parseNumberValue(value: unknown, constraints: NumberConstraints = {}): FieldResult<number> {
  let number: number;
  if (typeof value === 'number') {
    number = value;
  } else if (typeof value === 'string' && NUMERIC_TEXT.test(value.trim())) {
    number = Number(value.trim());
  } else {
    return fail(`expected a number, got ${describeValue(value)}`);
  }
  if (!Number.isFinite(number)) return fail(`expected a number, got ${describeValue(value)}`);
  if (constraints.integer === true && !Number.isInteger(number)) {
    return fail(`expected a whole number, got ${describeValue(value)}`);
  }
  const { min } = constraints;
  if (min !== undefined) {
    if (constraints.exclusiveMin === true && number <= min) return fail(`must be more than ${min}, got ${number}`);
    if (number < min) return fail(`must be ${min} or more, got ${number}`);
  }
  return { ok: true, value: number };
}

const TRUE_WORDS: ReadonlySet<string> = new Set(['true', 'yes', 'on']);
const FALSE_WORDS: ReadonlySet<string> = new Set(['false', 'no', 'off']);

/**
 * A boolean, from a YAML boolean or the words LiteLLM's YAML 1.1 loader reads as booleans
 * (`true`/`false`, `yes`/`no`, `on`/`off`, any case).
 */
export function parseBooleanValue(value: unknown): FieldResult<boolean> {
  if (typeof value === 'boolean') return { ok: true, value };
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return { ok: true, value: true };
    if (FALSE_WORDS.has(word)) return { ok: true, value: false };
  }
  return fail(`expected true or false, got ${describeValue(value)}`);
}
