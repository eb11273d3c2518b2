// Optional operator installation per stack: the operators a chart's custom resources need
// (CloudNativePG, External Secrets, the Prometheus operator, …) as Helm releases. ChartResources makes
// every custom resource wait for them. The chart repositories are given by the operator of the stack.

import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';

/** One operator's Helm release. */
export interface OperatorReleaseArgs {
  /** The release name, e.g. `cnpg`. */
  readonly name: string;
  /** The chart, e.g. `cloudnative-pg`. */
  readonly chart: pulumi.Input<string>;
  /** The chart repository URL. */
  readonly repository: pulumi.Input<string>;
  /**
   * The chart version.
   * @default - the repository's latest
   */
  readonly version?: pulumi.Input<string>;
  /** The namespace to install into; created when missing. */
  readonly namespace: pulumi.Input<string>;
  /**
   * Chart values.
   * @default - the chart's defaults
   */
  readonly values?: pulumi.Input<Record<string, unknown>>;
}

/** Arguments of an {@link OperatorReleases}. */
export interface OperatorReleasesArgs {
  /** The releases to install. */
  readonly releases: readonly OperatorReleaseArgs[];
}

/** The operators a platform chart needs, installed with Helm. */
export class OperatorReleases extends pulumi.ComponentResource {
  /** The releases, in the order given. */
  readonly releases: readonly k8s.helm.v3.Release[];
  /** The release names. */
  readonly releaseNames: pulumi.Output<string[]>;

  constructor(name: string, args: OperatorReleasesArgs, opts?: pulumi.ComponentResourceOptions) {
    super('switchyard:infra:OperatorReleases', name, {}, opts);
    const seen = new Set<string>();
    this.releases = args.releases.map((release) => {
      if (seen.has(release.name)) throw new pulumi.ResourceError(`operator release ${release.name} is listed twice; list each operator once`, this);
      seen.add(release.name);
      return new k8s.helm.v3.Release(
        `${name}-${release.name}`,
        {
          name: release.name,
          chart: release.chart,
          repositoryOpts: { repo: release.repository },
          namespace: release.namespace,
          createNamespace: true,
          atomic: true,
          ...(release.version === undefined ? {} : { version: release.version }),
          ...(release.values === undefined ? {} : { values: release.values }),
        },
        { parent: this },
      );
    });
    this.releaseNames = pulumi.output(args.releases.map((release) => release.name));
    this.registerOutputs({ releaseNames: this.releaseNames });
  }
}
