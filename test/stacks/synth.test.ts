import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, describe, expect, it } from 'vitest';

import { ENVIRONMENTS, PLATFORM_CONFIG_KEY, SettingsError, loadPlatformSettings, parsePlatformSettings } from '../../stacks/settings';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'switchyard-synth-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs the synth program as `npm run synth` does, with `dist` in a scratch folder. */
async function synth(environments: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'stacks/synth.ts', ...environments], {
      cwd: root,
      env: { ...process.env, CDK8S_OUTDIR: join(scratch, 'dist'), ...env },
    });
    return { code: 0, stdout, stderr, ms: performance.now() - started };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr, ms: performance.now() - started };
  }
}

describe('stack settings', () => {
  it.each(ENVIRONMENTS)('reads %s from stacks/Pulumi.%s.yaml', (environment) => {
    const settings = loadPlatformSettings(environment);
    expect(settings.gateway.image).toMatch(/^switchyard-gateway:/);
  });

  it('fails with the stack file, line, column and key of a bad setting', () => {
    // GIVEN
    const text = [
      'config:',
      `  ${PLATFORM_CONFIG_KEY}:`,
      '    namespace: llm',
      '    gateway:',
      '      image: switchyard-gateway:0.1.0',
      '      replicas: two',
      '      replica: 2',
    ].join('\n');

    // WHEN / THEN
    expect(() => parsePlatformSettings(text, 'stacks/Pulumi.test.yaml')).toThrow(SettingsError);
    expect(() => parsePlatformSettings(text, 'stacks/Pulumi.test.yaml')).toThrow(/stacks\/Pulumi\.test\.yaml:6:17 switchyard:platform\.gateway\.replicas: invalid input: expected number, received string/);
    expect(() => parsePlatformSettings(text, 'stacks/Pulumi.test.yaml')).toThrow(/stacks\/Pulumi\.test\.yaml:7:7 switchyard:platform\.gateway: unrecognized key: "replica"/);
  });

  it('fails when the settings key is missing', () => {
    expect(() => parsePlatformSettings('config:\n  switchyard:other: 1\n', 'Pulumi.x.yaml')).toThrow('config.switchyard:platform is missing');
  });
});

describe('npm run synth', () => {
  it('renders dev and prod into dist/<env>/ and validates them, in under 10 s', async () => {
    // WHEN
    const result = await synth(['dev', 'prod']);

    // THEN
    expect(result.stderr.replace(/npm warn.*\n/g, '')).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^dev: \d+ objects in .*dev\/, valid/m);
    expect(result.stdout).toMatch(/^prod: \d+ objects in .*prod\/, valid/m);
    expect(existsSync(join(scratch, 'dist', 'dev', 'switchyard.yaml'))).toBe(true);
    expect(readFileSync(join(scratch, 'dist', 'prod', 'switchyard.yaml'), 'utf8')).toContain('kind: InferencePool');
    expect(result.ms).toBeLessThan(10_000);
  });

  it('fails on a deliberately broken model list with the file/line/field message', async () => {
    // GIVEN a copy of the stack files whose dev model list names a model without its provider
    const stacks = join(scratch, 'stacks');
    cpSync(join(root, 'stacks'), stacks, { recursive: true, filter: (source) => !source.endsWith('.ts') });
    const dev = join(stacks, 'Pulumi.dev.yaml');
    writeFileSync(dev, readFileSync(dev, 'utf8').replace('model: openai/gpt-4o-mini', 'model: gpt-4o-mini'));

    // WHEN
    const result = await synth(['dev'], { SWITCHYARD_STACKS_DIR: stacks });

    // THEN
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/dev \(.*Pulumi\.dev\.yaml\): synth failed:\nthe gateway config models\.yaml rendered from the model list is invalid/);
    expect(result.stderr).toContain('model_list[1] are gateway.models[0] to gateway.models[1] of the platform settings');
    expect(result.stderr).toMatch(/models\.yaml:\d+:\d+ model_list\[1\]\.litellm_params\.model: must be provider\/model, got "gpt-4o-mini"/);
  });
});
