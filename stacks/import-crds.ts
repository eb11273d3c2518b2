/**
 * `npm run imports`: regenerates `constructs/imports/` from the CRD schemas listed under `imports:` in
 * cdk8s.yaml (paths relative to the repository root, `../shared/crds/…`).
 *
 * 1. Removes the previously generated files, so a CRD dropped from cdk8s.yaml leaves nothing behind.
 * 2. Runs `cdk8s import` (offline; `--no-check-upgrade` skips the CLI's registry lookup).
 * 3. Rewrites the one import line cdk8s emits, `import { ApiObject, ApiObjectMetadata, GroupVersionKind }
 *    from 'cdk8s'`, into a value import plus an `import type`, because this repository compiles with
 *    `verbatimModuleSyntax` (TS1484 otherwise). Nothing else in the generated files is touched: they are
 *    reproduced byte for byte by running this script again, and never edited by hand.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const outputDir = join(root, 'constructs', 'imports');

const GENERATED_IMPORT = "import { ApiObject, ApiObjectMetadata, GroupVersionKind } from 'cdk8s';";
const TYPE_SAFE_IMPORT = "import { ApiObject } from 'cdk8s';\nimport type { ApiObjectMetadata, GroupVersionKind } from 'cdk8s';";

for (const file of readdirSync(outputDir, { withFileTypes: true })) {
  if (file.isFile() && file.name.endsWith('.ts')) rmSync(join(outputDir, file.name));
}

execFileSync('npx', ['cdk8s', 'import', '--no-check-upgrade', '--language', 'typescript', '--output', 'constructs/imports'], {
  cwd: root,
  stdio: 'inherit',
});

let rewritten = 0;
for (const name of readdirSync(outputDir).filter((entry) => entry.endsWith('.ts')).sort()) {
  const path = join(outputDir, name);
  const text = readFileSync(path, 'utf8');
  if (!text.includes(GENERATED_IMPORT)) throw new Error(`${name}: the cdk8s import line changed; update stacks/import-crds.ts`);
  writeFileSync(path, text.replace(GENERATED_IMPORT, TYPE_SAFE_IMPORT));
  rewritten += 1;
}
process.stdout.write(`constructs/imports: ${rewritten} files generated\n`);
