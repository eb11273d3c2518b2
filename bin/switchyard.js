#!/usr/bin/env node
// Runs the gateway from source (TypeScript through tsx). The container image runs the bundled
// `dist/gateway/main.js` instead.
import { register } from 'tsx/esm/api';

register();
await import('../gateway/main.ts');
