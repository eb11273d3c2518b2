// The Kubernetes Secrets the platform chart references by name, created by Pulumi: generated values
// (`@pulumi/random`) for the master key (`sk-` prefix), the salt key and passwords, and values from
// secret stack config for provider keys. Keys synced by External Secrets (a `remoteKey`) are never
// created here: the chart renders an ExternalSecret for them instead.

import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';

/** How a key's value is produced when no value is given. */
export type GeneratedSecretKind = 'master-key' | 'password';

/** One key of a Secret the chart references. */
export interface PlatformSecretKeyArgs {
  /** The Kubernetes Secret's name (a plain name: the chart references it). */
  readonly secret: string;
  /** The key inside the Secret. */
  readonly key: string;
  /**
   * The value, e.g. from `config.requireSecret()`; it is wrapped with `pulumi.secret()`.
   * @default - generated as `generate` says
   */
  readonly value?: pulumi.Input<string>;
  /**
   * What to generate when `value` is not given: `master-key` (`sk-` and 48 characters) or `password`
   * (32 alphanumerics).
   * @default - a value is required
   */
  readonly generate?: GeneratedSecretKind;
  /**
   * Set when External Secrets syncs this key; such a key must not be passed here.
   * @default - none
   */
  readonly remoteKey?: string;
  /**
   * The Secret's type, e.g. `kubernetes.io/basic-auth` for database credentials; every key of one
   * Secret must agree.
   * @default 'Opaque'
   */
  readonly secretType?: string;
}

/** Arguments of a {@link PlatformSecrets}. */
export interface PlatformSecretsArgs {
  /** The namespace of the Secrets. */
  readonly namespace: pulumi.Input<string>;
  /** The keys to create, grouped into Secrets by name. */
  readonly keys: readonly PlatformSecretKeyArgs[];
  /**
   * Labels on every Secret.
   * @default - app.kubernetes.io/part-of: switchyard and app.kubernetes.io/managed-by: pulumi
   */
  readonly labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

const DEFAULT_LABELS = { 'app.kubernetes.io/part-of': 'switchyard', 'app.kubernetes.io/managed-by': 'pulumi' };

/** The Secrets of the platform that no secret store provides. */
export class PlatformSecrets extends pulumi.ComponentResource {
  /** The created Secrets, keyed by name. */
  readonly secrets: Readonly<Record<string, k8s.core.v1.Secret>>;
  /** The names of the created Secrets. */
  readonly secretNames: pulumi.Output<string[]>;
  /** Every key's value (secret), keyed `<secret>/<key>`. */
  readonly values: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: PlatformSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('switchyard:infra:PlatformSecrets', name, {}, opts);

    const grouped = new Map<string, Map<string, pulumi.Output<string>>>();
    const types = new Map<string, string>();
    for (const entry of args.keys) {
      if (entry.remoteKey !== undefined) {
        throw new pulumi.ResourceError(`secret ${entry.secret} key ${entry.key} is synced by External Secrets (remoteKey ${entry.remoteKey}); leave it out of PlatformSecrets`, this);
      }
      const keys = grouped.get(entry.secret) ?? new Map<string, pulumi.Output<string>>();
      if (keys.has(entry.key)) throw new pulumi.ResourceError(`secret ${entry.secret} key ${entry.key} is listed twice; list each key once`, this);
      keys.set(entry.key, pulumi.secret(this.keyValue(name, entry)));
      grouped.set(entry.secret, keys);
      const type = entry.secretType ?? 'Opaque';
      const known = types.get(entry.secret);
      if (known !== undefined && known !== type) {
        throw new pulumi.ResourceError(`secret ${entry.secret} is given two types (${known} and ${type}); give its keys the same secretType`, this);
      }
      types.set(entry.secret, type);
    }

    const secrets: Record<string, k8s.core.v1.Secret> = {};
    const values: Record<string, pulumi.Output<string>> = {};
    for (const [secretName, keys] of grouped) {
      for (const [key, value] of keys) values[`${secretName}/${key}`] = value;
      secrets[secretName] = new k8s.core.v1.Secret(
        `${name}-${secretName}`,
        {
          metadata: { name: secretName, namespace: args.namespace, labels: args.labels ?? DEFAULT_LABELS },
          type: types.get(secretName) ?? 'Opaque',
          stringData: Object.fromEntries(keys),
        },
        { parent: this, additionalSecretOutputs: ['data', 'stringData'] },
      );
    }

    this.secrets = secrets;
    this.secretNames = pulumi.output(Object.keys(secrets));
    this.values = pulumi.secret(pulumi.all(values));
    this.registerOutputs({ secretNames: this.secretNames, values: this.values });
  }

  private keyValue(name: string, entry: PlatformSecretKeyArgs): pulumi.Output<string> {
    if (entry.value !== undefined) return pulumi.output(entry.value);
    const id = `${name}-${entry.secret}-${entry.key.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
    switch (entry.generate) {
      case 'master-key':
        return pulumi.interpolate`sk-${new random.RandomPassword(id, { length: 48, special: false }, { parent: this }).result}`;
      case 'password':
        return new random.RandomPassword(id, { length: 32, special: false }, { parent: this }).result;
      case undefined:
        throw new pulumi.ResourceError(`secret ${entry.secret} key ${entry.key} has no value; pass a value (e.g. from pulumi config set --secret) or say what to generate`, this);
      default: {
        const unreachable: never = entry.generate;
        throw new pulumi.ResourceError(`unknown generate kind ${String(unreachable)}`, this);
      }
    }
  }
}
