#!/usr/bin/env node
// The `switchyard` command. It runs the production bundle (dist/gateway/main.js, built by `npm ci`
// through the `prepare` script, or by `npm run build:gateway`) when that bundle is newer than every
// source file, because it starts several times faster; otherwise it runs the TypeScript sources
// through tsx, so an edited checkout always runs what is on disk.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist/gateway/main.js');

function newestSource(folder) {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const bundleIsFresh =
  existsSync(bundle) &&
  statSync(bundle).mtimeMs >= Math.max(newestSource(join(root, 'gateway')), statSync(join(root, 'package.json')).mtimeMs);

if (bundleIsFresh && process.env.SWITCHYARD_FROM_SOURCE !== '1') {
  await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../gateway/main.ts');
}
