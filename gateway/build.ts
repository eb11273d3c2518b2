/**
 * Builds the production bundle the container image copies: `dist/gateway/main.js` (the gateway and its
 * production dependencies in one ES module) plus the example config, the one package that cannot be
 * bundled (PGlite, which loads its WASM from its own folder) and Swagger UI's static page assets.
 *
 *   npm run build:gateway [-- --outdir DIR]
 */
import { copyFileSync, cpSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export async function buildGatewayBundle(outdir: string): Promise<string> {
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: [join(root, 'gateway/main.ts')],
    outfile: join(outdir, 'main.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    // Whitespace-free source is smaller in memory (V8 keeps the module text); names stay readable.
    minifyWhitespace: true,
    legalComments: 'linked',
    logLevel: 'warning',
    // PGlite loads its WASM and data files next to its own modules; it ships as a package folder beside
    // the bundle. pg's optional native binding is never used.
    external: ['@electric-sql/pglite', 'pg-native'],
    // Some CommonJS dependencies call require(); give the ES module bundle one.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
  copyFileSync(join(root, 'models.example.yaml'), join(outdir, 'models.example.yaml'));
  cpSync(join(root, 'node_modules/@electric-sql/pglite'), join(outdir, 'node_modules/@electric-sql/pglite'), { recursive: true });
  // Swagger UI's page assets, found at runtime the same way as in the source tree (docs-routes.ts).
  const swaggerUi = join(outdir, 'node_modules/@fastify/swagger-ui');
  mkdirSync(swaggerUi, { recursive: true });
  copyFileSync(join(root, 'node_modules/@fastify/swagger-ui/package.json'), join(swaggerUi, 'package.json'));
  cpSync(join(root, 'node_modules/@fastify/swagger-ui/static'), join(swaggerUi, 'static'), { recursive: true });
  return join(outdir, 'main.js');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { outdir: { type: 'string' } } });
  const outfile = await buildGatewayBundle(resolve(values.outdir ?? join(root, 'dist/gateway')));
  process.stdout.write(`built ${outfile}\n`);
}
