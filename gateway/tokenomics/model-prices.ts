/**
 * List prices of common hosted models, in USD per token, kept as data. Sources: the providers' public
 * pricing pages (OpenAI: openai.com/api/pricing; Anthropic: anthropic.com/pricing; Groq: groq.com/pricing;
 * Mistral: mistral.ai/pricing). A deployment's `input_cost_per_token` / `output_cost_per_token` (or
 * `model_info`) override these, which is how self-hosted GPU models are charged back.
 */
export interface ModelPrice {
  /** Uncached input tokens. */
  readonly inputPerToken: number;
  readonly outputPerToken: number;
  /** Input tokens read from the provider's prompt cache. @default inputPerToken */
  readonly cachedInputPerToken?: number;
  /** Input tokens written to the provider's prompt cache (Anthropic). @default inputPerToken */
  readonly cacheWritePerToken?: number;
}

const perMillion = (input: number, output: number, cachedInput?: number, cacheWrite?: number): ModelPrice => ({
  inputPerToken: input / 1e6,
  outputPerToken: output / 1e6,
  ...(cachedInput !== undefined ? { cachedInputPerToken: cachedInput / 1e6 } : {}),
  ...(cacheWrite !== undefined ? { cacheWritePerToken: cacheWrite / 1e6 } : {}),
});

/** Keyed by the provider's model name, without the LiteLLM provider prefix. */
export const MODEL_PRICES: Readonly<Record<string, ModelPrice>> = {
  // OpenAI
  'gpt-4o': perMillion(2.5, 10, 1.25),
  'gpt-4o-mini': perMillion(0.15, 0.6, 0.075),
  'gpt-4.1': perMillion(2, 8, 0.5),
  'gpt-4.1-mini': perMillion(0.4, 1.6, 0.1),
  'gpt-4.1-nano': perMillion(0.1, 0.4, 0.025),
  'o3': perMillion(2, 8, 0.5),
  'o4-mini': perMillion(1.1, 4.4, 0.275),
  'gpt-3.5-turbo': perMillion(0.5, 1.5),
  'gpt-3.5-turbo-instruct': perMillion(1.5, 2),
  'text-embedding-3-small': perMillion(0.02, 0),
  'text-embedding-3-large': perMillion(0.13, 0),
  // Anthropic (cache write at 1.25x input for the 5-minute cache, cache read at 0.1x)
  'claude-opus-4-1': perMillion(15, 75, 1.5, 18.75),
  'claude-opus-4': perMillion(15, 75, 1.5, 18.75),
  'claude-sonnet-4-5': perMillion(3, 15, 0.3, 3.75),
  'claude-sonnet-4': perMillion(3, 15, 0.3, 3.75),
  'claude-3-7-sonnet': perMillion(3, 15, 0.3, 3.75),
  'claude-haiku-4-5': perMillion(1, 5, 0.1, 1.25),
  'claude-3-5-haiku': perMillion(0.8, 4, 0.08, 1),
  // Groq
  'llama-3.1-8b-instant': perMillion(0.05, 0.08),
  'llama-3.3-70b-versatile': perMillion(0.59, 0.79),
  // Mistral
  'mistral-large-latest': perMillion(2, 6),
  'mistral-small-latest': perMillion(0.1, 0.3),
};

/**
 * The list price for a model name: exact, else with a trailing date or `-latest` removed
 * (`gpt-4o-mini-2024-07-18` → `gpt-4o-mini`, `claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`).
 */
export function findModelPrice(model: string): ModelPrice | undefined {
  const name = model.includes('/') ? model.slice(model.lastIndexOf('/') + 1) : model;
  return MODEL_PRICES[name] ?? MODEL_PRICES[name.replace(/-(\d{4}-\d{2}-\d{2}|\d{8}|latest)$/, '')];
}
