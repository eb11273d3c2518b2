// Pulumi under mocks for the infra/ and stacks/ tests: no CLI, no engine, no cluster. Records every
// resource registration as the engine would see it (type, name, parent, dependencies, the serialized
// inputs with their secret markers), and supplies the state providers would compute.

import * as pulumi from '@pulumi/pulumi';

/** The signature Pulumi uses to mark a serialized secret value. */
export const SECRET_SIGNATURE = '1b47061264138c4ac30d75fd1eb44270';
const SPECIAL_KEY = '4dabf18193072939515e22adb298388d';

/** One resource registration, as the engine receives it. */
export interface Registration {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  /** The parent's URN ('' for none). */
  readonly parent: string;
  /** URNs of the resources it depends on. */
  readonly dependencies: readonly string[];
  /** The serialized inputs; secret values are `{ [SPECIAL_KEY]: SECRET_SIGNATURE, value }`. */
  readonly inputs: Record<string, unknown>;
  readonly additionalSecretOutputs: readonly string[];
}

/** The fixed value the mock gives a `RandomPassword.result`. */
export function generatedValue(name: string): string {
  return `generated-${name}`;
}

/** Resolves an Output (the promiseOf helper of Pulumi's testing examples). */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => {
    resolve(value);
    return value;
  }));
}

/** True for a serialized secret value. */
export function isSerializedSecret(value: unknown): value is { value: unknown } {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[SPECIAL_KEY] === SECRET_SIGNATURE;
}

/** The inputs with secret markers replaced by their plain values. */
export function unwrapSecrets(value: unknown): unknown {
  if (isSerializedSecret(value)) return unwrapSecrets(value.value);
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, unwrapSecrets(item)]));
  return value;
}

/** A resource's `type::name` from its URN. */
export function urnName(urn: string): string {
  const parts = urn.split('::');
  const type = (parts[2] ?? '').split('$').pop() ?? '';
  return `${type}::${parts[3] ?? ''}`;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getDependenciesList(): string[];
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
  getAdditionalsecretoutputsList(): string[];
}

/**
 * Installs the mocks for one stack and returns the registrations as they arrive. Call before the
 * program is imported; `settled()` waits until every registration has been answered.
 */
export async function installMocks(project: string, stack: string): Promise<{ registrations: Registration[]; settled: () => Promise<void> }> {
  const registrations: Registration[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === 'random:index/randomPassword:RandomPassword') state.result = generatedValue(args.name);
        if (args.type === 'docker-build:index:Image') {
          const digest = `sha256:${'0'.repeat(64)}`;
          state.digest = digest;
          state.ref = `${(args.inputs.tags as string[])[0]}@${digest}`;
        }
        return { id: `${args.name}-id`, state };
      },
      call: (args) => args.inputs,
    },
    project,
    stack,
    false,
  );
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: RegisterRequest, callback: (error: unknown, response: { getUrn(): string } | undefined) => void): Promise<void> };
  const original = monitor.registerResource.bind(monitor);
  let pending = 0;
  monitor.registerResource = (req, callback) => {
    pending += 1;
    const index = registrations.length;
    registrations.push({
      type: req.getType(),
      name: req.getName(),
      urn: '',
      parent: req.getParent(),
      dependencies: req.getDependenciesList(),
      inputs: req.getObject()?.toJavaScript() ?? {},
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
    });
    return original(req, (error: unknown, response: { getUrn(): string } | undefined) => {
      pending -= 1;
      const registration = registrations[index];
      if (registration !== undefined && response !== undefined) registrations[index] = { ...registration, urn: response.getUrn() };
      callback(error, response);
    });
  };
  const settled = async (): Promise<void> => {
    let quiet = 0;
    let count = -1;
    while (quiet < 5) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      quiet = pending === 0 && count === registrations.length ? quiet + 1 : 0;
      count = registrations.length;
    }
  };
  return { registrations, settled };
}
