// Monitoring with the Prometheus Operator: a ServiceMonitor for the gateway's /metrics, PodMonitors
// for the parts that expose metrics on their pods (Postgres, PgBouncer, Valkey, model servers), and a
// PrometheusRule with the alerts a platform team pages on.
//
// The gateway's metric names are LiteLLM's (so existing dashboards and alerts keep working); this is
// the contract the gateway's /metrics endpoint implements:
//
//   litellm_proxy_total_requests_metric_total   counter    every request the proxy answered
//   litellm_proxy_failed_requests_metric_total  counter    requests answered with an error
//   litellm_request_total_latency_metric        histogram  seconds from request to last byte
//   litellm_remaining_team_budget_metric        gauge      USD left in a team's budget (label team)
//   litellm_remaining_api_key_budget_metric     gauge      USD left in a virtual key's budget (label hashed_api_key)
//   litellm_deployment_cooled_down_total        counter    a deployment was put in cooldown (labels litellm_model_name, api_base)
//   litellm_deployment_state                    gauge      0 healthy, 1 partial outage, 2 complete outage
//
// Postgres health comes from CloudNativePG's exporter (`cnpg_collector_up`), scraped by the Postgres
// PodMonitor.
//
// @see https://docs.litellm.ai/docs/proxy/prometheus
// @see https://cloudnative-pg.io/documentation/current/monitoring/

import { Duration, Lazy } from 'cdk8s';
import type * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';

import type { Gateway } from './gateway';
import { PodMonitor } from './imports/prom-podmonitor-monitoring.coreos.com';
import { PrometheusRule, PrometheusRuleSpecGroupsRulesExpr } from './imports/prom-prometheusrule-monitoring.coreos.com';
import type { PrometheusRuleSpecGroupsRules } from './imports/prom-prometheusrule-monitoring.coreos.com';
import { ServiceMonitor } from './imports/prom-servicemonitor-monitoring.coreos.com';
import type { ServiceMonitorSpecEndpoints } from './imports/prom-servicemonitor-monitoring.coreos.com';

/** Options for the `addPodMonitor()` of a platform part. */
export interface PodMonitorOptions {
  /**
   * How often Prometheus scrapes.
   * @default Duration.seconds(30)
   */
  readonly interval?: Duration;
  /**
   * Labels on the PodMonitor, for a Prometheus whose `podMonitorSelector` matches on them (the
   * kube-prometheus-stack chart selects `release: <release name>` unless told otherwise).
   * @default - none
   */
  readonly labels?: Record<string, string>;
}

/** Properties of {@link createPodMonitor}. */
export interface PodMonitorProps extends PodMonitorOptions {
  /** The pods to scrape. */
  readonly podLabels: Record<string, string>;
  /** The name of the container port serving metrics. */
  readonly portName: string;
  /**
   * The metrics path.
   * @default '/metrics'
   */
  readonly path?: string;
}

/** A PodMonitor for pods of the same namespace. */
export function createPodMonitor(scope: Construct, id: string, props: PodMonitorProps): PodMonitor {
  return new PodMonitor(scope, id, {
    metadata: { labels: props.labels ?? {} },
    spec: {
      selector: { matchLabels: props.podLabels },
      podMetricsEndpoints: [
        { port: props.portName, path: props.path ?? '/metrics', interval: promDuration(props.interval ?? Duration.seconds(30)) },
      ],
    },
  });
}

/** A Prometheus duration (`30s`). */
function promDuration(duration: Duration): string {
  return `${duration.toSeconds()}s`;
}

/** One alerting rule. */
export interface AlertOptions {
  /** The alert's name, PascalCase (`SwitchyardHighErrorRate`). */
  readonly name: string;
  /** The PromQL expression; the alert fires while it returns a series. */
  readonly expr: string;
  /**
   * How long the expression must hold before the alert fires.
   * @default Duration.minutes(5)
   */
  readonly for?: Duration;
  /**
   * `severity` label.
   * @default 'warning'
   */
  readonly severity?: string;
  /** One-line summary (annotation `summary`). */
  readonly summary: string;
  /** What it means and what to do (annotation `description`). */
  readonly description: string;
}

/** Properties of {@link Monitoring}. */
export interface MonitoringProps {
  /** The gateway to scrape and alert on. */
  readonly gateway: Gateway;
  /**
   * How often Prometheus scrapes the gateway.
   * @default Duration.seconds(30)
   */
  readonly scrapeInterval?: Duration;
  /**
   * Labels on the ServiceMonitor and PrometheusRule, for a Prometheus whose selectors match on them.
   * @default - none
   */
  readonly labels?: Record<string, string>;
  /**
   * A bearer token Prometheus sends to `/metrics`, when the gateway requires one.
   * @default - no credentials
   */
  readonly metricsBearerToken?: kplus.SecretValue;
  /**
   * Basic-auth user name for `/metrics`; needs `metricsBasicAuthPassword`.
   * @default - no basic auth
   */
  readonly metricsBasicAuthUsername?: kplus.SecretValue;
  /**
   * Basic-auth password for `/metrics`; needs `metricsBasicAuthUsername`.
   * @default - no basic auth
   */
  readonly metricsBasicAuthPassword?: kplus.SecretValue;
  /**
   * Alert when more than this percentage of requests fail over 10 minutes.
   * @default 5
   */
  readonly errorRatePercent?: number;
  /**
   * Alert when the 95th-percentile request latency exceeds this many seconds over 15 minutes.
   * @default 30
   */
  readonly latencyP95Seconds?: number;
  /**
   * The CloudNativePG cluster whose outage should page.
   * @default - no database alert
   */
  readonly postgresClusterName?: string;
}

/** ServiceMonitor, alert rules and the metric contract for the gateway. */
export class Monitoring extends Construct {
  /** The gateway's ServiceMonitor. */
  readonly serviceMonitor: ServiceMonitor;
  /** The alert rules. */
  readonly rules: PrometheusRule;
  private readonly alerts: PrometheusRuleSpecGroupsRules[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const errorRate = props.errorRatePercent ?? 5;
    if (!(errorRate > 0 && errorRate < 100)) throw new Error(`errorRatePercent must be between 0 and 100 (exclusive), got ${errorRate}`);
    const latency = props.latencyP95Seconds ?? 30;
    if (!(latency > 0)) throw new Error(`latencyP95Seconds must be more than 0, got ${latency}`);
    if ((props.metricsBasicAuthUsername === undefined) !== (props.metricsBasicAuthPassword === undefined)) {
      throw new Error('metricsBasicAuthUsername and metricsBasicAuthPassword go together; set both or neither');
    }
    if (props.metricsBearerToken !== undefined && props.metricsBasicAuthUsername !== undefined) {
      throw new Error('set metricsBearerToken or metricsBasicAuthUsername/Password, not both');
    }
    const labels = props.labels ?? {};
    const gateway = props.gateway;

    const endpoint: ServiceMonitorSpecEndpoints = {
      port: 'http',
      path: '/metrics',
      interval: promDuration(props.scrapeInterval ?? Duration.seconds(30)),
      ...(props.metricsBearerToken === undefined
        ? {}
        : { authorization: { type: 'Bearer', credentials: { name: props.metricsBearerToken.secret.name, key: props.metricsBearerToken.key } } }),
      ...(props.metricsBasicAuthUsername === undefined || props.metricsBasicAuthPassword === undefined
        ? {}
        : {
            basicAuth: {
              username: { name: props.metricsBasicAuthUsername.secret.name, key: props.metricsBasicAuthUsername.key },
              password: { name: props.metricsBasicAuthPassword.secret.name, key: props.metricsBasicAuthPassword.key },
            },
          }),
    };
    this.serviceMonitor = new ServiceMonitor(this, 'Resource', {
      metadata: { labels: { ...gateway.labels, ...labels } },
      spec: {
        selector: {
          matchLabels: {
            'app.kubernetes.io/name': gateway.labels['app.kubernetes.io/name'] as string,
            'app.kubernetes.io/instance': gateway.labels['app.kubernetes.io/instance'] as string,
          },
        },
        endpoints: [endpoint],
      },
    });

    // Every gateway series carries the Service's name as `service`; scoping by it keeps the alerts to
    // this gateway when several share a Prometheus.
    const selector = `service="${gateway.service.name}"`;
    const window = '5m';
    this.addAlert({
      name: 'SwitchyardGatewayDown',
      expr: `(sum(up{${selector}}) or vector(0)) == 0`,
      severity: 'critical',
      for: Duration.minutes(5),
      summary: 'No Switchyard gateway pod is scraped as up',
      description: 'Prometheus cannot scrape any gateway pod. Check the Deployment, its readiness probe and the NetworkPolicy.',
    });
    this.addAlert({
      name: 'SwitchyardHighErrorRate',
      expr:
        `sum(rate(litellm_proxy_failed_requests_metric_total{${selector}}[${window}]))` +
        ` / sum(rate(litellm_proxy_total_requests_metric_total{${selector}}[${window}])) > ${errorRate / 100}`,
      severity: 'critical',
      for: Duration.minutes(10),
      summary: `More than ${errorRate}% of gateway requests fail`,
      description: 'Check litellm_proxy_failed_requests_metric_total by exception_status and the upstream providers.',
    });
    this.addAlert({
      name: 'SwitchyardHighLatency',
      expr: `histogram_quantile(0.95, sum by (le) (rate(litellm_request_total_latency_metric_bucket{${selector}}[${window}]))) > ${latency}`,
      severity: 'warning',
      for: Duration.minutes(15),
      summary: `95th-percentile gateway latency is above ${latency}s`,
      description: 'Slow upstreams or saturated model servers; compare latency by model and check the model servers.',
    });
    this.addAlert({
      name: 'SwitchyardTeamBudgetExhausted',
      expr: `min by (team) (litellm_remaining_team_budget_metric{${selector}}) <= 0`,
      severity: 'warning',
      for: Duration.minutes(1),
      summary: 'A team has spent its whole budget',
      description: 'Requests of team {{ $labels.team }} are rejected until the budget resets or is raised.',
    });
    this.addAlert({
      name: 'SwitchyardKeyBudgetExhausted',
      expr: `min by (hashed_api_key) (litellm_remaining_api_key_budget_metric{${selector}}) <= 0`,
      severity: 'info',
      for: Duration.minutes(1),
      summary: 'A virtual key has spent its whole budget',
      description: 'Requests with key {{ $labels.hashed_api_key }} are rejected until its budget resets or is raised.',
    });
    this.addAlert({
      name: 'SwitchyardDeploymentCooldown',
      expr: `sum by (litellm_model_name, api_base) (increase(litellm_deployment_cooled_down_total{${selector}}[10m])) > 0`,
      severity: 'warning',
      for: Duration.minutes(0),
      summary: 'A model deployment was put in cooldown',
      description: '{{ $labels.litellm_model_name }} at {{ $labels.api_base }} failed often enough to be taken out of rotation.',
    });
    this.addAlert({
      name: 'SwitchyardDeploymentOutage',
      expr: `max by (litellm_model_name, api_base) (litellm_deployment_state{${selector}}) == 2`,
      severity: 'critical',
      for: Duration.minutes(5),
      summary: 'A model deployment is in complete outage',
      description: '{{ $labels.litellm_model_name }} at {{ $labels.api_base }} answers no requests; traffic goes to the other deployments, if any.',
    });
    if (props.postgresClusterName !== undefined) {
      const cluster = props.postgresClusterName;
      this.addAlert({
        name: 'SwitchyardDatabaseDown',
        expr: `(max(cnpg_collector_up{pod=~"${cluster}-[0-9]+"}) or vector(0)) < 1`,
        severity: 'critical',
        for: Duration.minutes(2),
        summary: `Postgres cluster ${cluster} is down`,
        description: 'No instance reports PostgreSQL up. The gateway keeps serving known keys but cannot record spend; check the CloudNativePG Cluster status.',
      });
    }

    this.rules = new PrometheusRule(this, 'Rules', {
      metadata: { labels: { ...gateway.labels, ...labels } },
      spec: { groups: [{ name: 'switchyard', rules: Lazy.any({ produce: () => this.alerts }) as PrometheusRuleSpecGroupsRules[] }] },
    });
  }

  /** Adds an alert to the rule group. */
  addAlert(options: AlertOptions): PrometheusRuleSpecGroupsRules {
    if (!/^[A-Z][A-Za-z0-9]*$/.test(options.name)) throw new Error(`alert name must be PascalCase letters and digits, got ${JSON.stringify(options.name)}`);
    if (this.alerts.some((alert) => alert.alert === options.name)) throw new Error(`alert ${options.name} already exists; give it another name`);
    const rule: PrometheusRuleSpecGroupsRules = {
      alert: options.name,
      expr: PrometheusRuleSpecGroupsRulesExpr.fromString(options.expr),
      for: promDuration(options.for ?? Duration.minutes(5)),
      labels: { severity: options.severity ?? 'warning' },
      annotations: { summary: options.summary, description: options.description },
    };
    this.alerts.push(rule);
    return rule;
  }
}
