// What the gateway needs from the parts it talks to: environment variables for its container and
// the egress its NetworkPolicy must allow. Postgres, Valkey and the model servers each hand these
// to the Gateway construct, which stays ignorant of how each part is built.

import type * as kplus from 'cdk8s-plus-28';
import type { IConstruct } from 'constructs';

import type { GatewayModel } from './gateway-config';

/** One environment variable of the gateway container. */
export interface GatewayEnvVariable {
  /** The variable name, e.g. `DATABASE_URL`. */
  readonly name: string;
  /** Its value: a literal or a reference to a Secret key (never a secret literal). */
  readonly value: kplus.EnvValue;
}

/** One egress rule of the gateway's NetworkPolicy. */
export interface GatewayEgressRule {
  /** Who the gateway connects to. */
  readonly peer: kplus.INetworkPolicyPeer;
  /** On which ports. */
  readonly ports: kplus.NetworkPolicyPort[];
}

/** How the gateway reaches one dependency. */
export interface GatewayConnection {
  /**
   * Environment variables, in order: a later value may use `$(NAME)` of an earlier one (Kubernetes
   * expands those), which is how `DATABASE_URL` is built from a password in a Secret.
   */
  readonly env: readonly GatewayEnvVariable[];
  /** Egress the gateway needs for it. */
  readonly egress: readonly GatewayEgressRule[];
}

/** A database the gateway stores keys, budgets and spend in (`DATABASE_URL`). */
export interface IGatewayDatabase extends IConstruct {
  /** What the gateway pods use. */
  gatewayConnection(): GatewayConnection;
  /**
   * What the migration Job uses: a direct session to the primary, because migrations take a
   * session-level advisory lock that a transaction-pooling PgBouncer would not keep.
   */
  migrationConnection(): GatewayConnection;
}

/** A Valkey (or Redis) the gateway shares rate-limit counters and cache entries through. */
export interface IGatewayCache extends IConstruct {
  /** What the gateway pods use. */
  gatewayConnection(): GatewayConnection;
}

/** Something that serves models to the gateway: a vLLM or NIM server, or an InferencePool. */
export interface IModelServer extends IConstruct {
  /** The `model_list` entries that reach it. */
  readonly gatewayModels: readonly GatewayModel[];
  /** The egress the gateway needs to reach it. */
  readonly gatewayEgress: readonly GatewayEgressRule[];
}
