/**
 * Process entry: parse flags and environment → load the config → build the gateway → listen → handle
 * signals. The only file that reads `process.env`, ports and signals.
 *
 *   switchyard serve [--config FILE] [--port N] [--host H] [--log-level L]
 *   switchyard config check FILE
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { Logger } from 'pino';
import packageJson from '../package.json' with { type: 'json' };
import { ConfigError, checkConfigFile, formatIssue, loadConfigFile } from './config';
import type { LoadedConfig } from './config';
import { KeyManagement, OrgManagement, SpendReports } from './admin';
import { OperatorError, keysCommand, modelsCommand, spendCommand } from './cli';
import type { OperatorContext } from './cli';
import { GatewayAuthenticator } from './auth';
import { createGatewayApp } from './http';
import { ModelRegistry, ModelRouter, UpstreamClient } from './routing';
import { DatabaseConfigurationError, KeyRepository, databaseUrlFromEnvironment, migrate, openDatabase } from './storage';
import {
  Admission,
  CachedEndUsers,
  SpendLedger,
  SpendTracker,
  createLimitStore,
  createWebhookSender,
  priceOfDeployment,
  pruneSpendLogs,
  resetDueBudgets,
  ValkeyConfigurationError,
  describeValkeyConnection,
  valkeyConnectionFromEnvironment,
} from './tokenomics';
import type { ModelPrice, ValkeyConnection } from './tokenomics';
import type { Database } from './storage';

const startedAt = performance.now();
const VERSION: string = packageJson.version;

const USAGE = `switchyard ${VERSION} — an OpenAI-compatible LLM gateway

usage:
  switchyard serve [--config FILE] [--port N] [--host HOST] [--log-level LEVEL] [--no-database]
  switchyard migrate [--config FILE]
  switchyard config check FILE
  switchyard keys generate|list|block|unblock|delete …   [--url URL] [--key MASTER_KEY]
  switchyard models list|add|remove FILE …
  switchyard spend report [--group-by team|customer|api_key|model|user|tag] [--start-date D] [--end-date D]
  switchyard --version

serve options (environment variables in brackets):
  --config FILE      LiteLLM-format config.yaml [CONFIG_FILE_PATH] (default: ./models.example.yaml)
  --port N           port to listen on [PORT] (default: 4000)
  --host HOST        address to bind [HOST] (default: 0.0.0.0)
  --log-level LEVEL  fatal|error|warn|info|debug|trace [LOG_LEVEL] (default: info)
  --no-database      run without a database: master key only, no virtual keys or spend records
  the master key comes from general_settings.master_key or [LITELLM_MASTER_KEY]
  the database is [DATABASE_URL] (or DATABASE_HOST, DATABASE_USERNAME, DATABASE_PASSWORD and
  DATABASE_NAME) or general_settings.database_url; without one, an embedded PGlite
  database in [SWITCHYARD_DATA_DIR] (default: .switchyard/pglite). Migrations run at startup unless
  [DISABLE_SCHEMA_UPDATE]=true; \`switchyard migrate\` runs them alone (for a Kubernetes Job).

keys and spend commands call a running gateway: --url [SWITCHYARD_URL] (default: http://localhost:4000),
--key [LITELLM_MASTER_KEY].`;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port: expected a port number 0-65535, got "${value}"`);
  return port;
}

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c' },
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      'log-level': { type: 'string' },
      'no-database': { type: 'boolean' },
    },
    strict: true,
  });
  const env = process.env;
  const configPath = resolve(values.config ?? env.CONFIG_FILE_PATH ?? 'models.example.yaml');
  const port = parsePort(values.port ?? env.PORT ?? '4000');
  const host = values.host ?? env.HOST ?? '0.0.0.0';
  const logger: Logger = pino({
    level: values['log-level'] ?? env.LOG_LEVEL ?? 'info',
    base: { service: 'switchyard' },
    redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers["api-key"]'], remove: true },
  });

  let loaded: LoadedConfig;
  try {
    loaded = loadConfigFile(configPath, { env });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  for (const [name, value] of Object.entries(loaded.environmentVariables)) env[name] ??= value;
  for (const warning of loaded.warnings) logger.warn(formatIssue(warning));
  for (const deployment of loaded.deployments) {
    if (deployment.missingEnv.length > 0) {
      logger.warn(
        { model: deployment.modelName, deployment: deployment.id, missing: deployment.missingEnv },
        `deployment ${deployment.id} of '${deployment.modelName}' will answer 500 until ${deployment.missingEnv.join(', ')} is set`,
      );
    }
  }

  const masterKey = loaded.settings.masterKey ?? env.LITELLM_MASTER_KEY;
  // The database opens in the background: PGlite's first initialisation takes seconds, and requests
  // that need no database (master key, mock and upstream calls) are served meanwhile.
  // It starts only once the server listens, so its start-up work never delays the first requests.
  let database: Database | undefined;
  let openDatabaseNow: () => void = () => undefined;
  const databaseReady: Promise<Database | undefined> = values['no-database']
    ? Promise.resolve(undefined)
    : new Promise<void>((start) => (openDatabaseNow = start))
        .then(() => openConfiguredDatabase(loaded, env, logger, env.DISABLE_SCHEMA_UPDATE !== 'true'))
        .then(
          (opened) => (database = opened),
          (error: unknown) => {
            logger.error({ err: error }, 'the database could not be opened; virtual keys and the management API are unavailable');
            return undefined;
          },
        );
  const keyStore = databaseReady.then((opened) => (opened ? new KeyRepository(opened) : undefined));
  const authenticator = new GatewayAuthenticator({
    ...(masterKey ? { masterKey } : {}),
    keys: () => keyStore,
    ...(loaded.settings.keyCacheTtlMs !== undefined ? { cacheTtlMs: loaded.settings.keyCacheTtlMs } : {}),
    allowRequestsOnDbUnavailable: loaded.settings.allowRequestsOnDbUnavailable,
  });
  const dataDir = env.SWITCHYARD_DATA_DIR ?? '.switchyard/pglite';
  const ledger = values['no-database']
    ? undefined
    : new SpendLedger({
        database: () => databaseReady,
        ...(loaded.settings.spendBatchWriteMs !== undefined ? { flushIntervalMs: loaded.settings.spendBatchWriteMs } : {}),
        spoolFile: resolve(dataDir, '..', 'spend-spool.json'),
        onError: (error) => logger.warn({ err: error, pending: ledger?.pending }, 'spend batch not written; kept for the next attempt'),
        ...(env.WEBHOOK_URL
          ? {
              onSoftBudgetCrossed: createWebhookSender(env.WEBHOOK_URL, (error) => logger.warn({ err: error }, 'budget webhook failed')),
            }
          : {}),
      });
  ledger?.start();
  // Budget resets and spend-log retention, once a minute (every replica may run them: both are idempotent).
  const maintenance = setInterval(() => {
    void databaseReady.then(async (opened) => {
      if (!opened) return;
      try {
        const reset = await resetDueBudgets(opened);
        if (reset > 0) logger.info({ reset }, 'budgets reset');
        const retention = loaded.settings.spendLogRetention;
        if (retention) await pruneSpendLogs(opened, retention);
      } catch (error) {
        logger.warn({ err: error }, 'database maintenance failed; retrying in a minute');
      }
    });
  }, 60_000);
  maintenance.unref();
  const keyManagement = databaseReady.then((opened) => (opened ? new KeyManagement(opened, authenticator) : undefined));
  const orgManagement = Promise.all([databaseReady, keyManagement]).then(([opened, keys]) =>
    opened && keys ? new OrgManagement(opened, keys) : undefined,
  );
  if (authenticator.open) {
    logger.warn(
      '!!! NO MASTER KEY: the gateway is OPEN — anyone who can reach it can call every model. ' +
        'Set general_settings.master_key or LITELLM_MASTER_KEY. !!!',
    );
  }

  const client = new UpstreamClient();
  const registry = new ModelRegistry(loaded.deployments);
  // Limits are shared by every replica through Valkey when one is configured (VALKEY_URL, REDIS_URL or
  // REDIS_HOST/REDIS_PORT/REDIS_PASSWORD, or Sentinel with REDIS_SENTINEL_NODES), else kept in this process.
  let valkey: ValkeyConnection | undefined;
  try {
    valkey = valkeyConnectionFromEnvironment(env);
  } catch (error) {
    if (!(error instanceof ValkeyConfigurationError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const limitStore = createLimitStore({
    ...(valkey === undefined ? {} : { valkey }),
    onError: (error) => logger.warn({ err: error }, 'limit store error'),
  });
  const groupPrices = new Map<string, ModelPrice | undefined>();
  const priceOfGroup = (modelGroup: string): ModelPrice | undefined => {
    if (!groupPrices.has(modelGroup)) {
      const prices = registry.group(modelGroup).map(priceOfDeployment).filter((price) => price !== undefined);
      groupPrices.set(modelGroup, prices.sort((a, b) => b.outputPerToken + b.inputPerToken - (a.outputPerToken + a.inputPerToken))[0]);
    }
    return groupPrices.get(modelGroup);
  };
  const admission = new Admission({
    store: limitStore,
    priceOfGroup,
    ...(values['no-database'] ? {} : { endUsers: new CachedEndUsers(() => databaseReady, loaded.settings.keyCacheTtlMs) }),
  });
  const router = new ModelRouter({ registry, client, settings: loaded.settings });
  const app = createGatewayApp({
    router,
    authenticator,
    logger,
    version: VERSION,
    keys: () => keyManagement,
    org: () => orgManagement,
    reports: () => databaseReady.then((opened) => (opened ? new SpendReports(opened) : undefined)),
    ...(ledger ? { spend: new SpendTracker(ledger) } : {}),
    admission,
    readiness: () => ({
      ready: values['no-database'] === true || database !== undefined,
      details: { db: values['no-database'] ? 'disabled' : database ? 'connected' : 'connecting' },
    }),
    ...(loaded.settings.maxRequestBodyBytes !== undefined ? { bodyLimitBytes: loaded.settings.maxRequestBodyBytes } : {}),
  });

  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    clearInterval(maintenance);
    const timer = setTimeout(() => process.exit(1), 10_000);
    timer.unref();
    app
      .close()
      .then(() => client.close())
      .then(() => ledger?.stop())
      .then(() => limitStore.close())
      .then(() => databaseReady)
      .then((opened) => opened?.close())
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));

  const address = await app.listen({ port, host });
  logger.info(
    {
      limits: valkey === undefined ? 'memory' : `valkey (${describeValkeyConnection(valkey)})`,
      address,
      config: configPath,
      models: registry.modelNames(),
      startupMs: Math.round(performance.now() - startedAt),
    },
    `switchyard ${VERSION} listening on ${address}`,
  );
  setImmediate(openDatabaseNow);
}

/** Opens the configured database (Postgres when a URL is set, else embedded PGlite) and migrates it. */
async function openConfiguredDatabase(
  loaded: LoadedConfig,
  env: NodeJS.ProcessEnv,
  logger: Logger,
  runMigrations: boolean,
): Promise<Database> {
  let url: string | undefined;
  try {
    url = databaseUrlFromEnvironment(env) ?? loaded.settings.databaseUrl;
  } catch (error) {
    if (!(error instanceof DatabaseConfigurationError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const started = performance.now();
  const database = await openDatabase(url ? { url } : { dataDir: env.SWITCHYARD_DATA_DIR ?? '.switchyard/pglite', worker: true });
  if (runMigrations) {
    const report = await migrate(database);
    if (report.applied.length > 0) logger.info({ applied: report.applied.map((m) => m.version) }, 'database migrated');
  }
  logger.info({ kind: database.kind, openMs: Math.round(performance.now() - started) }, 'database ready');
  return database;
}

async function migrateCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, strict: true });
  const env = process.env;
  const configPath = resolve(values.config ?? env.CONFIG_FILE_PATH ?? 'models.example.yaml');
  const loaded = loadConfigFile(configPath, { env });
  const logger = pino({ level: env.LOG_LEVEL ?? 'info', base: { service: 'switchyard' } });
  const database = await openConfiguredDatabase(loaded, env, logger, true);
  await database.close();
}

function configCommand(args: string[]): void {
  const [subcommand, file, ...rest] = args;
  if (subcommand !== 'check' || file === undefined || rest.length > 0) fail(`usage: switchyard config check FILE`);
  const result = checkConfigFile(resolve(file), process.env);
  for (const line of result.lines) process.stdout.write(`${line}\n`);
  process.stdout.write(result.ok ? `${file}: ok\n` : `${file}: invalid\n`);
  process.exit(result.ok ? 0 : 1);
}

/** `--url` / `--key` for the commands that call a running gateway, wherever they appear. */
function operatorContext(args: string[]): { context: OperatorContext; rest: string[] } {
  const rest: string[] = [];
  let url = process.env.SWITCHYARD_URL ?? 'http://localhost:4000';
  let masterKey = process.env.LITELLM_MASTER_KEY;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if ((arg === '--url' || arg === '--key') && args[i + 1] !== undefined) {
      if (arg === '--url') url = args[++i] as string;
      else masterKey = args[++i];
    } else {
      rest.push(arg);
    }
  }
  return { context: { url, masterKey, out: (line) => process.stdout.write(`${line}\n`) }, rest };
}

async function runOperator(work: () => Promise<void> | void): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (error instanceof OperatorError || error instanceof ConfigError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      fail((error as Error).message);
    }
    throw error;
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'serve':
      return serve(rest);
    case 'config':
      return configCommand(rest);
    case 'migrate':
      return migrateCommand(rest);
    case 'keys': {
      const { context, rest: keyArgs } = operatorContext(rest);
      return runOperator(() => keysCommand(keyArgs, context));
    }
    case 'spend': {
      const { context, rest: spendArgs } = operatorContext(rest);
      return runOperator(() => spendCommand(spendArgs, context));
    }
    case 'models':
      return runOperator(() => modelsCommand(rest, (line) => process.stdout.write(`${line}\n`)));
    case '--version':
    case 'version':
      process.stdout.write(`${VERSION}\n`);
      return;
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      if (command.startsWith('-')) return serve(argv);
      fail(`unknown command '${command}'\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
