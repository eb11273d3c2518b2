// Provider prefixes of `litellm_params.model` (`provider/model`): the ones Switchyard serves and the
// ones LiteLLM knows that it does not serve yet.

import { closestName } from './did-you-mean';

/**
 * Provider prefixes Switchyard can serve. The single list the config, the provider registry and
 * the docs agree on; adding a provider here without an adapter is a bug.
 *
 * @see https://docs.litellm.ai/docs/providers
 */
export const SUPPORTED_PROVIDERS = [
  'openai',
  'azure',
  'anthropic',
  'hosted_vllm',
  'nvidia_nim',
  'groq',
  'mistral',
  'deepseek',
  'together_ai',
  'openrouter',
  'fireworks_ai',
  'xai',
  'lm_studio',
  'ollama',
  'ollama_chat',
  'text-completion-openai',
] as const;

/** A provider prefix from {@link SUPPORTED_PROVIDERS}. */
export type SupportedProvider = (typeof SUPPORTED_PROVIDERS)[number];

/**
 * Provider prefixes LiteLLM knows (its `LlmProviders` enum, plus a few legacy names) that Switchyard
 * does not serve yet. A config naming one fails with "provider X is not supported yet" rather than
 * "unknown provider".
 *
 * @see https://github.com/BerriAI/litellm/blob/main/litellm/types/utils.py (class LlmProviders)
 */
export const LITELLM_UNSUPPORTED_PROVIDERS = [
  'openai_like',
  'custom_openai',
  'aiohttp_openai',
  'jina_ai',
  'cohere',
  'cohere_chat',
  'clarifai',
  'anthropic_text',
  'bytez',
  'replicate',
  'runwayml',
  'huggingface',
  'datarobot',
  'vertex_ai',
  'vertex_ai_beta',
  'gemini',
  'ai21',
  'ai21_chat',
  'baseten',
  'azure_text',
  'azure_ai',
  'sagemaker',
  'sagemaker_chat',
  'bedrock',
  'vllm',
  'nlp_cloud',
  'petals',
  'oobabooga',
  'deepinfra',
  'perplexity',
  'milvus',
  'cerebras',
  'volcengine',
  'codestral',
  'text-completion-codestral',
  'dashscope',
  'moonshot',
  'v0',
  'morph',
  'lambda_ai',
  'sambanova',
  'maritalk',
  'voyage',
  'cloudflare',
  'xinference',
  'friendliai',
  'featherless_ai',
  'watsonx',
  'watsonx_text',
  'triton',
  'predibase',
  'databricks',
  'empower',
  'github',
  'compactifai',
  'docker_model_runner',
  'custom',
  'litellm_proxy',
  'llamafile',
  'galadriel',
  'nebius',
  'infinity',
  'deepgram',
  'elevenlabs',
  'novita',
  'langfuse',
  'humanloop',
  'topaz',
  'assemblyai',
  'github_copilot',
  'snowflake',
  'gradient_ai',
  'meta_llama',
  'nscale',
  'pg_vector',
  'hyperbolic',
  'recraft',
  'fal_ai',
  'heroku',
  'aiml',
  'cometapi',
  'oci',
  'auto_router',
  'vercel_ai_gateway',
  'dotprompt',
  'wandb',
  'ovhcloud',
  'lemonade',
  'anyscale',
  'palm',
  'aleph_alpha',
] as const;

const supportedSet: ReadonlySet<string> = new Set(SUPPORTED_PROVIDERS);
const unsupportedSet: ReadonlySet<string> = new Set(LITELLM_UNSUPPORTED_PROVIDERS);

/** Is `name` one of {@link SUPPORTED_PROVIDERS}? */
export function isSupportedProvider(name: string): name is SupportedProvider {
  return supportedSet.has(name);
}

/** Where a provider/model pair came from, split. */
export interface ProviderModel {
  readonly provider: SupportedProvider;
  /** The model as the provider knows it: everything after the first `/`. */
  readonly model: string;
}

/** Why a `model` (or `custom_llm_provider`) was refused, and which of the two keys to blame. */
export interface ProviderModelProblem {
  readonly key: 'model' | 'custom_llm_provider';
  readonly message: string;
}

export type ProviderModelResult =
  | ({ readonly ok: true } & ProviderModel)
  | ({ readonly ok: false } & ProviderModelProblem);

const SUPPORTED_LIST = SUPPORTED_PROVIDERS.join(', ');

/** Providers whose users almost always want another prefix, with the fix. */
const UNSUPPORTED_HINTS: Readonly<Record<string, string>> = {
  vllm: 'vllm/ runs vLLM inside the LiteLLM process; for a vLLM server write hosted_vllm/<model> and set api_base',
  custom_openai: 'for any OpenAI-compatible server write openai/<model> and set api_base',
  openai_like: 'for any OpenAI-compatible server write openai/<model> and set api_base',
  aiohttp_openai: 'for any OpenAI-compatible server write openai/<model> and set api_base',
  litellm_proxy: 'for another OpenAI-compatible gateway write openai/<model> and set api_base',
};

/** A likely provider for a bare model name, for the "write it as …" fix. */
function guessProvider(model: string): SupportedProvider {
  if (/^claude/i.test(model)) return 'anthropic';
  if (/^(mistral|mixtral|codestral|ministral|pixtral|open-mistral|magistral|devstral)/i.test(model)) return 'mistral';
  if (/^deepseek/i.test(model)) return 'deepseek';
  if (/^grok/i.test(model)) return 'xai';
  return 'openai';
}

function checkProviderName(provider: string): string | undefined {
  if (supportedSet.has(provider)) return undefined;
  if (unsupportedSet.has(provider)) {
    const hint = UNSUPPORTED_HINTS[provider];
    return hint === undefined
      ? `provider ${provider} is not supported yet; supported providers: ${SUPPORTED_LIST}`
      : `provider ${provider} is not supported yet: ${hint}`;
  }
  const suggestion = closestName(provider, SUPPORTED_PROVIDERS);
  return suggestion === undefined
    ? `unknown provider ${JSON.stringify(provider)}; supported providers: ${SUPPORTED_LIST}`
    : `unknown provider ${JSON.stringify(provider)}; did you mean ${suggestion}? supported providers: ${SUPPORTED_LIST}`;
}

/**
 * Splits `litellm_params.model` into provider and model, as LiteLLM's `get_llm_provider` does:
 * the provider is the text before the first `/` unless `custom_llm_provider` names it, in which case
 * a leading `<custom_llm_provider>/` is dropped from the model and the rest is kept whole.
 *
 * Unlike LiteLLM, a bare name (`gpt-4o`) is refused instead of guessed, so a deployment never goes
 * to a provider its author did not name.
 */
export function parseProviderModel(model: string, customLlmProvider?: string): ProviderModelResult {
  if (customLlmProvider !== undefined) {
    const problem = checkProviderName(customLlmProvider);
    if (problem !== undefined) return { ok: false, key: 'custom_llm_provider', message: problem };
    const prefix = `${customLlmProvider}/`;
    const rest = model.startsWith(prefix) ? model.slice(prefix.length) : model;
    if (rest === '') {
      return { ok: false, key: 'model', message: `is empty; write the model name, e.g. ${customLlmProvider}/<model>` };
    }
    return { ok: true, provider: customLlmProvider as SupportedProvider, model: rest };
  }

  const slash = model.indexOf('/');
  if (slash < 0) {
    const guess = guessProvider(model);
    return {
      ok: false,
      key: 'model',
      message: `must be provider/model, got ${JSON.stringify(model)}; write it as ${guess}/${model} (supported providers: ${SUPPORTED_LIST})`,
    };
  }
  const provider = model.slice(0, slash);
  const rest = model.slice(slash + 1);
  if (provider === '') {
    return {
      ok: false,
      key: 'model',
      message: `must be provider/model, got ${JSON.stringify(model)}; put the provider before the slash, e.g. openai${model}`,
    };
  }
  const problem = checkProviderName(provider);
  if (problem !== undefined) {
    // `meta-llama/Llama-3.1-8B-Instruct` is a model id, not a provider: say where the provider goes.
    const isModelId = !unsupportedSet.has(provider) && closestName(provider, SUPPORTED_PROVIDERS) === undefined;
    const message = isModelId
      ? `${problem}; if ${JSON.stringify(model)} is the model id, put the provider in front, e.g. hosted_vllm/${model}`
      : problem;
    return { ok: false, key: 'model', message };
  }
  if (rest === '') {
    return {
      ok: false,
      key: 'model',
      message: `must be provider/model, got ${JSON.stringify(model)}; add the model name after the slash, e.g. ${provider}/<model>`,
    };
  }
  return { ok: true, provider: provider as SupportedProvider, model: rest };
}
