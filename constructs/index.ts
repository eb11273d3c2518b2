// constructs/: typed cdk8s constructs for every part of the platform, and the chart that composes
// them per environment. Named exports only; the generated CRD classes stay in ./imports and the
// manifest validator has its own index in ./validation.

export type { GatewayConnection, GatewayEgressRule, GatewayEnvVariable, IGatewayCache, IGatewayDatabase, IModelServer } from './connections';

export { renderGatewayConfig, toModelListEntry } from './gateway-config';
export type { GatewayConfigOptions, GatewayModel, RenderedGatewayConfig } from './gateway-config';

export { Gateway, GatewayMigrations } from './gateway';
export type { GatewayProps } from './gateway';

export { ExternalPostgres, PoolMode, PostgresCluster } from './postgres';
export type { ExternalPostgresProps, PostgresClusterProps } from './postgres';

export { Valkey, ValkeyMode } from './valkey';
export type { ValkeyProps } from './valkey';

export { ManagedSecret, SecretStoreKind, Secrets } from './secrets';
export type { ManagedSecretOptions, ManagedSecretProps, SecretKeyOptions, SecretsProps } from './secrets';

export { GatewayHttpRoute, GatewayIngress, IngressController } from './ingress';
export type { GatewayHttpRouteProps, GatewayIngressProps } from './ingress';

export { Monitoring, createPodMonitor } from './monitoring';
export type { AlertOptions, MonitoringProps, PodMonitorOptions, PodMonitorProps } from './monitoring';

export type { GpuSchedulingOptions, ModelCacheOptions } from './gpu-scheduling';

export { VllmServer } from './vllm';
export type { IInferencePoolBackend, VllmServerProps } from './vllm';

export { NimDeployment, NimService } from './nim';
export type { NimDeploymentProps, NimOptions, NimServiceProps } from './nim';

export { InferencePool, MODEL_NAME_HEADER } from './inference-pool';
export type { InferencePoolProps } from './inference-pool';

export { platformSettingsSchema, secretKeySettingsSchema, gatewayModelSettingsSchema, resourcesSettingsSchema, providerKeySettingsSchema } from './platform-settings';
export type { PlatformSettings, PlatformSettingsInput, ResourcesSettings, SecretKeySettings } from './platform-settings';

export { PlatformChart, parseCpu, parseSize } from './platform-chart';
export type { ExternalPodDeclaration, ExternalReferences, PlatformChartProps } from './platform-chart';

export { GATEWAY_UID, restrictedContainerSecurityContext, restrictedPodSecurityContext } from './workload-defaults';
export type { RestrictedContainerOptions } from './workload-defaults';
