// infra/: Pulumi components that apply a synthesized cdk8s chart, create the Secrets it references
// and build the gateway image. They never read Config; stacks/index.ts passes plain typed args.

export { ChartResources, chartObjectStage } from './chart-resources';
export type { ChartObject, ChartObjectStage, ChartResourcesArgs } from './chart-resources';

export { PlatformSecrets } from './platform-secrets';
export type { GeneratedSecretKind, PlatformSecretKeyArgs, PlatformSecretsArgs } from './platform-secrets';

export { GatewayImage } from './gateway-image';
export type { GatewayImageArgs } from './gateway-image';

export { OperatorReleases } from './operator-releases';
export type { OperatorReleaseArgs, OperatorReleasesArgs } from './operator-releases';
