/**
 * The cdk8s program (`cdk8s synth`, `npm run synth`): renders the platform chart of each environment
 * into `dist/<env>/` from its stack file, then validates every rendered object (Kubernetes and CRD
 * schemas, strictly, plus the platform checks) and fails on any issue.
 *
 *   npm run synth                 # every environment with a stack file (ENVIRONMENTS in settings.ts)
 *   npm run synth -- dev prod     # just these
 *
 * Environment: CDK8S_OUTDIR (set by `cdk8s synth`; default `dist`), SWITCHYARD_SHARED_DIR (the folder
 * with `crds/` and `k8s-schemas/`; default `../shared` beside the repository), SWITCHYARD_STACKS_DIR
 * (the folder of the stack files; default `stacks/`).
 */
import { rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

import { App, YamlOutputType } from 'cdk8s';

import { formatIssue } from '../gateway/config';
import { PlatformChart } from '../constructs/platform-chart';
import { createManifestValidator, formatManifestIssues } from '../constructs/validation';
import { CHART_ID, ENVIRONMENTS, SettingsError, loadPlatformSettings, stackFilePath } from './settings';

const root = resolve(import.meta.dirname, '..');
const outRoot = resolve(root, process.env.CDK8S_OUTDIR ?? 'dist');
const sharedDir = resolve(root, process.env.SWITCHYARD_SHARED_DIR ?? join('..', 'shared'));
const stacksDir = resolve(root, process.env.SWITCHYARD_STACKS_DIR ?? 'stacks');

function synthEnvironment(environment: string): { objects: number; issues: string[] } {
  const settings = loadPlatformSettings(environment, stacksDir);
  const outdir = join(outRoot, environment);
  rmSync(outdir, { recursive: true, force: true });
  const app = new App({ outdir, outputFileExtension: '.yaml', yamlOutputType: YamlOutputType.FILE_PER_CHART });
  const chart = new PlatformChart(app, CHART_ID, { settings, baseDir: root });
  app.synth();

  for (const warning of chart.gateway.config.warnings) process.stdout.write(`${environment}: gateway config ${formatIssue(warning)}\n`);
  const validator = createManifestValidator({
    sharedDir,
    defaultNamespace: settings.namespace,
    externalNames: chart.externalReferences,
    externalPods: chart.externalPods,
  });
  const result = validator.validateDirectory(outdir);
  const issues = result.issues.length === 0 ? [] : formatManifestIssues(result.issues).split('\n');
  return { objects: result.objects.length, issues };
}

function main(argv: readonly string[]): number {
  const environments = argv.length > 0 ? argv : ENVIRONMENTS;
  let failed = false;
  for (const environment of environments) {
    const started = performance.now();
    try {
      const { objects, issues } = synthEnvironment(environment);
      const took = Math.round(performance.now() - started);
      const where = relative(process.cwd(), join(outRoot, environment)) || '.';
      if (issues.length > 0) {
        failed = true;
        process.stderr.write(`${environment}: ${objects} objects in ${where}/, ${issues.length} validation issue(s):\n${issues.join('\n')}\n`);
      } else {
        process.stdout.write(`${environment}: ${objects} objects in ${where}/, valid (${took} ms)\n`);
      }
    } catch (error) {
      failed = true;
      const message = error instanceof SettingsError || error instanceof Error ? error.message : String(error);
      const stackFile = relative(process.cwd(), stackFilePath(environment, stacksDir));
      process.stderr.write(`${environment} (${stackFile}): synth failed:\n${message}\n`);
    }
  }
  return failed ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
