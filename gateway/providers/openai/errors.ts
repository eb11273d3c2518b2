/**
 * OpenAI(-compatible) error answers → `UpstreamError`. The provider's message is kept (it tells the caller
 * what was wrong with the request); bodies that are not OpenAI's error JSON are summarised, not echoed
 * whole.
 *
 * @see https://platform.openai.com/docs/guides/error-codes/api-errors
 */
import { UpstreamError, redactSecrets } from '../../errors';
import { openAiErrorBodySchema } from './openai-api';

const MAX_TEXT = 300;

export function openAiErrorToUpstreamError(status: number, bodyText: string, providerName = 'upstream'): UpstreamError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    parsed = undefined;
  }
  const result = openAiErrorBodySchema.safeParse(parsed);
  if (result.success) {
    const error = result.data.error;
    if (typeof error === 'string') {
      return new UpstreamError(redactSecrets(`${providerName} error (${status}): ${error}`), { upstreamStatus: status });
    }
    const code = error.code === null || error.code === undefined ? null : String(error.code);
    return new UpstreamError(redactSecrets(`${providerName} error (${status}): ${error.message ?? 'no message'}`), {
      upstreamStatus: status,
      param: error.param ?? null,
      code,
      ...(status === 429 ? {} : error.type ? { type: error.type } : {}),
    });
  }
  const text = bodyText.trim().slice(0, MAX_TEXT);
  const detail = text.length > 0 ? text : 'empty body';
  return new UpstreamError(redactSecrets(`${providerName} error (${status}): ${detail}`), { upstreamStatus: status });
}
