// Secrets are references, never values. Every Secret the platform reads is either
//   - synced by the External Secrets Operator (`external-secrets.io/v1` ExternalSecret) from a store
//     (Vault, 1Password, AWS Secrets Manager, …) behind a SecretStore or ClusterSecretStore that the
//     platform team runs, or
//   - created by another tool (Pulumi, sealed-secrets, an operator, `kubectl create secret`) and only
//     referenced here by name, with the keys it must hold declared so wiring mistakes fail at synth.
// No secret value ever appears in a prop, a manifest, a snapshot or an error message.
//
// How `remoteKey`/`remoteProperty` address a value, per store:
//   - Vault KV v2 (`provider.vault`, `version: v2`): `remoteKey` is the secret path under the store's
//     mount (`switchyard/providers`), `remoteProperty` the field (`openai`).
//   - 1Password (`provider.onepasswordSDK`): `remoteKey` is `<item>/<field>` (or the item, with the
//     field in `remoteProperty`); the vault is the store's.
//   - AWS Secrets Manager (`provider.aws`, `service: SecretsManager`): `remoteKey` is the secret name,
//     `remoteProperty` the JSON key inside it when the secret holds JSON.
//
// @see https://external-secrets.io/latest/api/externalsecret/

import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';

import {
  ExternalSecret,
  ExternalSecretSpecSecretStoreRefKind,
  ExternalSecretSpecTargetCreationPolicy,
  ExternalSecretSpecTargetDeletionPolicy,
} from './imports/eso-externalsecret-external-secrets.io';

interface StoreReference {
  readonly name: string;
  readonly kind: SecretStoreKind;
  readonly refreshInterval: Duration;
}

function checkStore(name: string, kind: SecretStoreKind | undefined, refreshInterval: Duration | undefined): StoreReference {
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) {
    throw new Error(`storeName must be the name of a SecretStore or ClusterSecretStore, got ${JSON.stringify(name)}`);
  }
  const interval = refreshInterval ?? Duration.hours(1);
  if (interval.toSeconds() < 1) throw new Error(`refreshInterval must be at least 1 second, got ${interval.toSeconds()}s`);
  return { name, kind: kind ?? SecretStoreKind.CLUSTER_SECRET_STORE, refreshInterval: interval };
}

/** The kind of External Secrets store the ExternalSecrets read from. */
export enum SecretStoreKind {
  /** A store in the same namespace. */
  SECRET_STORE = 'SecretStore',
  /** A cluster-wide store (the usual setup: one per backend, run by the platform team). */
  CLUSTER_SECRET_STORE = 'ClusterSecretStore',
}

/** Properties of {@link Secrets}. */
export interface SecretsProps {
  /**
   * The External Secrets store that keys with a `remoteKey` are read from.
   * @default - none: every secret is created by another tool and only referenced
   */
  readonly storeName?: string;
  /**
   * The kind of that store.
   * @default SecretStoreKind.CLUSTER_SECRET_STORE
   */
  readonly storeKind?: SecretStoreKind;
  /**
   * How often the operator re-reads the store.
   * @default Duration.hours(1)
   */
  readonly refreshInterval?: Duration;
}

/** One key of a secret. */
export interface SecretKeyOptions {
  /** The key in the Kubernetes Secret, e.g. `OPENAI_API_KEY` or `password`. */
  readonly key: string;
  /**
   * Where the value lives in the store (path, item or secret name; see the file comment). Set it to
   * have External Secrets sync the key; leave it out when another tool writes the Secret.
   * @default - the Secret is created by another tool
   */
  readonly remoteKey?: string;
  /**
   * The field or JSON property inside `remoteKey`.
   * @default - the whole value
   */
  readonly remoteProperty?: string;
  /**
   * The version of the remote value.
   * @default - the latest
   */
  readonly remoteVersion?: string;
}

/** Options for {@link Secrets.addSecret}. */
export interface ManagedSecretOptions {
  /** The Kubernetes Secret's name. */
  readonly name: string;
  /** The keys the Secret holds; all synced by External Secrets, or none. */
  readonly keys: SecretKeyOptions[];
  /**
   * The Secret's type, for a synced Secret (e.g. `kubernetes.io/dockerconfigjson` for a pull secret,
   * whose key is `.dockerconfigjson`).
   * @default 'Opaque'
   */
  readonly type?: string;
}

/** Properties of a {@link ManagedSecret}. */
export interface ManagedSecretProps extends ManagedSecretOptions {
  /**
   * The External Secrets store synced keys are read from.
   * @default - none: the Secret is created by another tool
   */
  readonly storeName?: string;
  /**
   * The kind of that store.
   * @default SecretStoreKind.CLUSTER_SECRET_STORE
   */
  readonly storeKind?: SecretStoreKind;
  /**
   * How often the operator re-reads the store.
   * @default Duration.hours(1)
   */
  readonly refreshInterval?: Duration;
}

/** A Secret the platform reads: synced by External Secrets, or created elsewhere and referenced. */
export class ManagedSecret extends Construct {
  /** The Secret, for `EnvValue.fromSecretValue`, volumes and pull secrets. */
  readonly secret: kplus.ISecret;
  /** The Secret's name. */
  readonly name: string;
  /** The keys it holds. */
  readonly keys: readonly string[];
  /** The ExternalSecret that creates it, when synced. */
  readonly externalSecret?: ExternalSecret;

  constructor(scope: Construct, id: string, options: ManagedSecretProps) {
    super(scope, id);
    const store = options.storeName === undefined ? undefined : checkStore(options.storeName, options.storeKind, options.refreshInterval);
    const where = `secret ${JSON.stringify(options.name)}`;
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(options.name) || options.name.length > 253) {
      throw new Error(`${where}: name must be a lowercase DNS name (letters, digits, '-', '.'), got ${JSON.stringify(options.name)}`);
    }
    if (options.keys.length === 0) throw new Error(`${where}: declare at least one key the gateway reads from it`);
    const seen = new Set<string>();
    for (const { key } of options.keys) {
      if (!/^[-._a-zA-Z0-9]+$/.test(key)) throw new Error(`${where}: key must be letters, digits, '-', '_' or '.', got ${JSON.stringify(key)}`);
      if (seen.has(key)) throw new Error(`${where}: key ${key} is declared twice; declare it once`);
      seen.add(key);
    }
    const synced = options.keys.filter((key) => key.remoteKey !== undefined);
    if (synced.length > 0 && synced.length < options.keys.length) {
      const missing = options.keys.filter((key) => key.remoteKey === undefined).map((key) => key.key);
      throw new Error(`${where}: either every key has a remoteKey (External Secrets writes the Secret) or none does; ${missing.join(', ')} has none`);
    }
    if (synced.length > 0 && store === undefined) {
      throw new Error(`${where}: remoteKey needs an External Secrets store; set storeName on Secrets, or drop remoteKey if another tool creates the Secret`);
    }
    if (synced.length === 0 && options.type !== undefined) {
      throw new Error(`${where}: type applies only to a Secret External Secrets creates; the tool that creates it sets the type`);
    }

    this.name = options.name;
    this.keys = options.keys.map((key) => key.key);
    this.secret = kplus.Secret.fromSecretName(this, 'Resource', options.name);
    if (synced.length > 0 && store !== undefined) {
      this.externalSecret = new ExternalSecret(this, 'ExternalSecret', {
        metadata: { name: options.name },
        spec: {
          refreshInterval: `${store.refreshInterval.toSeconds()}s`,
          secretStoreRef: {
            name: store.name,
            kind:
              store.kind === SecretStoreKind.SECRET_STORE
                ? ExternalSecretSpecSecretStoreRefKind.SECRET_STORE
                : ExternalSecretSpecSecretStoreRefKind.CLUSTER_SECRET_STORE,
          },
          target: {
            name: options.name,
            creationPolicy: ExternalSecretSpecTargetCreationPolicy.OWNER,
            deletionPolicy: ExternalSecretSpecTargetDeletionPolicy.RETAIN,
            ...(options.type === undefined ? {} : { template: { type: options.type } }),
          },
          data: synced.map((key) => ({
            secretKey: key.key,
            remoteRef: {
              key: key.remoteKey as string,
              ...(key.remoteProperty === undefined ? {} : { property: key.remoteProperty }),
              ...(key.remoteVersion === undefined ? {} : { version: key.remoteVersion }),
            },
          })),
        },
      });
    }
  }

  /** Whether another tool creates this Secret (it is only referenced here). */
  get external(): boolean {
    return this.externalSecret === undefined;
  }

  /** One key, for `EnvValue.fromSecretValue`. Throws when the key was not declared. */
  value(key: string): kplus.SecretValue {
    if (!this.keys.includes(key)) {
      throw new Error(`secret ${JSON.stringify(this.name)} has no key ${JSON.stringify(key)}; declared keys: ${this.keys.join(', ')}`);
    }
    return { secret: this.secret, key };
  }

  /** One key as an environment variable value. */
  envValue(key: string): kplus.EnvValue {
    return kplus.EnvValue.fromSecretValue(this.value(key));
  }
}

/**
 * The platform's Secrets: ExternalSecrets against one store, or references to Secrets another tool
 * creates.
 */
export class Secrets extends Construct {
  private readonly props: SecretsProps;
  private readonly secrets = new Map<string, ManagedSecret>();

  constructor(scope: Construct, id: string, props: SecretsProps = {}) {
    super(scope, id);
    if (props.storeName !== undefined) checkStore(props.storeName, props.storeKind, props.refreshInterval);
    this.props = props;
  }

  /** Declares a Secret the platform reads; synced when its keys have a `remoteKey`. */
  addSecret(id: string, options: ManagedSecretOptions): ManagedSecret {
    if (this.secrets.has(options.name)) {
      throw new Error(`secret ${JSON.stringify(options.name)} is declared twice; declare each Secret once and list all its keys`);
    }
    const secret = new ManagedSecret(this, id, { ...this.props, ...options });
    this.secrets.set(options.name, secret);
    return secret;
  }

  /** Every declared Secret. */
  get all(): readonly ManagedSecret[] {
    return [...this.secrets.values()];
  }

  /** The names of Secrets created by another tool (what a reference check must accept as existing). */
  get externalNames(): readonly string[] {
    return this.all.filter((secret) => secret.external).map((secret) => secret.name);
  }
}
