/**
 * The explicit map from LiteLLM provider prefixes (`litellm_params.model: <prefix>/<model>`) to adapters.
 * OpenAI-compatible servers share the OpenAI adapter with their own default base URL.
 */
import type { ProviderAdapter } from './provider-adapter';
import { anthropicAdapter } from './anthropic';
import { azureAdapter } from './azure';
import { ollamaAdapter } from './ollama';
import { createOpenAiCompatibleAdapter, openAiAdapter } from './openai';

const openAiCompatible = (id: string, defaultApiBase?: string): ProviderAdapter =>
  createOpenAiCompatibleAdapter(defaultApiBase === undefined ? { id } : { id, defaultApiBase });

const ADAPTERS: ReadonlyMap<string, ProviderAdapter> = new Map<string, ProviderAdapter>([
  ['openai', openAiAdapter],
  ['text-completion-openai', openAiAdapter],
  ['openai_like', openAiCompatible('openai_like')],
  ['hosted_vllm', openAiCompatible('hosted_vllm')],
  ['nvidia_nim', openAiCompatible('nvidia_nim', 'https://integrate.api.nvidia.com/v1')],
  ['groq', openAiCompatible('groq', 'https://api.groq.com/openai/v1')],
  ['mistral', openAiCompatible('mistral', 'https://api.mistral.ai/v1')],
  ['deepseek', openAiCompatible('deepseek', 'https://api.deepseek.com/v1')],
  ['together_ai', openAiCompatible('together_ai', 'https://api.together.xyz/v1')],
  ['openrouter', openAiCompatible('openrouter', 'https://openrouter.ai/api/v1')],
  ['fireworks_ai', openAiCompatible('fireworks_ai', 'https://api.fireworks.ai/inference/v1')],
  ['xai', openAiCompatible('xai', 'https://api.x.ai/v1')],
  ['lm_studio', openAiCompatible('lm_studio', 'http://localhost:1234/v1')],
  ['azure', azureAdapter],
  ['anthropic', anthropicAdapter],
  ['ollama', ollamaAdapter],
  ['ollama_chat', ollamaAdapter],
]);

export function findProviderAdapter(prefix: string): ProviderAdapter | undefined {
  return ADAPTERS.get(prefix);
}

export function providerPrefixes(): string[] {
  return [...ADAPTERS.keys()];
}
