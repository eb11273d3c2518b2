// gateway/config: the LiteLLM-format config.yaml (models.yaml) — schema, loader and resolved view.
// A leaf shared with constructs/: it imports only zod, yaml and node built-ins, and never reads
// process.env (callers pass the environment in).

export { ConfigError, formatConfigPath, formatIssue } from './config-issue';
export type { ConfigIssue, ConfigIssueSeverity, ConfigPath } from './config-issue';

export { checkConfigFile, loadConfigFile, parseConfigText } from './load-config';
export type { LoadConfigOptions, LoadedConfig, ParseConfigTextOptions } from './load-config';

export { PROVIDER_DEFAULT_ENV, computeDeploymentId } from './resolve';
export type { Deployment, DeploymentSource, GatewaySettings } from './resolve';

export {
  gatewayConfigSchema,
  generalSettingsSchema,
  litellmParamsSchema,
  litellmSettingsSchema,
  LITELLM_ROUTING_STRATEGIES,
  modelInfoSchema,
  modelListEntrySchema,
  REQUEST_DEFAULT_PARAMS,
  routerSettingsSchema,
} from './schema';
export type { GatewayConfig, LitellmParams, ModelListEntry } from './schema';

export { ENV_REFERENCE_PREFIX, isEnvReference } from './field-values';
export type { EnvReference } from './field-values';

export { isSupportedProvider, LITELLM_UNSUPPORTED_PROVIDERS, parseProviderModel, SUPPORTED_PROVIDERS } from './providers';
export type { ProviderModel, ProviderModelResult, SupportedProvider } from './providers';
