/**
 * The single place errors become HTTP answers: OpenAI's `{ error: { message, type, param, code } }` with
 * the status each error class carries. Framework errors (malformed JSON, schema violations, body too
 * large) are translated into the gateway's typed errors first.
 */
import type { FastifyBaseLogger, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { GatewayError, InvalidRequestError, NotFoundError, PayloadTooLargeError, toOpenAiErrorBody } from '../errors';

/** `/messages/0/content` → `messages[0].content`. */
export function instancePathToParam(instancePath: string): string | null {
  const segments = instancePath.split('/').filter((segment) => segment.length > 0);
  if (segments.length === 0) return null;
  return segments.reduce((param, segment) => (/^\d+$/.test(segment) ? `${param}[${segment}]` : param ? `${param}.${segment}` : segment), '');
}

export function toGatewayError(error: unknown, bodyLimitBytes: number): GatewayError | undefined {
  if (error instanceof GatewayError) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const first = error.validation[0];
    const param = first ? instancePathToParam(first.instancePath) : null;
    const where = param ? `${param}: ` : '';
    return new InvalidRequestError(`invalid request: ${where}${first?.message ?? 'does not match the schema'}`, { param });
  }
  const fastifyError = error as Partial<FastifyError>;
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new PayloadTooLargeError(bodyLimitBytes);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new GatewayError(415, 'invalid_request_error', 'send the request body as application/json', { code: 'unsupported_media_type' });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new InvalidRequestError('the request body is empty; send a JSON object', { code: 'empty_body' });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new InvalidRequestError(`malformed JSON body: ${fastifyError.message ?? ''}`.trim(), { code: 'invalid_json' });
    default:
  }
  if (error instanceof SyntaxError || (fastifyError.statusCode === 400 && /JSON/i.test(fastifyError.message ?? ''))) {
    return new InvalidRequestError(`malformed JSON body: ${(error as Error).message}`, { code: 'invalid_json' });
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return new GatewayError(fastifyError.statusCode, 'invalid_request_error', fastifyError.message ?? 'bad request');
  }
  return undefined;
}

export function createErrorHandler(bodyLimitBytes: number, logger?: FastifyBaseLogger) {
  return function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
    const gatewayError = toGatewayError(error, bodyLimitBytes);
    if (gatewayError === undefined) {
      logger?.error({ err: error, callId: request.id, url: request.url }, 'unhandled error');
    } else if (gatewayError.status >= 500) {
      logger?.warn({ callId: request.id, status: gatewayError.status, code: gatewayError.code, reason: gatewayError.message }, 'request failed');
    }
    const status = gatewayError?.status ?? 500;
    if (gatewayError) for (const [name, value] of Object.entries(gatewayError.headers)) reply.header(name, value);
    void reply.code(status).header('x-litellm-call-id', request.id).send(toOpenAiErrorBody(gatewayError ?? error));
  };
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  const error = new NotFoundError(`no route for ${request.method} ${request.url.split('?')[0]}`, { code: 'route_not_found' });
  void reply.code(404).header('x-litellm-call-id', request.id).send(toOpenAiErrorBody(error));
}
