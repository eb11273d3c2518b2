// Client traffic into the gateway: a `networking.k8s.io/v1` Ingress (nginx or Traefik) with TLS from
// cert-manager, or a Gateway API HTTPRoute attached to a shared Gateway.
//
// LLM responses stream for minutes: proxies must neither buffer the response (SSE chunks would
// arrive in one lump) nor cut a long request short.
//   - ingress-nginx: per-Ingress annotations set read/send timeouts, turn response and request
//     buffering off and raise the body limit (default 1m, too small for long prompts and images).
//   - Traefik: timeouts belong to the entry point (`respondingTimeouts`, whose defaults do not cut a
//     streaming response) and Traefik buffers nothing unless a buffering middleware is added, so no
//     per-Ingress setting is needed; the request body limit is the gateway's own
//     (`general_settings.max_request_size_mb`, default 16 MiB, answered with 413).
//   - Gateway API: the route's `timeouts.request`; streaming is the implementations' default.
//
// @see https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/
// @see https://doc.traefik.io/traefik/routing/providers/kubernetes-ingress/
// @see https://cert-manager.io/docs/usage/ingress/

import { Duration, Names } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';

import type { Gateway } from './gateway';
import { HttpRoute, HttpRouteSpecRulesMatchesPathType } from './imports/gwapi-httproute-gateway.networking.k8s.io';
import { addLabels } from './workload-defaults';

/** The ingress controller an Ingress is written for. */
export enum IngressController {
  /** ingress-nginx. */
  NGINX = 'nginx',
  /** Traefik. */
  TRAEFIK = 'traefik',
}

/** Properties of a {@link GatewayIngress}. */
export interface GatewayIngressProps {
  /** The gateway to expose. */
  readonly gateway: Gateway;
  /** The public host name, e.g. `llm.example.com`. */
  readonly host: string;
  /**
   * The controller the annotations are written for.
   * @default IngressController.NGINX
   */
  readonly controller?: IngressController;
  /**
   * The IngressClass.
   * @default - the controller's usual class name (`nginx` or `traefik`)
   */
  readonly className?: string;
  /**
   * A cert-manager ClusterIssuer that issues the TLS certificate.
   * @default - no ClusterIssuer annotation
   */
  readonly clusterIssuer?: string;
  /**
   * A cert-manager Issuer (same namespace) that issues the TLS certificate.
   * @default - no Issuer annotation
   */
  readonly issuer?: string;
  /**
   * The Secret holding the certificate (cert-manager writes it when an issuer is set).
   * @default - generated from the construct path
   */
  readonly tlsSecretName?: string;
  /**
   * Whether to serve TLS.
   * @default true
   */
  readonly tls?: boolean;
  /**
   * Seconds a request may take, streaming included (nginx).
   * @default 600
   */
  readonly requestTimeoutSeconds?: number;
  /**
   * The largest request body, in MiB (nginx); match the gateway's `max_request_size_mb`.
   * @default 16
   */
  readonly maxRequestBodyMiB?: number;
}

const HOST = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;

/** The gateway behind an Ingress, with TLS and streaming-safe proxy settings. */
export class GatewayIngress extends Construct {
  /** The Ingress. */
  readonly ingress: kplus.Ingress;
  /** The TLS Secret's name (written by cert-manager, or by whoever provides the certificate), with TLS. */
  readonly tlsSecretName?: string;

  constructor(scope: Construct, id: string, props: GatewayIngressProps) {
    super(scope, id);
    if (!HOST.test(props.host)) throw new Error(`host must be a DNS name such as llm.example.com, got ${JSON.stringify(props.host)}`);
    if (props.clusterIssuer !== undefined && props.issuer !== undefined) throw new Error('set clusterIssuer or issuer, not both');
    const controller = props.controller ?? IngressController.NGINX;
    const tls = props.tls ?? true;
    if (!tls && (props.clusterIssuer !== undefined || props.issuer !== undefined || props.tlsSecretName !== undefined)) {
      throw new Error('clusterIssuer, issuer and tlsSecretName need tls; drop them or set tls to true');
    }
    if (controller === IngressController.TRAEFIK && (props.requestTimeoutSeconds !== undefined || props.maxRequestBodyMiB !== undefined)) {
      throw new Error(
        "requestTimeoutSeconds and maxRequestBodyMiB are nginx annotations; with Traefik set the entry point's respondingTimeouts and the gateway's general_settings.max_request_size_mb",
      );
    }
    const timeout = props.requestTimeoutSeconds ?? 600;
    if (!Number.isInteger(timeout) || timeout < 1) throw new Error(`requestTimeoutSeconds must be a whole number of at least 1, got ${timeout}`);
    const bodyMiB = props.maxRequestBodyMiB ?? 16;
    if (!Number.isInteger(bodyMiB) || bodyMiB < 1) throw new Error(`maxRequestBodyMiB must be a whole number of at least 1, got ${bodyMiB}`);

    this.tlsSecretName = tls ? (props.tlsSecretName ?? Names.toDnsLabel(this, { extra: ['tls'], includeHash: false })) : undefined;
    this.ingress = new kplus.Ingress(this, 'Resource', {
      className: props.className ?? controller,
      rules: [
        {
          host: props.host,
          path: '/',
          pathType: kplus.HttpIngressPathType.PREFIX,
          backend: kplus.IngressBackend.fromService(props.gateway.service, { port: props.gateway.servicePort }),
        },
      ],
      ...(this.tlsSecretName === undefined
        ? {}
        : { tls: [{ hosts: [props.host], secret: kplus.Secret.fromSecretName(this, 'TlsSecret', this.tlsSecretName) }] }),
    });
    addLabels(props.gateway.labels, this.ingress);

    const annotations: Record<string, string> = {};
    if (props.clusterIssuer !== undefined) annotations['cert-manager.io/cluster-issuer'] = props.clusterIssuer;
    if (props.issuer !== undefined) annotations['cert-manager.io/issuer'] = props.issuer;
    if (controller === IngressController.NGINX) {
      Object.assign(annotations, {
        'nginx.ingress.kubernetes.io/proxy-read-timeout': String(timeout),
        'nginx.ingress.kubernetes.io/proxy-send-timeout': String(timeout),
        'nginx.ingress.kubernetes.io/proxy-body-size': `${bodyMiB}m`,
        'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
        'nginx.ingress.kubernetes.io/proxy-request-buffering': 'off',
        'nginx.ingress.kubernetes.io/proxy-http-version': '1.1',
      });
      if (tls) annotations['nginx.ingress.kubernetes.io/force-ssl-redirect'] = 'true';
    } else {
      annotations['traefik.ingress.kubernetes.io/router.entrypoints'] = tls ? 'websecure' : 'web';
      if (tls) annotations['traefik.ingress.kubernetes.io/router.tls'] = 'true';
    }
    for (const [key, value] of Object.entries(annotations)) this.ingress.metadata.addAnnotation(key, value);
  }
}

/** Properties of a {@link GatewayHttpRoute}. */
export interface GatewayHttpRouteProps {
  /** The gateway to expose. */
  readonly gateway: Gateway;
  /** The Gateway API Gateway that terminates client traffic (and TLS). */
  readonly parentGatewayName: string;
  /**
   * Its namespace.
   * @default - the route's namespace
   */
  readonly parentGatewayNamespace?: string;
  /**
   * The listener to attach to.
   * @default - every listener that accepts the route
   */
  readonly sectionName?: string;
  /**
   * Host names the route answers.
   * @default - any host the listener accepts
   */
  readonly hostnames?: string[];
  /**
   * How long a request may take, streaming included.
   * @default Duration.minutes(10)
   */
  readonly requestTimeout?: Duration;
}

/** The gateway behind a Gateway API HTTPRoute. */
export class GatewayHttpRoute extends Construct {
  /** The HTTPRoute. */
  readonly route: HttpRoute;

  constructor(scope: Construct, id: string, props: GatewayHttpRouteProps) {
    super(scope, id);
    for (const host of props.hostnames ?? []) {
      if (!HOST.test(host)) throw new Error(`hostnames must be DNS names such as llm.example.com, got ${JSON.stringify(host)}`);
    }
    const timeout = props.requestTimeout ?? Duration.minutes(10);
    this.route = new HttpRoute(this, 'Resource', {
      metadata: { labels: props.gateway.labels },
      spec: {
        parentRefs: [
          {
            group: 'gateway.networking.k8s.io',
            kind: 'Gateway',
            name: props.parentGatewayName,
            ...(props.parentGatewayNamespace === undefined ? {} : { namespace: props.parentGatewayNamespace }),
            ...(props.sectionName === undefined ? {} : { sectionName: props.sectionName }),
          },
        ],
        ...(props.hostnames === undefined ? {} : { hostnames: props.hostnames }),
        rules: [
          {
            matches: [{ path: { type: HttpRouteSpecRulesMatchesPathType.PATH_PREFIX, value: '/' } }],
            backendRefs: [{ name: props.gateway.service.name, port: props.gateway.servicePort }],
            timeouts: { request: `${timeout.toSeconds()}s` },
          },
        ],
      },
    });
  }
}
