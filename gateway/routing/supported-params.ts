/**
 * `drop_params`: a request field the chosen provider cannot honour is either dropped (when
 * `litellm_settings.drop_params`, the deployment's `drop_params` or the request's own `drop_params` says so)
 * or rejected with a 400 naming it. Never silently forwarded into a provider that would ignore it.
 *
 * @see https://docs.litellm.ai/docs/completion/drop_params
 */
import { InvalidRequestError } from '../errors';
import type { SupportedParams } from '../providers';

/**
 * Fields every operation handles itself, whatever the provider. `user` and `metadata` identify and tag the
 * call (the gateway reads them for end-user tracking); a provider without such fields does not receive
 * them, which changes nothing about the answer.
 */
const ALWAYS_HANDLED = new Set(['model', 'messages', 'prompt', 'input', 'stream', 'stream_options', 'drop_params', 'user', 'metadata']);

/** Values that ask for exactly what every provider does anyway (SDKs send some by default). */
const NEUTRAL_VALUES: Readonly<Record<string, unknown>> = { n: 1, logprobs: false };

export interface ParamCheck<T> {
  readonly request: T;
  /** The fields that were dropped, in request order. */
  readonly dropped: string[];
}

export function enforceSupportedParams<T extends object>(
  request: T,
  supported: SupportedParams,
  dropParams: boolean,
  providerId: string,
): ParamCheck<T> {
  if (supported === 'all') return { request, dropped: [] };
  let dropped: string[] | undefined;
  // `for…in` rather than `Object.entries`: no array of pairs per request (bodies are plain parsed JSON).
  for (const key in request) {
    const value = (request as Record<string, unknown>)[key];
    if (value === undefined || value === null || ALWAYS_HANDLED.has(key) || supported.has(key) || NEUTRAL_VALUES[key] === value) continue;
    if (!dropParams) {
      throw new InvalidRequestError(
        `${providerId} does not support the parameter '${key}'; remove it, or set drop_params: true ` +
          '(in the request, the deployment or litellm_settings) to drop unsupported parameters',
        { param: key, code: 'unsupported_parameter' },
      );
    }
    (dropped ??= []).push(key);
  }
  if (dropped === undefined) return { request, dropped: [] };
  const copy: Record<string, unknown> = { ...(request as Record<string, unknown>) };
  for (const key of dropped) delete copy[key];
  return { request: copy as T, dropped };
}
