/**
 * The OpenAI-compatible API: chat completions, legacy completions, embeddings and models, each under
 * `/v1` and without it (as LiteLLM serves them). Bodies are validated by the zod schemas of
 * `gateway/openai`; a violation is a 400 naming the `param`.
 */
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginCallbackZod } from 'fastify-type-provider-zod';
import { resolveModelForPrincipal } from '../../auth';
import { NotFoundError } from '../../errors';
import { chatCompletionRequestSchema, completionRequestSchema, embeddingRequestSchema } from '../../openai';
import type { CompletionUsage } from '../../openai';
import { Cancellation } from '../../routing';
import type { CallInfo, CallOptions, CallResult, ChunkSource, ModelRouter } from '../../routing';
import type { Admission, AdmissionRequest, CompletedCall, SpendTracker } from '../../tokenomics';
import { writeSseStream } from '../sse-writer';

export interface OpenAiRoutesOptions {
  readonly router: ModelRouter;
  /**
   * Prices and records each finished call.
   * @default - calls are not recorded
   */
  readonly spend?: SpendTracker;
  /** Where failures after a stream started are reported. */
  readonly logger?: FastifyBaseLogger;
  /**
   * Rate limits and budgets, checked before each call and settled after it.
   * @default - no limits
   */
  readonly admission?: Admission;
}

type CallType = CompletedCall['callType'];

interface RequestFacts extends AdmissionRequest {
  readonly model: string;
  readonly user?: string | null;
  readonly metadata?: Record<string, unknown> | null;
}

function tagsOf(metadata: Record<string, unknown> | null | undefined): string[] {
  const tags = metadata?.tags;
  return Array.isArray(tags) ? tags.filter((tag): tag is string => typeof tag === 'string') : [];
}

/** LiteLLM's response headers, which dashboards and clients read. */
function callHeaders(info: CallInfo, callId: string, elapsedMs: number): Record<string, string> {
  const headers: Record<string, string> = {
    'x-litellm-call-id': callId,
    'x-litellm-model-id': info.deployment.id,
    'x-litellm-model-group': info.deployment.modelName,
    'x-litellm-model-api-base': info.apiBase ?? '',
    'x-litellm-attempted-retries': String(info.attempts - 1),
    'x-litellm-response-duration-ms': elapsedMs.toFixed(3),
    'x-litellm-overhead-duration-ms': Math.max(0, elapsedMs - info.upstreamMs).toFixed(3),
  };
  if (info.droppedParams.length > 0) headers['x-switchyard-dropped-params'] = info.droppedParams.join(',');
  return headers;
}

interface StreamableChunk {
  usage?: unknown;
  choices: unknown[];
}

/** The request body's size as the client declared it (`content-length`), when it did. */
function declaredBodyBytes(request: FastifyRequest): number | undefined {
  const declared = request.headers['content-length'];
  return declared === undefined ? undefined : Number(declared);
}

async function respond<Body extends RequestFacts, Response extends { usage?: unknown }, Chunk extends StreamableChunk>(
  request: FastifyRequest,
  reply: FastifyReply,
  body: Body,
  includeUsage: boolean,
  callType: CallType,
  services: { spend?: SpendTracker | undefined; logger?: FastifyBaseLogger | undefined; admission?: Admission | undefined },
  call: (body: Body, options: CallOptions) => Promise<CallResult<Response, Chunk>>,
): Promise<Response | undefined> {
  const { spend, logger, admission } = services;
  const startedAtMs = Date.now();
  const model = resolveModelForPrincipal(request.principal, body.model);
  const callBody = model === body.model ? body : { ...body, model };
  const raw = reply.raw;
  // Streams are aborted upstream when the client leaves; a non-streaming call runs to its timeout, which
  // saves an AbortController and a listener on every ordinary request.
  let signal: Cancellation | undefined;
  if ((body as { stream?: boolean | null }).stream === true) {
    const cancellation = new Cancellation();
    // `on`, not `once`: a response closes once, and `once` would wrap the listener in a bound function.
    raw.on('close', () => {
      if (!raw.writableFinished) cancellation.cancel();
    });
    signal = cancellation;
  }
  // Awaited only when limits apply: a call nothing limits goes on in the same turn.
  const admitting = admission?.admit(request.principal, callBody, request.id, declaredBodyBytes(request));
  const admitted = admitting === undefined ? undefined : await admitting;
  let result: CallResult<Response, Chunk>;
  try {
    result = await call(callBody, signal ? { callId: request.id, signal } : { callId: request.id });
  } catch (error) {
    if (admitted) void admission?.release(admitted).catch((releaseError: unknown) => logger?.warn({ err: releaseError }, 'limit release failed'));
    throw error;
  }
  const headers = callHeaders(result.info, request.id, performance.now() - request.receivedAt);
  if (admitted) Object.assign(headers, admitted.headers);
  const complete = (usage: unknown, status: CompletedCall['status']): number | undefined => {
    const cost = spend?.complete({
      requestId: request.id,
      callType,
      principal: request.principal,
      deployment: result.info.deployment,
      apiBase: result.info.apiBase,
      usage: usage as CompletionUsage | undefined,
      endUser: body.user ?? undefined,
      tags: tagsOf(body.metadata),
      startedAtMs,
      endedAtMs: Date.now(),
      status,
    });
    if (admitted) {
      const tokens = (usage as CompletionUsage | undefined)?.total_tokens ?? 0;
      void admission?.settle(admitted, cost ?? 0, tokens).catch((settleError: unknown) => logger?.warn({ err: settleError }, 'limit settle failed'));
    }
    return cost;
  };
  if (result.kind === 'response') {
    const cost = complete(result.body.usage, 'success');
    if (cost !== undefined) headers['x-litellm-response-cost'] = String(cost);
    void reply.headers(headers);
    // The upstream's own JSON when the translation changed nothing: no second serialisation.
    if (result.text !== undefined) {
      void reply.type('application/json; charset=utf-8').send(result.text);
      return undefined;
    }
    return result.body;
  }
  reply.hijack();
  const outcome = await writeSseStream(raw, result.chunks as ChunkSource<Chunk & { usage?: never }>, {
    includeUsage,
    headers,
    signal: signal ?? new Cancellation(),
  });
  if (outcome.outcome === 'failed') {
    logger?.warn({ err: outcome.error, model: result.info.deployment.modelName }, 'stream failed after it started');
  }
  complete(outcome.usage, outcome.outcome === 'failed' ? 'failure' : 'success');
  return undefined;
}

export const openAiRoutes: FastifyPluginCallbackZod<OpenAiRoutesOptions> = (app, { router, spend, logger, admission }, done) => {
  const services = { spend, logger, admission };
  for (const prefix of ['/v1', '']) {
    app.post(`${prefix}/chat/completions`, { schema: { body: chatCompletionRequestSchema } }, (request, reply) =>
      respond(request, reply, request.body, request.body.stream_options?.include_usage === true, 'chat', services, (body, options) =>
        router.chat(body, options),
      ),
    );

    app.post(`${prefix}/completions`, { schema: { body: completionRequestSchema } }, (request, reply) =>
      respond(request, reply, request.body, request.body.stream_options?.include_usage === true, 'completion', services, (body, options) =>
        router.completion(body, options),
      ),
    );

    app.post(`${prefix}/embeddings`, { schema: { body: embeddingRequestSchema } }, (request, reply) =>
      respond(request, reply, request.body, false, 'embedding', services, (body, options) => router.embedding(body, options)),
    );

    app.get(`${prefix}/models`, () => router.registry.toModelList());

    app.get(`${prefix}/models/*`, (request) => {
      const id = (request.params as { '*': string })['*'];
      const model = router.registry.toModelList().data.find((entry) => entry.id === id);
      if (model === undefined) {
        throw new NotFoundError(`model '${id}' is not served by this gateway`, { param: 'model', code: 'model_not_found' });
      }
      return model;
    });
  }
  done();
};
