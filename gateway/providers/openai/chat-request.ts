/**
 * OpenAI → OpenAI(-compatible) requests: the request is forwarded as the client sent it, with only the
 * model replaced by the deployment's and the gateway-only fields removed. For streams the gateway asks
 * for `stream_options.include_usage` so it can always count tokens; the HTTP layer strips the usage chunk
 * again when the client did not ask for it.
 *
 * @see https://platform.openai.com/docs/api-reference/chat/create
 */
import type { ChatCompletionRequest, CompletionRequest, EmbeddingRequest } from '../../openai';
import type { UpstreamRequest, UpstreamTarget } from '../provider-adapter';

/** Fields the gateway reads itself and never forwards. */
const GATEWAY_ONLY_FIELDS = ['drop_params'] as const;

export interface OpenAiEndpoint {
  /** Base URL including the version segment, e.g. `https://api.openai.com/v1`. */
  readonly baseUrl: string;
  /** Query string appended to every path (Azure's `api-version`), without `?`. */
  readonly query?: string;
  readonly headers: Readonly<Record<string, string>>;
}

export function openAiBearerHeaders(target: UpstreamTarget): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...target.headers };
  if (target.apiKey) headers.authorization = `Bearer ${target.apiKey}`;
  return headers;
}

function withoutGatewayFields<T extends object>(request: T, model: string): Record<string, unknown> {
  const body: Record<string, unknown> = { ...request, model };
  for (const field of GATEWAY_ONLY_FIELDS) delete body[field];
  return body;
}

function buildUrl(endpoint: OpenAiEndpoint, path: string): string {
  const base = endpoint.baseUrl.endsWith('/') ? endpoint.baseUrl.slice(0, -1) : endpoint.baseUrl;
  return endpoint.query ? `${base}${path}?${endpoint.query}` : `${base}${path}`;
}

export function toOpenAiChatRequest(
  request: ChatCompletionRequest,
  target: UpstreamTarget,
  endpoint: OpenAiEndpoint,
): UpstreamRequest {
  const body = withoutGatewayFields(request, target.model);
  if (request.stream) body.stream_options = { ...request.stream_options, include_usage: true };
  return { url: buildUrl(endpoint, '/chat/completions'), method: 'POST', headers: endpoint.headers, body: JSON.stringify(body) };
}

export function toOpenAiCompletionRequest(
  request: CompletionRequest,
  target: UpstreamTarget,
  endpoint: OpenAiEndpoint,
): UpstreamRequest {
  const body = withoutGatewayFields(request, target.model);
  if (request.stream) body.stream_options = { ...request.stream_options, include_usage: true };
  return { url: buildUrl(endpoint, '/completions'), method: 'POST', headers: endpoint.headers, body: JSON.stringify(body) };
}

export function toOpenAiEmbeddingRequest(
  request: EmbeddingRequest,
  target: UpstreamTarget,
  endpoint: OpenAiEndpoint,
): UpstreamRequest {
  const body = withoutGatewayFields(request, target.model);
  return { url: buildUrl(endpoint, '/embeddings'), method: 'POST', headers: endpoint.headers, body: JSON.stringify(body) };
}
