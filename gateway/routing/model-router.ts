/**
 * Calls a model group: picks a deployment, checks the request's parameters against the provider, builds
 * the upstream request through the provider adapter, sends it, and translates the answer back — retrying
 * on another deployment of the group (or the same one) when the failure is retriable and retries are
 * configured. Deployments with `mock_response` answer locally, as in LiteLLM.
 */
import type { Deployment, GatewaySettings } from '../config';
import { ConfigurationError, GatewayError, InvalidRequestError, NotFoundError, UpstreamError } from '../errors';
import { floatsToBase64Float32 } from '../openai';
import type {
  ChatCompletionChunk,
  ChatCompletionRequest,
  ChatCompletionResponse,
  CompletionRequest,
  CompletionResponse,
  EmbeddingRequest,
  EmbeddingResponse,
} from '../openai';
import {
  createMockChatChunks,
  createMockChatResponse,
  createMockCompletionChunks,
  createMockCompletionResponse,
  createMockEmbeddingResponse,
  findProviderAdapter,
  isUntouched,
} from '../providers';
import type {
  ProviderAdapter,
  StreamTranslator,
  SupportedParams,
  TranslationContext,
  UpstreamRequest,
  UpstreamTarget,
} from '../providers';
import { chatChunkToCompletionChunk, chatResponseToCompletionResponse, completionRequestToChatRequest } from './completion-bridge';
import type { ModelRegistry } from './model-registry';
import { chunkSourceFromArray, chunkSourceFromUpstream } from './chunk-source';
import type { ChunkSource } from './chunk-source';
import { enforceSupportedParams } from './supported-params';
import { toUpstreamTransportError } from './upstream-client';
import type { UpstreamClient } from './upstream-client';
import type { CancelSignal } from './cancellation';

/** LiteLLM's default request timeout (seconds → ms). */
const DEFAULT_TIMEOUT_MS = 600_000;

export interface CallOptions {
  /** The gateway's id for this call (`x-litellm-call-id`). */
  readonly callId: string;
  /** Aborted when the client goes away; the upstream request is aborted with it. */
  readonly signal?: CancelSignal;
}

/** What the HTTP layer needs to know about the deployment that answered. */
export interface CallInfo {
  readonly deployment: Deployment;
  /** The base URL actually used, for `x-litellm-model-api-base`. */
  readonly apiBase: string | undefined;
  /** Milliseconds spent waiting for the upstream (headers, and the body when not streaming). */
  readonly upstreamMs: number;
  /** Request fields dropped under `drop_params`. */
  readonly droppedParams: readonly string[];
  /** Attempts made (1 without retries). */
  readonly attempts: number;
}

export type CallResult<Response, Chunk> =
  | {
      readonly kind: 'response';
      readonly body: Response;
      readonly info: CallInfo;
      /** The upstream's own JSON text of `body`, when the translation left it untouched (sent as is). */
      readonly text?: string;
    }
  | { readonly kind: 'stream'; readonly chunks: ChunkSource<Chunk>; readonly info: CallInfo };

export type ChatResult = CallResult<ChatCompletionResponse, ChatCompletionChunk>;
export type CompletionResult = CallResult<CompletionResponse, CompletionResponse>;
export type EmbeddingResult = CallResult<EmbeddingResponse, never>;

/** How one OpenAI operation maps onto an adapter. */
interface Operation<Request extends { model: string; stream?: boolean | null }, Response, Chunk> {
  readonly name: string;
  supportedParams(adapter: ProviderAdapter): SupportedParams | undefined;
  toRequest(adapter: ProviderAdapter, request: Request, target: UpstreamTarget): UpstreamRequest;
  fromResponse(adapter: ProviderAdapter, body: unknown, context: TranslationContext, request: Request): Response;
  createStream(adapter: ProviderAdapter, context: TranslationContext): StreamTranslator<Chunk>;
  mockResponse(text: string, request: Request, context: TranslationContext): Response;
  mockChunks(text: string, request: Request, context: TranslationContext): Chunk[];
}

const chatOperation: Operation<ChatCompletionRequest, ChatCompletionResponse, ChatCompletionChunk> = {
  name: 'chat completions',
  supportedParams: (adapter) => adapter.supportedChatParams,
  toRequest: (adapter, request, target) => adapter.toChatRequest(request, target),
  fromResponse: (adapter, body, context) => adapter.fromChatResponse(body, context),
  createStream: (adapter, context) => adapter.createChatStreamTranslator(context),
  mockResponse: createMockChatResponse,
  mockChunks: createMockChatChunks,
};

const completionOperation: Operation<CompletionRequest, CompletionResponse, CompletionResponse> = {
  name: 'completions',
  supportedParams: (adapter) => adapter.supportedCompletionParams ?? adapter.supportedChatParams,
  toRequest: (adapter, request, target) =>
    adapter.toCompletionRequest
      ? adapter.toCompletionRequest(request, target)
      : adapter.toChatRequest(completionRequestToChatRequest(request, adapter.id), target),
  fromResponse: (adapter, body, context) =>
    adapter.fromCompletionResponse
      ? adapter.fromCompletionResponse(body, context)
      : chatResponseToCompletionResponse(adapter.fromChatResponse(body, context)),
  createStream: (adapter, context) => {
    if (adapter.createCompletionStreamTranslator) return adapter.createCompletionStreamTranslator(context);
    const chat = adapter.createChatStreamTranslator(context);
    return {
      push: (text) => chat.push(text).map(chatChunkToCompletionChunk),
      end: () => chat.end().map(chatChunkToCompletionChunk),
    };
  },
  mockResponse: createMockCompletionResponse,
  mockChunks: createMockCompletionChunks,
};

const embeddingOperation: Operation<EmbeddingRequest, EmbeddingResponse, never> = {
  name: 'embeddings',
  supportedParams: (adapter) => (adapter.toEmbeddingRequest ? 'all' : undefined),
  toRequest: (adapter, request, target) => {
    if (!adapter.toEmbeddingRequest) throw new Error('unreachable: embeddings checked before');
    return adapter.toEmbeddingRequest(request, target);
  },
  fromResponse: (adapter, body, context, request) => {
    if (!adapter.fromEmbeddingResponse) throw new Error('unreachable: embeddings checked before');
    return withEncodingFormat(adapter.fromEmbeddingResponse(body, context), request);
  },
  createStream: () => {
    throw new InvalidRequestError('embeddings cannot be streamed', { param: 'stream' });
  },
  mockResponse: (text, request, context) => withEncodingFormat(createMockEmbeddingResponse(text, request, context), request),
  mockChunks: () => [],
};

export interface ModelRouterOptions {
  readonly registry: ModelRegistry;
  readonly client: UpstreamClient;
  readonly settings: GatewaySettings;
}

export class ModelRouter {
  readonly registry: ModelRegistry;
  private readonly client: UpstreamClient;
  private readonly settings: GatewaySettings;

  constructor({ registry, client, settings }: ModelRouterOptions) {
    this.registry = registry;
    this.client = client;
    this.settings = settings;
  }

  chat(request: ChatCompletionRequest, options: CallOptions): Promise<ChatResult> {
    return this.execute(chatOperation, request, options);
  }

  completion(request: CompletionRequest, options: CallOptions): Promise<CompletionResult> {
    return this.execute(completionOperation, request, options);
  }

  embedding(request: EmbeddingRequest, options: CallOptions): Promise<EmbeddingResult> {
    return this.execute(embeddingOperation, { ...request, stream: false }, options);
  }

  private async execute<Request extends { model: string; stream?: boolean | null; drop_params?: boolean }, Response, Chunk>(
    operation: Operation<Request, Response, Chunk>,
    request: Request,
    options: CallOptions,
  ): Promise<CallResult<Response, Chunk>> {
    if (!this.registry.has(request.model)) {
      throw new NotFoundError(`model '${request.model}' is not served by this gateway; GET /v1/models lists the models it serves`, {
        param: 'model',
        code: 'model_not_found',
      });
    }
    // Made on the first failure: most calls succeed at once.
    let tried: Set<string> | undefined;
    let attempts = 0;
    let lastError: GatewayError | undefined;
    for (;;) {
      const deployment =
        this.registry.pick(request.model, tried) ??
        (lastError !== undefined && !(lastError instanceof ConfigurationError) ? this.registry.pick(request.model) : undefined);
      if (deployment === undefined) throw lastError ?? new Error('unreachable: model group is empty');
      attempts++;
      try {
        return await this.attempt(operation, request, deployment, options, attempts);
      } catch (error) {
        const gatewayError = error instanceof GatewayError ? error : toUpstreamTransportError(error, 'upstream', 0);
        const budget = deployment.maxRetries ?? this.settings.numRetries ?? 0;
        if (!isRetriable(gatewayError) || attempts > budget || options.signal?.cancelled === true) throw gatewayError;
        (tried ??= new Set()).add(deployment.id);
        lastError = gatewayError;
      }
    }
  }

  private async attempt<Request extends { model: string; stream?: boolean | null; drop_params?: boolean }, Response, Chunk>(
    operation: Operation<Request, Response, Chunk>,
    clientRequest: Request,
    deployment: Deployment,
    options: CallOptions,
    attempts: number,
  ): Promise<CallResult<Response, Chunk>> {
    const context: TranslationContext = {
      requestModel: clientRequest.model,
      callId: options.callId,
      created: Math.floor(Date.now() / 1000),
    };
    if (deployment.missingEnv.length > 0) {
      throw new ConfigurationError(
        `deployment ${deployment.id} of model '${deployment.modelName}' cannot be called: ` +
          `environment variable${deployment.missingEnv.length > 1 ? 's' : ''} ${deployment.missingEnv.join(', ')} ` +
          `${deployment.missingEnv.length > 1 ? 'are' : 'is'} not set`,
        { code: 'missing_environment_variable' },
      );
    }
    const request = withDeploymentDefaults(clientRequest, deployment);
    if (deployment.mockResponse !== undefined) {
      const info: CallInfo = { deployment, apiBase: undefined, upstreamMs: 0, droppedParams: [], attempts };
      if (request.stream) {
        const chunks = operation.mockChunks(deployment.mockResponse, request, context);
        return { kind: 'stream', chunks: chunkSourceFromArray(chunks), info };
      }
      return { kind: 'response', body: operation.mockResponse(deployment.mockResponse, request, context), info };
    }
    const adapter = findProviderAdapter(deployment.provider);
    if (adapter === undefined) {
      throw new ConfigurationError(`deployment ${deployment.id} names provider '${deployment.provider}', which this gateway does not serve`);
    }
    const supported = operation.supportedParams(adapter);
    if (supported === undefined) {
      throw new InvalidRequestError(`model '${clientRequest.model}' (${adapter.id}) does not support ${operation.name}`, {
        param: 'model',
        code: 'unsupported_operation',
      });
    }
    const dropParams = request.drop_params ?? deployment.dropParams ?? this.settings.dropParams;
    const checked = enforceSupportedParams(request, supported, dropParams, adapter.id);
    const upstreamRequest = operation.toRequest(adapter, checked.request, upstreamTargetOf(deployment));
    const streaming = checked.request.stream === true;
    const requestTimeoutMs = deployment.timeoutMs ?? this.settings.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timeoutMs = streaming ? (deployment.streamTimeoutMs ?? requestTimeoutMs) : requestTimeoutMs;
    const started = performance.now();
    const callOptions = { timeoutMs, ...(options.signal ? { signal: options.signal } : {}) };
    const apiBase = this.client.target(upstreamRequest.url).origin;
    if (streaming) {
      const stream = await this.client.sendStreaming(upstreamRequest, callOptions);
      if (stream.status < 200 || stream.status >= 300) throw adapter.toUpstreamError(stream.status, await stream.text());
      const translator = operation.createStream(adapter, context);
      const info: CallInfo = { deployment, apiBase, upstreamMs: performance.now() - started, droppedParams: checked.dropped, attempts };
      return { kind: 'stream', chunks: chunkSourceFromUpstream(stream, translator), info };
    }
    const { status, text } = await this.client.sendForText(upstreamRequest, callOptions);
    if (status < 200 || status >= 300) throw adapter.toUpstreamError(status, text);
    const upstreamMs = performance.now() - started;
    const body = operation.fromResponse(adapter, parseJson(text), context, checked.request);
    return {
      kind: 'response',
      body,
      info: { deployment, apiBase, upstreamMs, droppedParams: checked.dropped, attempts },
      ...(isUntouched(body) ? { text } : {}),
    };
  }
}

/**
 * The OpenAI SDKs ask for `encoding_format: 'base64'` by default; providers that answer float arrays get
 * their vectors encoded here, the way OpenAI encodes them.
 */
function withEncodingFormat(response: EmbeddingResponse, request: EmbeddingRequest): EmbeddingResponse {
  if (request.encoding_format !== 'base64') return response;
  for (const item of response.data) {
    if (Array.isArray(item.embedding)) item.embedding = floatsToBase64Float32(item.embedding);
  }
  return response;
}

function isRetriable(error: GatewayError): boolean {
  if (error instanceof ConfigurationError) return true;
  if (error instanceof UpstreamError) return error.code !== 'aborted' && (error.status === 429 || error.status >= 500);
  return error.status === 429 || error.status >= 500;
}

/** Each deployment's target, built on its first call and shared by the calls after (adapters may key caches on it). */
const upstreamTargets = new WeakMap<Deployment, UpstreamTarget>();

function upstreamTargetOf(deployment: Deployment): UpstreamTarget {
  let target = upstreamTargets.get(deployment);
  if (target === undefined) {
    target = {
      model: deployment.model,
      ...(deployment.apiBase !== undefined ? { apiBase: deployment.apiBase } : {}),
      ...(deployment.apiKey !== undefined ? { apiKey: deployment.apiKey } : {}),
      ...(deployment.apiVersion !== undefined ? { apiVersion: deployment.apiVersion } : {}),
      headers: deployment.headers,
    };
    upstreamTargets.set(deployment, target);
  }
  return target;
}

/** `litellm_params` request defaults (e.g. `temperature`) fill fields the client left unset. */
function withDeploymentDefaults<Request extends object>(request: Request, deployment: Deployment): Request {
  const defaults = deployment.extraParams;
  let merged: Record<string, unknown> | undefined;
  for (const key in defaults) {
    if ((request as Record<string, unknown>)[key] === undefined) {
      merged ??= { ...(request as Record<string, unknown>) };
      merged[key] = defaults[key];
    }
  }
  return (merged ?? request) as Request;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new UpstreamError('upstream returned a body that is not JSON', { code: 'invalid_upstream_response' });
  }
}
