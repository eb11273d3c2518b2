/** The operator CLI's commands against a running gateway (embedded Postgres) and a model-list file. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperatorError, formatTable, keysCommand, modelsCommand, spendCommand } from '../../../gateway/cli';
import type { OperatorContext } from '../../../gateway/cli';
import { migrate, openDatabase } from '../../../gateway/storage';
import type { Database } from '../../../gateway/storage';
import { SpendLedger } from '../../../gateway/tokenomics';
import { startGateway } from '../../support/gateway-harness';
import type { RunningGateway } from '../../support/gateway-harness';

const MASTER = 'sk-master-cli-test';
const scratch = mkdtempSync(join(tmpdir(), 'switchyard-operator-'));
let database: Database;
let ledger: SpendLedger;
let gateway: RunningGateway;
let lines: string[];
let context: OperatorContext;

beforeAll(async () => {
  database = await openDatabase({ dataDir: 'memory://' });
  await migrate(database);
  ledger = new SpendLedger({ database: async () => database, flushIntervalMs: 60_000 });
  gateway = await startGateway(
    `model_list:\n  - model_name: small\n    litellm_params: { model: openai/mock, mock_response: "fine", input_cost_per_token: 0.01 }\ngeneral_settings: { master_key: ${MASTER} }\n`,
    { database, ledger },
  );
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await database?.close();
  rmSync(scratch, { recursive: true, force: true });
});

function fresh(masterKey = MASTER): OperatorContext {
  lines = [];
  context = { url: gateway.url, masterKey, out: (line) => lines.push(line) };
  return context;
}

describe('switchyard keys', () => {
  it('generates a key that works, lists, blocks and deletes it', async () => {
    await keysCommand(['generate', '--user', 'ops', '--models', 'small', '--budget', '5', '--rpm', '10', '--alias', 'cli-key'], fresh());
    const key = lines[0] as string;
    expect(key).toMatch(/^sk-/);
    const call = () =>
      fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'small', messages: [{ role: 'user', content: 'hi' }] }),
      });
    expect((await call()).status).toBe(200);

    await keysCommand(['list'], fresh());
    expect(lines[0]).toMatch(/^key\s+alias\s+user\s+team\s+spend\s+budget\s+blocked\s+expires$/);
    expect(lines.some((line) => line.includes('cli-key') && line.includes('ops') && /\b5\b/.test(line))).toBe(true);
    expect(lines.join('\n')).not.toContain(key);

    await keysCommand(['block', key], fresh());
    expect((await call()).status).toBe(401);
    await keysCommand(['delete', key], fresh());
    expect(lines).toEqual(['deleted 1 key']);
  });

  it('reports a refused call with the gateway’s own message', async () => {
    await expect(keysCommand(['list'], fresh('sk-wrong'))).rejects.toThrow(/\(401\): invalid API key/);
    await expect(keysCommand(['generate', '--budget', 'lots'], fresh())).rejects.toThrow(OperatorError);
  });
});

describe('switchyard spend report', () => {
  it('prints spend per model as a table', async () => {
    await keysCommand(['generate'], fresh());
    const key = lines[0] as string;
    await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'small', messages: [{ role: 'user', content: 'hi' }] }),
    });
    await ledger.flush();
    await spendCommand(['report', '--group-by', 'model'], fresh());
    expect(lines[0]).toMatch(/^day\s+model\s+requests\s+tokens\s+spend_usd$/);
    const row = lines.find((line) => /\bsmall\b/.test(line));
    expect(row).toBeDefined();
    expect(row).toMatch(/\d{4}-\d{2}-\d{2}\s+small\s+\d+/);
  });
});

describe('switchyard models', () => {
  const original = `# Our models — keep this comment
model_list:
  # the offline one
  - model_name: mock
    litellm_params:
      model: openai/mock
      mock_response: hi # inline note
`;

  it('adds and removes deployments keeping comments and layout', () => {
    const file = join(scratch, 'models.yaml');
    writeFileSync(file, original);
    const out: string[] = [];
    modelsCommand(['add', file, '--name', 'gpt', '--model', 'openai/gpt-4o-mini', '--api-key', 'os.environ/OPENAI_API_KEY'], (line) => out.push(line));
    const added = readFileSync(file, 'utf8');
    expect(added.startsWith(original.trimEnd())).toBe(true);
    expect(added).toContain('# inline note');
    expect(added).toContain('api_key: os.environ/OPENAI_API_KEY');
    modelsCommand(['list', file], (line) => out.push(line));
    expect(out.some((line) => /^gpt\s+openai\/gpt-4o-mini/.test(line))).toBe(true);
    modelsCommand(['remove', file, '--name', 'gpt'], (line) => out.push(line));
    expect(readFileSync(file, 'utf8')).toBe(original);
  });

  it('refuses edits the gateway would reject, and literal keys, leaving the file as it was', () => {
    const file = join(scratch, 'strict.yaml');
    writeFileSync(file, original);
    expect(() => modelsCommand(['add', file, '--name', 'bad', '--model', 'gpt-4o'], () => undefined)).toThrow(/model_list\[1\]\.litellm_params\.model/);
    expect(() => modelsCommand(['add', file, '--name', 'leak', '--model', 'openai/x', '--api-key', 'sk-live-123'], () => undefined)).toThrow(/never the key itself/);
    expect(() => modelsCommand(['remove', file, '--name', 'absent'], () => undefined)).toThrow(/no model named absent/);
    expect(readFileSync(file, 'utf8')).toBe(original);
  });

  it('formats tables with aligned columns', () => {
    expect(formatTable(['a', 'long'], [['xyz', 1]])).toEqual(['a    long', '---  ----', 'xyz  1']);
  });
});
