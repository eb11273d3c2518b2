// From a validated config to what the gateway runs on: deployments and settings with every
// `os.environ/NAME` reference resolved, seconds turned into milliseconds, and ids assigned.

import { createHash } from 'node:crypto';

import type { ConfigIssueSeverity, ConfigPath } from './config-issue';
import { envReferenceName, isEnvReference, parseBooleanValue, parseNumberValue } from './field-values';
import type { EnvReference, NumberConstraints } from './field-values';
import { parseProviderModel } from './providers';
import type { SupportedProvider } from './providers';
import { LITELLM_PARAMS_NUMBERS, REQUEST_DEFAULT_PARAMS, SETTINGS_NUMBERS } from './schema';
import type { GatewayConfig, LitellmParams, ModelListEntry } from './schema';

/** Where a deployment is written. */
export interface DeploymentSource {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** One `model_list` entry, ready to route to: references resolved, units converted. */
export interface Deployment {
  /**
   * `model_info.id` when given, else the first 16 hex digits of a SHA-256 over `model_name` and
   * `litellm_params` as written (references, not their values; literal secrets left out), so the id
   * survives restarts and secret rotation and changes when the deployment does.
   */
  readonly id: string;
  /** `model_name`: the public name clients send as `model`. */
  readonly modelName: string;
  /** The provider prefix of `litellm_params.model` (or `custom_llm_provider`). */
  readonly provider: SupportedProvider;
  /** The model as the provider knows it: `litellm_params.model` after the first `/`. */
  readonly model: string;
  readonly apiBase?: string;
  readonly apiKey?: string;
  readonly apiVersion?: string;
  /** `litellm_params.organization` (OpenAI's organization header). */
  readonly organization?: string;
  /** `litellm_params.headers` overlaid with `litellm_params.extra_headers`. */
  readonly headers: Record<string, string>;
  readonly rpm?: number;
  readonly tpm?: number;
  /** `litellm_params.timeout`, converted from seconds. */
  readonly timeoutMs?: number;
  /** `litellm_params.stream_timeout`, converted from seconds. */
  readonly streamTimeoutMs?: number;
  readonly maxRetries?: number;
  /** `litellm_params.input_cost_per_token`, else `model_info.input_cost_per_token`. */
  readonly inputCostPerToken?: number;
  /** `litellm_params.output_cost_per_token`, else `model_info.output_cost_per_token`. */
  readonly outputCostPerToken?: number;
  /** Share of traffic among the deployments of one model name (LiteLLM's simple-shuffle weight). */
  readonly weight?: number;
  /** Priority: deployments with a lower order are tried first (LiteLLM's `order`). */
  readonly order?: number;
  /**
   * `litellm_params.mock_response`: answer with this text instead of calling the provider. As in
   * LiteLLM, the values `litellm.RateLimitError`, `litellm.InternalServerError` and
   * `litellm.ContextWindowExceededError` stand for those errors rather than for text.
   */
  readonly mockResponse?: string;
  /** `litellm_params.drop_params`: drop request parameters the provider does not support. */
  readonly dropParams?: boolean;
  /**
   * Request defaults from `litellm_params` (see `REQUEST_DEFAULT_PARAMS`: temperature, max_tokens,
   * …); a client request that sets the same parameter wins.
   */
  readonly extraParams: Record<string, unknown>;
  /** `model_info` as written. */
  readonly modelInfo: Record<string, unknown>;
  /** Names of `os.environ/NAME` references that are unset; their fields are left undefined. */
  readonly missingEnv: string[];
  readonly source: DeploymentSource;
}

/** The settings the gateway uses, resolved. */
export interface GatewaySettings {
  /**
   * `general_settings.master_key`, resolved.
   * @default - no master key: the gateway does not authenticate clients
   */
  readonly masterKey?: string;
  /**
   * `general_settings.database_url`, resolved.
   * @default - no database
   */
  readonly databaseUrl?: string;
  /**
   * `litellm_settings.drop_params`.
   * @default false
   */
  readonly dropParams: boolean;
  /**
   * `litellm_settings.request_timeout`, converted from seconds.
   * @default - the gateway's own default
   */
  readonly requestTimeoutMs?: number;
  /**
   * `router_settings.num_retries`, else `litellm_settings.num_retries` (router_settings wins, as in
   * LiteLLM).
   * @default - the gateway's own default
   */
  readonly numRetries?: number;
  /**
   * `router_settings.routing_strategy`.
   * @default 'simple-shuffle'
   */
  readonly routingStrategy: string;
  /** `general_settings.proxy_batch_write_at`, in milliseconds. */
  readonly spendBatchWriteMs?: number;
  /** `general_settings.user_api_key_cache_ttl`, in milliseconds. */
  readonly keyCacheTtlMs?: number;
  /** `general_settings.maximum_spend_logs_retention_period`, a duration such as `30d`. */
  readonly spendLogRetention?: string;
  /** `general_settings.allow_requests_on_db_unavailable`. */
  readonly allowRequestsOnDbUnavailable: boolean;
  /**
   * `general_settings.max_request_size_mb`, converted to bytes (1 MB = 1024 × 1024 bytes).
   * @default - no limit from the config
   */
  readonly maxRequestBodyBytes?: number;
  /**
   * Unset `os.environ/NAME` references in the settings sections and in `environment_variables`.
   */
  readonly missingEnv: string[];
}

/** What resolving needs from the loader: variables, and where to report. */
export interface ResolveContext {
  /** `environment_variables:` entries, resolved, under the process environment. */
  readonly environment: Readonly<Record<string, string | undefined>>;
  /** The process environment the caller passed. */
  readonly processEnvironment: Readonly<Record<string, string | undefined>>;
  report(path: ConfigPath, message: string, severity: ConfigIssueSeverity): void;
  /** Where a config path is written, for deployments' `source` and cross-references. */
  sourceOf(path: ConfigPath): DeploymentSource;
  /** Orders two config paths by where they are written (file reading order, line, column). */
  compare(a: ConfigPath, b: ConfigPath): number;
}

/** Collects missing variable names once each; `names` lists them in the order they are written. */
class MissingNames {
  private readonly found: { name: string; path: ConfigPath }[] = [];

  constructor(private readonly compare: ResolveContext['compare']) {}

  add(name: string, path: ConfigPath): void {
    if (!this.found.some((entry) => entry.name === name)) this.found.push({ name, path });
  }

  get names(): string[] {
    return [...this.found].sort((a, b) => this.compare(a.path, b.path)).map((entry) => entry.name);
  }
}

function leafName(path: ConfigPath): string {
  return String(path[path.length - 1]);
}

class Resolver {
  constructor(private readonly context: ResolveContext) {}

  private lookup(reference: EnvReference, path: ConfigPath, missing: MissingNames, unsetEffect?: string): string | undefined {
    const name = envReferenceName(reference);
    const value = this.context.processEnvironment[name] ?? this.context.environment[name];
    if (value === undefined) {
      missing.add(name, path);
      const effect = unsetEffect ?? `${leafName(path)} is left unset`;
      this.context.report(path, `environment variable ${name} is not set; ${effect}`, 'warning');
    }
    return value;
  }

  text(value: string | undefined, path: ConfigPath, missing: MissingNames, unsetEffect?: string): string | undefined {
    if (value === undefined || !isEnvReference(value)) return value;
    return this.lookup(value, path, missing, unsetEffect);
  }

  number(
    value: number | EnvReference | undefined,
    path: ConfigPath,
    constraints: NumberConstraints,
    missing: MissingNames,
  ): number | undefined {
    if (value === undefined || typeof value === 'number') return value;
    const text = this.lookup(value, path, missing);
    if (text === undefined) return undefined;
    const result = parseNumberValue(text, constraints);
    if (result.ok) return result.value;
    // The variable's content is not repeated: it may be a secret set under the wrong name.
    const wanted = constraints.integer === true ? 'a whole number' : 'a number';
    const limit =
      constraints.min === undefined
        ? ''
        : constraints.exclusiveMin === true
          ? ` more than ${constraints.min}`
          : ` of ${constraints.min} or more`;
    this.context.report(path, `environment variable ${envReferenceName(value)} must hold ${wanted}${limit}`, 'error');
    return undefined;
  }

  boolean(value: boolean | EnvReference | undefined, path: ConfigPath, missing: MissingNames): boolean | undefined {
    if (value === undefined || typeof value === 'boolean') return value;
    const text = this.lookup(value, path, missing);
    if (text === undefined) return undefined;
    const result = parseBooleanValue(text);
    if (result.ok) return result.value;
    this.context.report(path, `environment variable ${envReferenceName(value)} must hold true or false`, 'error');
    return undefined;
  }

  headers(headers: Record<string, string> | undefined, path: ConfigPath, missing: MissingNames): Record<string, string> {
    const resolved: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers ?? {})) {
      const text = this.text(value, [...path, name], missing, `header ${name} is not sent`);
      if (text !== undefined) resolved[name] = text;
    }
    return resolved;
  }
}

/**
 * The variables LiteLLM reads when a deployment leaves `api_key` / `api_base` / `api_version` out
 * (`OPENAI_API_KEY` for `openai/`, and so on), so configs that rely on them keep working.
 *
 * @see https://docs.litellm.ai/docs/providers
 */
export const PROVIDER_DEFAULT_ENV: Readonly<Record<string, { apiKey?: string; apiBase?: string; apiVersion?: string }>> = {
  openai: { apiKey: 'OPENAI_API_KEY', apiBase: 'OPENAI_API_BASE' },
  'text-completion-openai': { apiKey: 'OPENAI_API_KEY', apiBase: 'OPENAI_API_BASE' },
  azure: { apiKey: 'AZURE_API_KEY', apiBase: 'AZURE_API_BASE', apiVersion: 'AZURE_API_VERSION' },
  anthropic: { apiKey: 'ANTHROPIC_API_KEY', apiBase: 'ANTHROPIC_API_BASE' },
  groq: { apiKey: 'GROQ_API_KEY' },
  mistral: { apiKey: 'MISTRAL_API_KEY' },
  deepseek: { apiKey: 'DEEPSEEK_API_KEY' },
  together_ai: { apiKey: 'TOGETHERAI_API_KEY' },
  openrouter: { apiKey: 'OPENROUTER_API_KEY' },
  fireworks_ai: { apiKey: 'FIREWORKS_AI_API_KEY' },
  xai: { apiKey: 'XAI_API_KEY' },
  nvidia_nim: { apiKey: 'NVIDIA_NIM_API_KEY', apiBase: 'NVIDIA_NIM_API_BASE' },
  hosted_vllm: { apiKey: 'HOSTED_VLLM_API_KEY', apiBase: 'HOSTED_VLLM_API_BASE' },
  ollama: { apiBase: 'OLLAMA_API_BASE' },
  ollama_chat: { apiBase: 'OLLAMA_API_BASE' },
};

/** The strategies the router implements today; the others LiteLLM knows load with a warning. */
const IMPLEMENTED_ROUTING_STRATEGIES: ReadonlySet<string> = new Set(['simple-shuffle']);

const SECRET_PARAM = /(api_key|secret|password|credentials?$|(^|_)token$)/i;
const SECRET_HEADER = /(authorization|api[-_]?key|token|secret|cookie)/i;
const REDACTED = '<secret>';

/** `litellm_params` with literal secrets replaced, for hashing; references stay as written. */
function withoutSecretValues(params: LitellmParams): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    if ((key === 'extra_headers' || key === 'headers') && typeof value === 'object' && value !== null) {
      copy[key] = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([name, header]) => [
          name,
          SECRET_HEADER.test(name) && !isEnvReference(header) ? REDACTED : header,
        ]),
      );
    } else if (SECRET_PARAM.test(key) && typeof value === 'string' && !isEnvReference(value)) {
      copy[key] = REDACTED;
    } else {
      copy[key] = value;
    }
  }
  return copy;
}

/** JSON with object keys sorted at every level and undefined members left out. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const members = Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The content-derived id of a deployment (see {@link Deployment.id}). */
export function computeDeploymentId(entry: Pick<ModelListEntry, 'model_name' | 'litellm_params'>): string {
  const canonical = canonicalJson({ model_name: entry.model_name, litellm_params: withoutSecretValues(entry.litellm_params) });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

const BOOLEAN_REQUEST_DEFAULTS: ReadonlySet<string> = new Set(['logprobs', 'parallel_tool_calls']);

/** The object without its undefined members, so results compare and print cleanly. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as T;
}

function secondsToMs(seconds: number | undefined): number | undefined {
  return seconds === undefined ? undefined : Math.round(seconds * 1000);
}

function sourceLabel(source: DeploymentSource): string {
  return `${source.file}:${source.line}:${source.column}`;
}

/** Builds one {@link Deployment} per `model_list` entry. */
export function resolveDeployments(config: GatewayConfig, context: ResolveContext): Deployment[] {
  const resolver = new Resolver(context);
  const deployments: Deployment[] = [];
  const idOwners = new Map<string, DeploymentSource>();

  (config.model_list ?? []).forEach((entry, index) => {
    const entryPath: ConfigPath = ['model_list', index];
    const paramsPath: ConfigPath = [...entryPath, 'litellm_params'];
    const params = entry.litellm_params;
    const missing = new MissingNames(context.compare);
    const source = context.sourceOf(entryPath);
    const split = parseProviderModel(params.model, params.custom_llm_provider);
    if (!split.ok) return; // the schema has reported it already

    const number = (key: keyof typeof LITELLM_PARAMS_NUMBERS): number | undefined =>
      resolver.number(params[key], [...paramsPath, key], LITELLM_PARAMS_NUMBERS[key], missing);

    const extraParams: Record<string, unknown> = {};
    for (const key of REQUEST_DEFAULT_PARAMS) {
      const value = params[key];
      if (value === undefined) continue;
      if (key in LITELLM_PARAMS_NUMBERS) {
        const resolved = number(key as keyof typeof LITELLM_PARAMS_NUMBERS);
        if (resolved !== undefined) extraParams[key] = resolved;
      } else if (BOOLEAN_REQUEST_DEFAULTS.has(key)) {
        const resolved = resolver.boolean(value as boolean | EnvReference, [...paramsPath, key], missing);
        if (resolved !== undefined) extraParams[key] = resolved;
      } else {
        extraParams[key] = value;
      }
    }

    const modelInfo: Record<string, unknown> = { ...(entry.model_info ?? {}) };
    const explicitId = entry.model_info?.id;
    let id = explicitId ?? computeDeploymentId(entry);
    const owner = idOwners.get(id);
    if (owner !== undefined) {
      if (explicitId !== undefined) {
        context.report(
          [...entryPath, 'model_info', 'id'],
          `id ${JSON.stringify(explicitId)} is already used by the deployment at ${sourceLabel(owner)}; ids must be unique`,
          'error',
        );
      } else {
        let suffix = 2;
        while (idOwners.has(`${id}-${suffix}`)) suffix += 1;
        const original = id;
        id = `${original}-${suffix}`;
        context.report(
          entryPath,
          `repeats the deployment at ${sourceLabel(owner)} (same model_name and litellm_params); both are kept, this one as id ${id}`,
          'warning',
        );
      }
    }
    idOwners.set(id, source);

    const fallback = PROVIDER_DEFAULT_ENV[split.provider] ?? {};
    const fromEnvironment = (name: string | undefined): string | undefined =>
      name === undefined ? undefined : (context.processEnvironment[name] ?? context.environment[name]);
    deployments.push(withoutUndefined<Deployment>({
      id,
      modelName: entry.model_name,
      provider: split.provider,
      model: split.model,
      apiBase: params.api_base === undefined ? fromEnvironment(fallback.apiBase) : resolver.text(params.api_base, [...paramsPath, 'api_base'], missing),
      apiKey: params.api_key === undefined ? fromEnvironment(fallback.apiKey) : resolver.text(params.api_key, [...paramsPath, 'api_key'], missing),
      apiVersion:
        params.api_version === undefined
          ? fromEnvironment(fallback.apiVersion)
          : resolver.text(params.api_version, [...paramsPath, 'api_version'], missing),
      organization: resolver.text(params.organization, [...paramsPath, 'organization'], missing),
      headers: {
        ...resolver.headers(params.headers, [...paramsPath, 'headers'], missing),
        ...resolver.headers(params.extra_headers, [...paramsPath, 'extra_headers'], missing),
      },
      rpm: number('rpm'),
      tpm: number('tpm'),
      timeoutMs: secondsToMs(number('timeout')),
      streamTimeoutMs: secondsToMs(number('stream_timeout')),
      maxRetries: number('max_retries'),
      inputCostPerToken: number('input_cost_per_token') ?? entry.model_info?.input_cost_per_token,
      outputCostPerToken: number('output_cost_per_token') ?? entry.model_info?.output_cost_per_token,
      weight: number('weight'),
      order: number('order'),
      mockResponse: params.mock_response,
      dropParams: resolver.boolean(params.drop_params, [...paramsPath, 'drop_params'], missing),
      extraParams,
      modelInfo,
      missingEnv: missing.names,
      source,
    }));
  });
  return deployments;
}

/** Resolves `environment_variables:`. The process environment wins over the file, as in LiteLLM. */
export function resolveEnvironmentVariables(
  config: GatewayConfig,
  processEnvironment: Readonly<Record<string, string | undefined>>,
  report: ResolveContext['report'],
  missing: { name: string; path: ConfigPath }[],
): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const [name, value] of Object.entries(config.environment_variables ?? {})) {
    if (value === undefined) continue;
    const fromProcess = processEnvironment[name];
    if (fromProcess !== undefined) {
      resolved[name] = fromProcess;
    } else if (isEnvReference(value)) {
      const referenced = envReferenceName(value);
      const fromReference = processEnvironment[referenced];
      if (fromReference === undefined) {
        missing.push({ name: referenced, path: ['environment_variables', name] });
        report(['environment_variables', name], `environment variable ${referenced} is not set; ${name} is left unset`, 'warning');
      } else {
        resolved[name] = fromReference;
      }
    } else {
      resolved[name] = value;
    }
  }
  return resolved;
}

/** Resolves the settings sections into {@link GatewaySettings}. */
export function resolveSettings(
  config: GatewayConfig,
  context: ResolveContext,
  missingSoFar: readonly { name: string; path: ConfigPath }[],
): GatewaySettings {
  const resolver = new Resolver(context);
  const missing = new MissingNames(context.compare);
  for (const { name, path } of missingSoFar) missing.add(name, path);
  const litellm = config.litellm_settings ?? {};
  const router = config.router_settings ?? {};
  const general = config.general_settings ?? {};

  const masterKey = resolver.text(
    general.master_key,
    ['general_settings', 'master_key'],
    missing,
    'the gateway runs without a master key and does not authenticate clients',
  );
  const databaseUrl = resolver.text(general.database_url, ['general_settings', 'database_url'], missing);
  const dropParams = resolver.boolean(litellm.drop_params, ['litellm_settings', 'drop_params'], missing) ?? false;
  const requestTimeout = resolver.number(
    litellm.request_timeout,
    ['litellm_settings', 'request_timeout'],
    SETTINGS_NUMBERS.request_timeout,
    missing,
  );
  const numRetries =
    router.num_retries !== undefined
      ? resolver.number(router.num_retries, ['router_settings', 'num_retries'], SETTINGS_NUMBERS.num_retries, missing)
      : resolver.number(litellm.num_retries, ['litellm_settings', 'num_retries'], SETTINGS_NUMBERS.num_retries, missing);
  const maxRequestSizeMb = resolver.number(
    general.max_request_size_mb,
    ['general_settings', 'max_request_size_mb'],
    SETTINGS_NUMBERS.max_request_size_mb,
    missing,
  );

  if (router.routing_strategy !== undefined && !IMPLEMENTED_ROUTING_STRATEGIES.has(router.routing_strategy)) {
    context.report(
      ['router_settings', 'routing_strategy'],
      `${router.routing_strategy} is not supported yet; deployments are picked by simple-shuffle`,
      'warning',
    );
  }

  const batchWriteAt = resolver.number(
    general.proxy_batch_write_at,
    ['general_settings', 'proxy_batch_write_at'],
    SETTINGS_NUMBERS.proxy_batch_write_at,
    missing,
  );
  const keyCacheTtl = resolver.number(
    general.user_api_key_cache_ttl,
    ['general_settings', 'user_api_key_cache_ttl'],
    SETTINGS_NUMBERS.user_api_key_cache_ttl,
    missing,
  );

  return withoutUndefined<GatewaySettings>({
    spendBatchWriteMs: secondsToMs(batchWriteAt),
    allowRequestsOnDbUnavailable:
      resolver.boolean(general.allow_requests_on_db_unavailable, ['general_settings', 'allow_requests_on_db_unavailable'], missing) ?? false,
    spendLogRetention: resolver.text(
      general.maximum_spend_logs_retention_period,
      ['general_settings', 'maximum_spend_logs_retention_period'],
      missing,
    ),
    keyCacheTtlMs: secondsToMs(keyCacheTtl),
    masterKey,
    databaseUrl,
    dropParams,
    requestTimeoutMs: secondsToMs(requestTimeout),
    numRetries,
    routingStrategy: router.routing_strategy ?? 'simple-shuffle',
    maxRequestBodyBytes: maxRequestSizeMb === undefined ? undefined : Math.round(maxRequestSizeMb * 1024 * 1024),
    missingEnv: missing.names,
  });
}
