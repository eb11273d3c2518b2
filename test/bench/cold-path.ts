/**
 * Cold-path benchmark (`npm run bench:cold`). Never a test: it reports.
 *
 * Sequential streams leave the gateway's core idle between requests (the TTFT phase of `npm run bench`
 * waits for each stream to end before starting the next). This measures what that does to the work on
 * a request's path: each step is timed once right after a 40 ms idle (as in the TTFT phase) and in a
 * tight loop (as under load), in the same run, and reported as the cold ÷ warm ratio. Plain
 * `JSON.parse` of the same body is the baseline every other step is compared with.
 */
import { createHash, hash, timingSafeEqual } from 'node:crypto';
import { parseArgs } from 'node:util';
import { chatCompletionRequestSchema, isCommonChatRequest } from '../../gateway/openai';

const BODY = {
  model: 'bench-model',
  messages: [
    { role: 'system', content: 'You are a helpful assistant. Answer briefly.' },
    { role: 'user', content: 'Say hello to the benchmark in one short sentence.' },
  ],
  max_tokens: 64,
  temperature: 0.2,
  stream: true,
  stream_options: { include_usage: true },
};
const TEXT = JSON.stringify(BODY);
const CHUNK = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion.chunk',
  created: 1_700_000_000,
  model: 'bench-model',
  choices: [{ index: 0, delta: { content: 'Hello' }, finish_reason: null }],
});

const MASTER_KEY = 'sk-bench-master-key-0123456789abcdef';
const MASTER_DIGEST = createHash('sha256').update(MASTER_KEY, 'utf8').digest();

const steps: [string, () => unknown][] = [
  ['JSON.parse (request body)', () => JSON.parse(TEXT)],
  ['zod: chat request schema', () => chatCompletionRequestSchema.parse(JSON.parse(TEXT))],
  ['quick check, then zod if needed', () => {
    const body: unknown = JSON.parse(TEXT);
    return isCommonChatRequest(body) ? body : chatCompletionRequestSchema.parse(body);
  }],
  ['JSON.stringify (upstream body)', () => JSON.stringify(BODY)],
  ['chunk: parse + stringify', () => `data: ${JSON.stringify(JSON.parse(CHUNK))}\n\n`],
  ['master key: createHash + compare', () => timingSafeEqual(createHash('sha256').update(MASTER_KEY, 'utf8').digest(), MASTER_DIGEST)],
  ['master key: one-shot hash + compare', () => timingSafeEqual(hash('sha256', MASTER_KEY, 'buffer'), MASTER_DIGEST)],
];

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

async function measure(step: () => unknown, samples: number, idleMs: number): Promise<{ warmUs: number; coldUs: number }> {
  for (let index = 0; index < 20_000; index += 1) step();
  const cold: number[] = [];
  for (let index = 0; index < samples; index += 1) {
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    const started = performance.now();
    step();
    cold.push((performance.now() - started) * 1000);
  }
  const rounds = 20_000;
  const started = performance.now();
  for (let index = 0; index < rounds; index += 1) step();
  return { warmUs: ((performance.now() - started) * 1000) / rounds, coldUs: median(cold) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { samples: { type: 'string', default: '60' }, 'idle-ms': { type: 'string', default: '40' } } });
  const samples = Number(values.samples);
  const idleMs = Number(values['idle-ms']);
  process.stdout.write(`cold path: each step once after ${idleMs} ms idle (median of ${samples}) against a tight loop, node ${process.version}\n\n`);
  process.stdout.write(`${'step'.padEnd(34)}${'warm µs'.padStart(9)}${'cold µs'.padStart(9)}${'cold÷warm'.padStart(11)}${'cold÷JSON.parse cold'.padStart(22)}\n`);
  let baselineCold = Number.NaN;
  for (const [name, step] of steps) {
    const { warmUs, coldUs } = await measure(step, samples, idleMs);
    if (Number.isNaN(baselineCold)) baselineCold = coldUs;
    process.stdout.write(
      `${name.padEnd(34)}${warmUs.toFixed(2).padStart(9)}${coldUs.toFixed(1).padStart(9)}${(coldUs / warmUs).toFixed(1).padStart(11)}${(coldUs / baselineCold).toFixed(2).padStart(22)}\n`,
    );
  }
}

await main();
