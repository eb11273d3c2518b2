/**
 * API documentation, where LiteLLM users find it: Swagger UI at the root (`/`) and the OpenAPI document
 * at `/openapi.json`, generated from the same zod schemas that validate the requests. Public, like
 * LiteLLM's: it describes routes and fields, never models, keys or settings. The UI's assets are served
 * from the package's own folder (also in the image), so the page works without internet access.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

export interface DocsOptions {
  readonly version: string;
}

/** The Swagger UI assets: beside the package (source tree), or copied beside the bundle (the image). */
export function swaggerUiAssetsDir(): string {
  const packageJson = createRequire(import.meta.url).resolve('@fastify/swagger-ui/package.json');
  return join(dirname(packageJson), 'static');
}

/**
 * Registers the OpenAPI generator on `app` (it must see every route, so call this before registering
 * them) and the documentation routes.
 */
export function registerDocs(app: FastifyInstance, { version }: DocsOptions): void {
  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Switchyard LLM gateway',
        version,
        description:
          'OpenAI-compatible API and LiteLLM-compatible management API. Authenticate with `Authorization: Bearer <key>` ' +
          '(also `x-api-key` or `api-key`): the master key, or a virtual key from `/key/generate`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  const assets = swaggerUiAssetsDir();
  void app.register(fastifySwaggerUi, {
    routePrefix: '/',
    baseDir: assets,
    logo: { type: 'image/svg+xml', content: readFileSync(join(assets, 'logo.svg')) },
    staticCSP: true,
    uiConfig: { docExpansion: 'list', deepLinking: true },
  });
  void app.register((docs, _options, done) => {
    docs.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
    done();
  });
}
