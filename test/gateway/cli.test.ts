/**
 * The CLI and the production bundle as a user runs them: `npm start` on the example config answers a chat
 * completion from the offline mock deployment; `config check` reports every error; the esbuild bundle the
 * image copies starts and serves.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildGatewayBundle } from '../../gateway/build';
import { loadConfigFile } from '../../gateway/config';
import { GATEWAY_NODE_FLAGS } from '../../gateway/node-flags';

const root = resolve(import.meta.dirname, '../..');
const children: ChildProcess[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'switchyard-cli-'));

afterAll(() => {
  for (const child of children) stopGroup(child, 'SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});

/** Signals the whole process group (npm start runs node as a grandchild). */
function stopGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Starts a gateway process and resolves with its address once it logs that it listens. */
function startProcess(command: string, args: string[], env: Record<string, string> = {}): Promise<{ address: string; child: ChildProcess; startupMs: number; output: string }> {
  const dataDir = join(scratch, `data-${children.length}`);
  const child = spawn(command, args, { cwd: root, env: { ...process.env, LITELLM_MASTER_KEY: '', SWITCHYARD_DATA_DIR: dataDir, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(child);
  return new Promise((resolvePromise, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`no listening line within 45 s:\n${output}`)), 45_000);
    const onData = (data: Buffer): void => {
      output += data.toString();
      for (const line of output.split('\n')) {
        if (!line.includes('listening on')) continue;
        const record = JSON.parse(line) as { address: string; startupMs: number };
        clearTimeout(timer);
        resolvePromise({ address: record.address, child, startupMs: record.startupMs, output });
        return;
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
}

async function askMock(address: string, model: string): Promise<string> {
  const response = await fetch(`${address}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hello' }] }),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { choices: { message: { content: string } }[] };
  return body.choices[0]?.message.content ?? '';
}

const exampleMockModel = (): string => {
  const loaded = loadConfigFile(join(root, 'models.example.yaml'), { env: {} });
  const mock = loaded.deployments.find((deployment) => deployment.mockResponse !== undefined && !deployment.mockResponse.startsWith('litellm.'));
  if (mock === undefined) throw new Error('models.example.yaml has no mock deployment');
  return mock.modelName;
};

describe('npm start', () => {
  it('answers a chat completion from the example config’s mock deployment, open and warning about it', async () => {
    const { address, child, output } = await startProcess('npm', ['start', '--silent', '--', '--port', '0', '--host', '127.0.0.1']);
    expect(output).toContain('NO MASTER KEY');
    expect(await askMock(address, exampleMockModel())).toMatch(/\S/);
    stopGroup(child, 'SIGTERM');
  }, 60_000);

  it('takes --config and --port exactly like `switchyard serve`', async () => {
    const config = join(scratch, 'config.yaml');
    writeFileSync(config, 'model_list:\n  - model_name: only-mock\n    litellm_params: { model: openai/x, mock_response: "custom config" }\n');
    const { address, child } = await startProcess('node', ['bin/switchyard.js', 'serve', '--config', config, '--port', '0', '--host', '127.0.0.1']);
    expect(await askMock(address, 'only-mock')).toBe('custom config');
    stopGroup(child, 'SIGTERM');
  }, 60_000);
});

describe('switchyard config check', () => {
  it('exits 0 for the example', () => {
    const result = spawnSync('node', ['bin/switchyard.js', 'config', 'check', 'models.example.yaml'], { cwd: root, encoding: 'utf8' });
    expect(result.status).toBe(0);
  });

  it('prints every error with file:line:col and exits non-zero', () => {
    const bad = join(scratch, 'bad.yaml');
    writeFileSync(bad, 'model_list:\n  - model_name: a\n    litellm_params:\n      model: gpt-4o\n  - model_name: b\n    litellm_params:\n      model: openai/x\n      rpm: fast\n');
    const result = spawnSync('node', ['bin/switchyard.js', 'config', 'check', bad], { cwd: root, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/bad\.yaml:4:\d+ model_list\[0\]\.litellm_params\.model/);
    expect(result.stdout).toMatch(/bad\.yaml:8:\d+ model_list\[1\]\.litellm_params\.rpm/);
  });
});

describe('production bundle (what the image runs)', () => {
  it('builds, starts from its own folder and serves a request', async () => {
    const outdir = join(scratch, 'bundle');
    const main = await buildGatewayBundle(outdir);
    // With the image's V8 flags, so a flag this Node does not know fails here.
    const { address, child } = await startProcess('node', [...GATEWAY_NODE_FLAGS, main, 'serve', '--config', join(outdir, 'models.example.yaml'), '--port', '0', '--host', '127.0.0.1'], {
      LITELLM_MASTER_KEY: 'sk-bundle',
    });
    const unauthorised = await fetch(`${address}/v1/models`);
    expect(unauthorised.status).toBe(401);
    const models = await fetch(`${address}/v1/models`, { headers: { authorization: 'Bearer sk-bundle' } });
    expect(models.status).toBe(200);
    // the API docs page and its assets come from the bundle's folder (no internet in the image)
    for (const path of ['/', '/static/swagger-ui-bundle.js']) {
      const asset = await fetch(`${address}${path}`);
      expect(asset.status, path).toBe(200);
      expect((await asset.arrayBuffer()).byteLength, path).toBeGreaterThan(100);
    }
    stopGroup(child, 'SIGTERM');
    await new Promise((resolveExit) => child.once('exit', resolveExit));
    expect(child.exitCode === 0 || child.signalCode === 'SIGTERM').toBe(true);
  }, 60_000);

  it('has a Dockerfile with a production-only, non-root runtime stage', () => {
    const dockerfile = readFileSync(join(root, 'gateway/Dockerfile'), 'utf8');
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('FROM '));
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(runtime).toMatch(/^USER \d+:\d+$/m);
    expect(runtime).not.toMatch(/npm (ci|install)/);
    expect(runtime).toContain('COPY --from=build');
  });

  it('starts Node in the image with the flags the benches measure, and no source maps', () => {
    const dockerfile = readFileSync(join(root, 'gateway/Dockerfile'), 'utf8');
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(entrypoint).toBeDefined();
    expect(JSON.parse(entrypoint as string)).toEqual(['node', ...GATEWAY_NODE_FLAGS, '/app/main.js']);
    expect(dockerfile).not.toMatch(/^ENTRYPOINT .*--enable-source-maps/m);
  });
});
