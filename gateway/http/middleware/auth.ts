/**
 * Authenticates every API route: the key from `Authorization: Bearer`, `x-api-key` or `api-key`, checked by
 * the configured `Authenticator`. The caller is kept on the request as `request.principal`.
 */
import fastifyPlugin from 'fastify-plugin';
import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import { presentedKeyOf } from '../../auth';
import type { Authenticator, Principal } from '../../auth';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** `performance.now()` when the request reached the gateway's first hook. */
    receivedAt: number;
  }
}

export interface AuthPluginOptions {
  readonly authenticator: Authenticator;
}

const authPluginCallback: FastifyPluginCallback<AuthPluginOptions> = (app, { authenticator }, done) => {
  app.decorateRequest('principal', null);
  app.decorateRequest('receivedAt', 0);
  app.addHook('onRequest', function authenticate(request: FastifyRequest, _reply, next) {
    // The first hook of every API request: it also starts the clock for x-litellm-*-duration-ms.
    request.receivedAt = performance.now();
    try {
      const result = authenticator.authenticate(presentedKeyOf(request.headers));
      if (result instanceof Promise) {
        result.then(
          (principal) => {
            request.principal = principal;
            next();
          },
          (error: unknown) => next(error as Error),
        );
        return;
      }
      request.principal = result;
      next();
    } catch (error) {
      next(error as Error);
    }
  });
  done();
};

export const authPlugin = fastifyPlugin(authPluginCallback, { name: 'switchyard-auth', fastify: '5.x' });
