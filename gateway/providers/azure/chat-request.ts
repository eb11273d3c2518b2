/**
 * OpenAI → Azure OpenAI requests. Azure serves the OpenAI wire format under a deployment URL,
 * `{api_base}/openai/deployments/{deployment}/chat/completions?api-version=…`, and authenticates with an
 * `api-key` header instead of a bearer token.
 *
 * @see https://learn.microsoft.com/azure/ai-services/openai/reference
 */
import { ConfigurationError } from '../../errors';
import type { OpenAiEndpoint } from '../openai';
import type { UpstreamTarget } from '../provider-adapter';

/** The GA data-plane version used when a deployment sets no `api_version`. */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

export function toAzureOpenAiEndpoint(target: UpstreamTarget): OpenAiEndpoint {
  if (!target.apiBase) {
    throw new ConfigurationError(`deployment of azure/${target.model} has no api_base; set it to https://<resource>.openai.azure.com`, {
      code: 'missing_api_base',
    });
  }
  const resource = target.apiBase.replace(/\/+$/, '');
  const headers: Record<string, string> = { 'content-type': 'application/json', ...target.headers };
  if (target.apiKey) headers['api-key'] = target.apiKey;
  return {
    baseUrl: `${resource}/openai/deployments/${encodeURIComponent(target.model)}`,
    query: `api-version=${encodeURIComponent(target.apiVersion ?? AZURE_DEFAULT_API_VERSION)}`,
    headers,
  };
}
