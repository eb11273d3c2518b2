// The zod schema of LiteLLM's proxy config.yaml, as Switchyard reads it. One schema, shared by the
// server (at load) and the cdk8s constructs (at synth), so a bad file fails `cdk8s synth`, not the pod.
//
// Values keep their `os.environ/NAME` references: resolving them is the loader's job, not the
// schema's, so the constructs can validate a file without the secrets. Numbers may be quoted
// (`rpm: "100"` becomes 100); booleans may be `yes`/`no`; an empty value (`api_base:`) counts as
// absent, as in LiteLLM. Keys the schema does not name are kept (`looseObject`) and reported as
// warnings by the loader, never dropped silently and never fatal.
//
// @see https://docs.litellm.ai/docs/proxy/configs
// @see https://docs.litellm.ai/docs/proxy/config_settings

import { z } from 'zod';

import {
  describeValue,
  isEnvReference,
  parseBooleanValue,
  parseEnvReference,
  parseNumberValue,
  parseTextValue,
} from './field-values';
import type { EnvReference, FieldResult, NumberConstraints } from './field-values';
import { closestName } from './did-you-mean';
import { parseProviderModel } from './providers';

type Parse<T> = (value: unknown) => FieldResult<T>;

/** A field that must be present and not empty. `missing` says what to write. */
function requiredField<T>(parse: Parse<T>, missing: string) {
  return z.unknown().transform((value, context): T => {
    if (value === undefined || value === null) {
      context.addIssue({ code: 'custom', message: missing });
      return z.NEVER;
    }
    const result = parse(value);
    if (!result.ok) {
      context.addIssue({ code: 'custom', message: result.message });
      return z.NEVER;
    }
    return result.value;
  });
}

/** A field that may be left out or left empty (`api_base:`), both meaning "not set". */
function optionalField<T>(parse: Parse<T>) {
  return z
    .unknown()
    .transform((value, context): T | undefined => {
      if (value === undefined || value === null) return undefined;
      const result = parse(value);
      if (!result.ok) {
        context.addIssue({ code: 'custom', message: result.message });
        return z.NEVER;
      }
      return result.value;
    })
    .optional();
}

/** A section that may be left out or left empty (every key commented out). */
function optionalSection<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === null ? undefined : value), schema.optional());
}

/** Text that may be an `os.environ/NAME` reference. */
const parseText: Parse<string> = (value) => (isEnvReference(value) ? parseEnvReference(value) : parseTextValue(value));

/** Text that must be written out: a reference makes no sense for it (names, ids, routing choices). */
const parsePlainText: Parse<string> = (value) =>
  isEnvReference(value)
    ? { ok: false, message: 'cannot be an os.environ reference here; write the value itself' }
    : parseTextValue(value);

function parseNumber(constraints: NumberConstraints): Parse<number | EnvReference> {
  return (value) => (isEnvReference(value) ? parseEnvReference(value) : parseNumberValue(value, constraints));
}

const parseBoolean: Parse<boolean | EnvReference> = (value) =>
  isEnvReference(value) ? parseEnvReference(value) : parseBooleanValue(value);

const parseStop: Parse<string | string[]> = (value) => {
  if (typeof value === 'string') return { ok: true, value };
  if (Array.isArray(value) && value.every((item): item is string => typeof item === 'string')) {
    return { ok: true, value: [...value] };
  }
  return { ok: false, message: `expected a string or a list of strings, got ${describeValue(value)}` };
};

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const parseMapping: Parse<Record<string, unknown>> = (value) =>
  isMapping(value) ? { ok: true, value } : { ok: false, message: `expected a mapping, got ${describeValue(value)}` };

/** `extra_headers` / `headers`: header name → value; values may be `os.environ/NAME`. */
const headersSchema = z.record(z.string(), requiredField(parseText, 'expected a string, got an empty value'));

const positiveSeconds: NumberConstraints = { min: 0, exclusiveMin: true };
const count: NumberConstraints = { integer: true, min: 0 };
const positiveCount: NumberConstraints = { integer: true, min: 1 };

/**
 * The numeric keys of `litellm_params` and their limits. Exported so values that arrive through
 * `os.environ/NAME` are checked by the same rules once resolved.
 */
export const LITELLM_PARAMS_NUMBERS = {
  rpm: count,
  tpm: count,
  /** Seconds. */
  timeout: positiveSeconds,
  /** Seconds. */
  stream_timeout: positiveSeconds,
  max_retries: count,
  input_cost_per_token: { min: 0 },
  output_cost_per_token: { min: 0 },
  weight: { min: 0 },
  order: count,
  temperature: { min: 0 },
  top_p: { min: 0 },
  max_tokens: positiveCount,
  max_completion_tokens: positiveCount,
  presence_penalty: {},
  frequency_penalty: {},
  seed: { integer: true },
  n: positiveCount,
  top_logprobs: count,
  dimensions: positiveCount,
} as const satisfies Record<string, NumberConstraints>;

/** The numeric settings and their limits (see {@link LITELLM_PARAMS_NUMBERS}). */
export const SETTINGS_NUMBERS = {
  /** Seconds. */
  request_timeout: positiveSeconds,
  num_retries: count,
  /** Megabytes. */
  max_request_size_mb: { min: 0, exclusiveMin: true },
  /** Seconds between spend batch writes. */
  proxy_batch_write_at: positiveSeconds,
  /** Seconds a looked-up virtual key is trusted before it is read again. */
  user_api_key_cache_ttl: positiveSeconds,
} as const satisfies Record<string, NumberConstraints>;

/**
 * Keys of `litellm_params` that become request defaults: a client request that sets the same
 * parameter wins (LiteLLM merges the deployment's params under the request's). Only plain
 * generation settings every OpenAI-compatible upstream understands are listed; anything that
 * changes the shape of a request (tools, streaming, provider-specific bodies) is not.
 */
export const REQUEST_DEFAULT_PARAMS = [
  'temperature',
  'top_p',
  'max_tokens',
  'max_completion_tokens',
  'presence_penalty',
  'frequency_penalty',
  'stop',
  'seed',
  'n',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'response_format',
  'reasoning_effort',
  'parallel_tool_calls',
  'dimensions',
  'encoding_format',
] as const;

/** Routing strategies LiteLLM's router knows. */
export const LITELLM_ROUTING_STRATEGIES = [
  'simple-shuffle',
  'least-busy',
  'usage-based-routing',
  'usage-based-routing-v2',
  'latency-based-routing',
  'cost-based-routing',
] as const;

const parseRoutingStrategy: Parse<string> = (value) => {
  const text = parsePlainText(value);
  if (!text.ok) return text;
  if ((LITELLM_ROUTING_STRATEGIES as readonly string[]).includes(text.value)) return text;
  const suggestion = closestName(text.value, LITELLM_ROUTING_STRATEGIES);
  const hint = suggestion === undefined ? '' : ` did you mean ${suggestion}?`;
  return {
    ok: false,
    message: `unknown routing strategy ${describeValue(text.value)};${hint} one of: ${LITELLM_ROUTING_STRATEGIES.join(', ')}`,
  };
};

/** `model_list[].litellm_params`: where and how to call one deployment. */
export const litellmParamsSchema = z
  .looseObject({
    /** `provider/model`, e.g. `hosted_vllm/meta-llama/Llama-3.1-8B-Instruct`. */
    model: requiredField(parsePlainText, 'is required: write the upstream model as provider/model, e.g. openai/gpt-4o'),
    /** Names the provider when `model` has no prefix (LiteLLM's `custom_llm_provider`). */
    custom_llm_provider: optionalField(parsePlainText),
    api_base: optionalField(parseText),
    api_key: optionalField(parseText),
    api_version: optionalField(parseText),
    organization: optionalField(parseText),
    rpm: optionalField(parseNumber(LITELLM_PARAMS_NUMBERS.rpm)),
    tpm: optionalField(parseNumber(LITELLM_PARAMS_NUMBERS.tpm)),
    /** Seconds. */
    timeout: optionalField(parseNumber(LITELLM_PARAMS_NUMBERS.timeout)),
    /** Seconds. */
    stream_timeout: optionalField(parseNumber(LITELLM_PARAMS_NUMBERS.stream_timeout)),
    max_retries: optionalField(parseNumber(LITELLM_PARAMS_NUMBERS.max_retries)),
    input_cost_per_token: optionalField(parseNumber(LITELLM_PARAMS_NUMBERS.input_cost_per_token)),
    output_cost_per_token: optionalField(parseNumber(LITELLM_PARAMS_NUMBERS.output_cost_per_token)),
    weight: optionalField(parseNumber(LITELLM_PARAMS_NUMBERS.weight)),
    order: optionalField(parseNumber(LITELLM_PARAMS_NUMBERS.order)),
    mock_response: optionalField(parsePlainText),
    drop_params: optionalField(parseBoolean),
    extra_headers: optionalSection(headersSchema),
    headers: optionalSection(headersSchema),
    temperature: optionalField(parseNumber(LITELLM_PARAMS_NUMBERS.temperature)),
    top_p: optionalField(parseNumber(LITELLM_PARAMS_NUMBERS.top_p)),
    max_tokens: optionalField(parseNumber(LITELLM_PARAMS_NUMBERS.max_tokens)),
    max_completion_tokens: optionalField(parseNumber(LITELLM_PARAMS_NUMBERS.max_completion_tokens)),
    presence_penalty: optionalField(parseNumber(LITELLM_PARAMS_NUMBERS.presence_penalty)),
    frequency_penalty: optionalField(parseNumber(LITELLM_PARAMS_NUMBERS.frequency_penalty)),
    stop: optionalField(parseStop),
    seed: optionalField(parseNumber(LITELLM_PARAMS_NUMBERS.seed)),
    n: optionalField(parseNumber(LITELLM_PARAMS_NUMBERS.n)),
    logit_bias: optionalSection(z.record(z.string(), requiredField((value) => parseNumberValue(value), 'expected a number, got an empty value'))),
    logprobs: optionalField(parseBoolean),
    top_logprobs: optionalField(parseNumber(LITELLM_PARAMS_NUMBERS.top_logprobs)),
    response_format: optionalField(parseMapping),
    reasoning_effort: optionalField(parsePlainText),
    parallel_tool_calls: optionalField(parseBoolean),
    dimensions: optionalField(parseNumber(LITELLM_PARAMS_NUMBERS.dimensions)),
    encoding_format: optionalField(parsePlainText),
  })
  .superRefine(
    (params, context) => {
      // Runs even when other keys are bad (see `when`), so every error is reported at once; a key
      // that failed holds a placeholder, hence the type checks.
      const { model, custom_llm_provider: customLlmProvider } = params;
      if (typeof model !== 'string') return;
      if (customLlmProvider !== undefined && typeof customLlmProvider !== 'string') return;
      const result = parseProviderModel(model, customLlmProvider);
      if (!result.ok) context.addIssue({ code: 'custom', path: [result.key], message: result.message });
    },
    { when: (payload) => isMapping(payload.value) },
  );

/** `model_list[].model_info`: free-form metadata; the keys Switchyard reads are typed. */
export const modelInfoSchema = z.looseObject({
  /** The deployment id; stable ids survive edits to the other fields. */
  id: optionalField(parsePlainText),
  /** `chat`, `completion`, `embedding`, … */
  mode: optionalField(parsePlainText),
  base_model: optionalField(parsePlainText),
  input_cost_per_token: optionalField((value) => parseNumberValue(value, { min: 0 })),
  output_cost_per_token: optionalField((value) => parseNumberValue(value, { min: 0 })),
});

/** One deployment: a public model name and how to reach one upstream that serves it. */
export const modelListEntrySchema = z.looseObject({
  model_name: requiredField(parsePlainText, 'is required: the public name clients send as "model"'),
  /** Required; a missing or empty value is reported with a hint by the loader. */
  litellm_params: litellmParamsSchema,
  model_info: optionalSection(modelInfoSchema),
});

/** `litellm_settings`: module-wide settings. */
export const litellmSettingsSchema = z.looseObject({
  drop_params: optionalField(parseBoolean),
  /** Seconds. */
  request_timeout: optionalField(parseNumber(SETTINGS_NUMBERS.request_timeout)),
  num_retries: optionalField(parseNumber(SETTINGS_NUMBERS.num_retries)),
});

/** `router_settings`: load balancing across the deployments of a model name. */
export const routerSettingsSchema = z.looseObject({
  routing_strategy: optionalField(parseRoutingStrategy),
  num_retries: optionalField(parseNumber(SETTINGS_NUMBERS.num_retries)),
});

/** `general_settings`: the proxy server. */
export const generalSettingsSchema = z.looseObject({
  master_key: optionalField(parseText),
  database_url: optionalField(parseText),
  /** Megabytes (1024 × 1024 bytes). */
  max_request_size_mb: optionalField(parseNumber(SETTINGS_NUMBERS.max_request_size_mb)),
  /** Seconds. */
  proxy_batch_write_at: optionalField(parseNumber(SETTINGS_NUMBERS.proxy_batch_write_at)),
  /** Seconds. */
  user_api_key_cache_ttl: optionalField(parseNumber(SETTINGS_NUMBERS.user_api_key_cache_ttl)),
  /** A duration (`30d`, `1mo`): spend-log rows older than this are deleted; daily aggregates stay. */
  maximum_spend_logs_retention_period: optionalField(parseText),
  /** Keep serving keys already seen while the database is unreachable. */
  allow_requests_on_db_unavailable: optionalField(parseBoolean),
});

const parseEnvironmentValue: Parse<string> = (value) => {
  if (isEnvReference(value)) return parseEnvReference(value);
  if (typeof value === 'boolean') return { ok: true, value: String(value) };
  return parseTextValue(value);
};

/** The whole config file (after includes are merged). */
export const gatewayConfigSchema = z.looseObject({
  model_list: optionalSection(z.array(modelListEntrySchema)),
  /** Files whose `model_list` (and other keys) are merged in, relative to the including file. */
  include: optionalSection(z.array(requiredField(parsePlainText, 'expected a file path, got an empty value'))),
  litellm_settings: optionalSection(litellmSettingsSchema),
  router_settings: optionalSection(routerSettingsSchema),
  general_settings: optionalSection(generalSettingsSchema),
  environment_variables: optionalSection(z.record(z.string(), optionalField(parseEnvironmentValue))),
});

/** A validated config: numbers are numbers, but `os.environ/NAME` references are still references. */
export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
/** A validated `model_list` entry. */
export type ModelListEntry = z.output<typeof modelListEntrySchema>;
/** A validated `litellm_params`. */
export type LitellmParams = z.output<typeof litellmParamsSchema>;
