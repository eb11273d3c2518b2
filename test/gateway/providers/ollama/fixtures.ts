/** Reads this folder's recorded Ollama fixtures and holds the translation context the tests share. */
import { readFileSync } from 'node:fs';
import type { TranslationContext } from '../../../../gateway/providers/provider-adapter';

export const CONTEXT: TranslationContext = { requestModel: 'local-llama', callId: 'call0001', created: 1_700_000_000 };

/** The raw text of `__fixtures__/ollama-<scenario>.<extension>`. */
export function readFixtureText(name: string): string {
  return readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
}

/** `__fixtures__/ollama-<scenario>.json`, parsed. */
export function readJsonFixture(scenario: string): unknown {
  return JSON.parse(readFixtureText(`ollama-${scenario}.json`));
}

/** `__fixtures__/ollama-<scenario>.chunks.txt`: the NDJSON body exactly as Ollama sent it. */
export function readChunksFixture(scenario: string): string {
  return readFixtureText(`ollama-${scenario}.chunks.txt`);
}
