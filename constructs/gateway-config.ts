// The gateway's config file (LiteLLM's config.yaml format), rendered from a typed model list and
// validated with the gateway's own loader (`parseConfigText` from gateway/config), so a model list
// the server would reject fails `cdk8s synth` with the same `file:line:column path: message` lines
// `switchyard config check` prints — not a crash-looping pod.

import { createHash } from 'node:crypto';

import { resolve } from 'node:path';

import { parse, stringify } from 'yaml';

import { ConfigError, ENV_REFERENCE_PREFIX, formatIssue, isEnvReference, parseConfigText } from '../gateway/config';
import type { ConfigIssue } from '../gateway/config';

/**
 * One deployment of the gateway's `model_list`: a public model name and one upstream that serves it.
 * Fields map one to one onto LiteLLM's `litellm_params` / `model_info` keys.
 *
 * @see https://docs.litellm.ai/docs/proxy/configs
 */
export interface GatewayModel {
  /** The public name clients send as `model` (`model_name`); several deployments may share one. */
  readonly name: string;
  /** The upstream as `provider/model`, e.g. `openai/gpt-4o-mini` or `hosted_vllm/llama-3.1-8b`. */
  readonly model: string;
  /**
   * The upstream's base URL (`api_base`).
   * @default - the provider's public endpoint
   */
  readonly apiBase?: string;
  /**
   * The environment variable holding the upstream's API key; rendered as `api_key: os.environ/<NAME>`.
   * The gateway container must define it (from a Secret), or synth fails.
   * @default - no key (or the provider's default variable, e.g. OPENAI_API_KEY)
   */
  readonly apiKeyEnv?: string;
  /**
   * Requests per minute this deployment takes (`rpm`).
   * @default - unlimited
   */
  readonly rpm?: number;
  /**
   * Tokens per minute this deployment takes (`tpm`).
   * @default - unlimited
   */
  readonly tpm?: number;
  /**
   * Seconds before a request to this deployment times out (`timeout`).
   * @default - `litellm_settings.request_timeout`
   */
  readonly timeoutSeconds?: number;
  /**
   * Seconds before a streaming request times out (`stream_timeout`).
   * @default - `timeoutSeconds`
   */
  readonly streamTimeoutSeconds?: number;
  /**
   * Share of the traffic among deployments of the same name (`weight`).
   * @default - spread by rpm, else tpm, else evenly
   */
  readonly weight?: number;
  /**
   * Priority among deployments of the same name; lower is tried first (`order`).
   * @default - no priority
   */
  readonly order?: number;
  /**
   * Headers sent upstream with every request (`extra_headers`).
   * @default - none
   */
  readonly extraHeaders?: Record<string, string>;
  /**
   * What the model does (`model_info.mode`): `chat`, `completion`, `embedding`, …
   * @default - chat
   */
  readonly mode?: string;
  /**
   * Further `litellm_params` keys, as LiteLLM names them (`max_retries`, `input_cost_per_token`, …).
   * A key that duplicates a typed field above is an error.
   * @default - none
   */
  readonly params?: Record<string, unknown>;
  /**
   * Further `model_info` keys.
   * @default - none
   */
  readonly info?: Record<string, unknown>;
}

/** Options for {@link renderGatewayConfig}. */
export interface GatewayConfigOptions {
  /** The deployments, in order. */
  readonly models: readonly GatewayModel[];
  /** The name errors show, e.g. `models.yaml`. */
  readonly fileName: string;
  /**
   * Files pulled in with `include:` that exist only in the pod (mounted from a Secret): written into
   * the config as given, not read at synth; the gateway reads and checks them when it starts.
   * @default - none
   */
  readonly includes?: readonly string[];
  /**
   * Files shipped beside the config (in the same ConfigMap) and pulled in with `include:` by name;
   * validated at synth together with the config, errors naming the file, line and field.
   * @default - none
   */
  readonly files?: readonly GatewayConfigFile[];
  /**
   * `litellm_settings`.
   * @default - none
   */
  readonly litellmSettings?: Record<string, unknown>;
  /**
   * `router_settings`.
   * @default - none
   */
  readonly routerSettings?: Record<string, unknown>;
  /**
   * `general_settings`.
   * @default - none
   */
  readonly generalSettings?: Record<string, unknown>;
}

/** A file shipped beside the config and included by it. */
export interface GatewayConfigFile {
  /** Its plain file name, e.g. `models.yaml`. */
  readonly fileName: string;
  /** Its content, in LiteLLM's config format. */
  readonly text: string;
}

/** A rendered, validated gateway config. */
export interface RenderedGatewayConfig {
  /** The file, as the ConfigMap holds it. */
  readonly text: string;
  /** SHA-256 of `text` and of every file beside it, hex. */
  readonly checksum: string;
  /** Every `os.environ/NAME` the file reads, sorted, without duplicates. */
  readonly envReferences: readonly string[];
  /** What the gateway would warn about at startup (unset variables excluded: they are set in the pod). */
  readonly warnings: readonly ConfigIssue[];
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A plain YAML file name (no folder), as config files and the files beside them in the pod must have. */
export const PLAIN_YAML_FILE_NAME = /^[A-Za-z0-9._-]+\.ya?ml$/;

/** `litellm_params` keys the typed fields of {@link GatewayModel} write. */
const TYPED_PARAMS: Readonly<Record<string, keyof GatewayModel>> = {
  model: 'model',
  api_base: 'apiBase',
  api_key: 'apiKeyEnv',
  rpm: 'rpm',
  tpm: 'tpm',
  timeout: 'timeoutSeconds',
  stream_timeout: 'streamTimeoutSeconds',
  weight: 'weight',
  order: 'order',
  extra_headers: 'extraHeaders',
};

function definedEntries(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

function describeModel(model: GatewayModel, index: number): string {
  return `models[${index}] (${JSON.stringify(model.name)})`;
}

/** One `model_list` entry, LiteLLM's way. Throws on a field written twice or a bad variable name. */
export function toModelListEntry(model: GatewayModel, index: number): Record<string, unknown> {
  for (const key of Object.keys(model.params ?? {})) {
    const typed = TYPED_PARAMS[key];
    if (typed !== undefined) {
      throw new Error(`${describeModel(model, index)}: params.${key} duplicates the typed field ${typed}; set ${typed} instead`);
    }
  }
  if ('mode' in (model.info ?? {}) && model.mode !== undefined) {
    throw new Error(`${describeModel(model, index)}: info.mode duplicates the typed field mode; set mode only`);
  }
  if (model.apiKeyEnv !== undefined && !ENV_NAME.test(model.apiKeyEnv)) {
    throw new Error(
      `${describeModel(model, index)}: apiKeyEnv must be an environment variable name such as OPENAI_API_KEY, got ${JSON.stringify(model.apiKeyEnv)}`,
    );
  }
  const litellmParams = definedEntries({
    model: model.model,
    api_base: model.apiBase,
    api_key: model.apiKeyEnv === undefined ? undefined : `${ENV_REFERENCE_PREFIX}${model.apiKeyEnv}`,
    rpm: model.rpm,
    tpm: model.tpm,
    timeout: model.timeoutSeconds,
    stream_timeout: model.streamTimeoutSeconds,
    weight: model.weight,
    order: model.order,
    extra_headers: model.extraHeaders,
    ...model.params,
  });
  const modelInfo = definedEntries({ mode: model.mode, ...model.info });
  return definedEntries({
    model_name: model.name,
    litellm_params: litellmParams,
    model_info: Object.keys(modelInfo).length > 0 ? modelInfo : undefined,
  });
}

function collectEnvReferences(value: unknown, into: Set<string>): void {
  if (isEnvReference(value)) {
    into.add(value.slice(ENV_REFERENCE_PREFIX.length));
  } else if (Array.isArray(value)) {
    for (const item of value) collectEnvReferences(item, into);
  } else if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) collectEnvReferences(item, into);
  }
}

/** The config error, each line followed by the rendered line it points at. */
function describeConfigError(error: ConfigError, texts: Readonly<Record<string, string>>, fileName: string): string {
  const details = error.issues
    .filter((issue) => issue.severity === 'error')
    .map((issue) => {
      const source = issue.line > 0 ? texts[issue.file]?.split('\n')[issue.line - 1] : undefined;
      return source === undefined ? formatIssue(issue) : `${formatIssue(issue)}\n    ${issue.line} | ${source}`;
    });
  return `the gateway config ${fileName} rendered from the model list is invalid; fix these models or settings:\n${details.join('\n')}`;
}

const HEADER = [
  '# Switchyard gateway config (LiteLLM config.yaml format),',
  '# rendered and validated by the cdk8s Gateway construct.',
  '# Edit the platform settings, not this file.',
  '',
].join('\n');

/**
 * Renders the gateway config and validates it with the gateway's loader.
 *
 * @throws Error naming `file:line:column path: message` for every problem the gateway would reject.
 */
export function renderGatewayConfig(options: GatewayConfigOptions): RenderedGatewayConfig {
  const files = options.files ?? [];
  const seen = new Set<string>([options.fileName]);
  for (const file of files) {
    if (!PLAIN_YAML_FILE_NAME.test(file.fileName)) throw new Error(`a file beside the config must have a plain .yaml file name such as models.yaml, got ${JSON.stringify(file.fileName)}`);
    if (seen.has(file.fileName)) throw new Error(`${file.fileName} is used twice (the config and each file beside it need their own names)`);
    seen.add(file.fileName);
  }
  const includes = [...files.map((file) => file.fileName), ...(options.includes ?? [])];
  const deferred = options.includes ?? [];
  const document = definedEntries({
    include: includes.length > 0 ? includes : undefined,
    // With includes, the list may come wholly from them; LiteLLM appends theirs to this one.
    model_list: options.models.length === 0 && includes.length > 0 ? undefined : options.models.map(toModelListEntry),
    litellm_settings: options.litellmSettings,
    router_settings: options.routerSettings,
    general_settings: options.generalSettings,
  });
  const text = HEADER + stringify(document, { lineWidth: 0 });
  const envReferences = new Set<string>();
  collectEnvReferences(document, envReferences);
  const baseDir = resolve('.');
  const sourceTexts: Record<string, string> = { [options.fileName]: text, ...Object.fromEntries(files.map((file) => [file.fileName, file.text])) };
  const fileTexts = Object.fromEntries(files.map((file) => [resolve(baseDir, file.fileName), file.text]));
  for (const file of files) {
    try {
      collectEnvReferences(parse(file.text), envReferences);
    } catch {
      // A file that is not YAML is reported by the loader below, by file and line.
    }
  }

  let warnings: readonly ConfigIssue[];
  try {
    // No environment at synth: every `os.environ/NAME` is unset here, which the loader reports as a
    // warning, never an error; those warnings are dropped below because the pod does set them.
    warnings = parseConfigText(text, options.fileName, { env: {}, baseDir, deferredIncludes: deferred, files: fileTexts }).warnings;
  } catch (error) {
    if (error instanceof ConfigError) throw new Error(describeConfigError(error, sourceTexts, options.fileName));
    throw error;
  }
  // The gateway only warns about keys it does not know (and ignores them); at synth a misspelt key
  // (`rmp: 100`) is a mistake worth stopping for. Keys LiteLLM knows that the gateway does not act
  // on yet stay warnings.
  const unknownKeys = warnings.filter((warning) => warning.message.startsWith('unknown key'));
  if (unknownKeys.length > 0) {
    throw new Error(describeConfigError(new ConfigError(unknownKeys.map((issue) => ({ ...issue, severity: 'error' as const }))), sourceTexts, options.fileName));
  }
  return {
    text,
    checksum: files.reduce((hash, file) => hash.update(`\0${file.fileName}\0${file.text}`), createHash('sha256').update(text)).digest('hex'),
    envReferences: [...envReferences].sort(),
    warnings: warnings.filter((warning) => !/^environment variable \S+ is not set/.test(warning.message)),
  };
}
