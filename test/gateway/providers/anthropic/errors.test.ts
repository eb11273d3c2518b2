import { describe, expect, it } from 'vitest';
import { UpstreamError, toOpenAiErrorBody } from '../../../../gateway/errors';
import {
  anthropicAdapter,
  anthropicErrorToUpstreamError,
  anthropicErrorTypeToHttpStatus,
  anthropicStreamErrorToUpstreamError,
} from '../../../../gateway/providers/anthropic';
import { readErrorFixture } from './anthropic-fixtures';

interface ErrorCase {
  readonly fixture: string;
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly message: string;
}

const errorCases: ErrorCase[] = [
  {
    fixture: 'anthropic-error-rate-limit.json',
    status: 429,
    type: 'rate_limit_error',
    code: 'rate_limit_error',
    message: 'anthropic rate_limit_error (HTTP 429): This request would exceed the rate limit for your organization',
  },
  {
    fixture: 'anthropic-error-overloaded.json',
    status: 502,
    type: 'upstream_error',
    code: 'overloaded_error',
    message: 'anthropic overloaded_error (HTTP 529): Overloaded',
  },
  {
    fixture: 'anthropic-error-invalid-request.json',
    status: 400,
    type: 'invalid_request_error',
    code: 'invalid_request_error',
    message: 'anthropic invalid_request_error (HTTP 400): prompt is too long: 205351 tokens > 200000 maximum',
  },
  {
    // The gateway's own key was refused: not the caller's fault, so not a 401 to the caller.
    fixture: 'anthropic-error-authentication.json',
    status: 502,
    type: 'upstream_error',
    code: 'authentication_error',
    message: 'anthropic authentication_error (HTTP 401): invalid x-api-key',
  },
  {
    fixture: 'anthropic-error-plain-text.json',
    status: 502,
    type: 'upstream_error',
    code: null,
    message: 'anthropic answered HTTP 500: upstream connect error or disconnect/reset before headers. reset reason: connection termination',
  },
  {
    fixture: 'anthropic-error-malformed-json.json',
    status: 502,
    type: 'upstream_error',
    code: null,
    message: 'anthropic answered HTTP 500 with a malformed JSON body',
  },
  {
    fixture: 'anthropic-error-html.json',
    status: 502,
    type: 'upstream_error',
    code: null,
    message: 'anthropic answered HTTP 502 with an HTML body',
  },
];

describe('anthropicErrorToUpstreamError', () => {
  it.each(errorCases)('maps $fixture to $status $type', ({ fixture, status, type, code, message }) => {
    const { status: upstreamStatus, bodyText } = readErrorFixture(fixture);
    const error = anthropicErrorToUpstreamError(upstreamStatus, bodyText);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.status).toBe(status);
    expect(error.upstreamStatus).toBe(upstreamStatus);
    expect(error.type).toBe(type);
    expect(error.code).toBe(code);
    expect(error.message.startsWith(message)).toBe(true);
    expect(toOpenAiErrorBody(error)).toEqual({ error: { message: error.message, type, param: null, code } });
  });

  it('is what the adapter uses', () => {
    const { status, bodyText } = readErrorFixture('anthropic-error-rate-limit.json');
    expect(anthropicAdapter.toUpstreamError(status, bodyText)).toEqual(anthropicErrorToUpstreamError(status, bodyText));
  });

  it('shortens long text bodies and describes empty and foreign JSON bodies', () => {
    const long = anthropicErrorToUpstreamError(503, `Service Unavailable ${'x'.repeat(2000)}`);
    expect(long.message.length).toBeLessThan(400);
    expect(long.message.endsWith('…')).toBe(true);
    expect(anthropicErrorToUpstreamError(503, '  ').message).toBe('anthropic answered HTTP 503 with an empty body');
    expect(anthropicErrorToUpstreamError(500, '{"detail":"nope"}').message).toBe(
      'anthropic answered HTTP 500 with a JSON body that is not an Anthropic error',
    );
  });

  it('never repeats a key that a proxy echoed into the body', () => {
    const key = 'sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789';
    const plain = anthropicErrorToUpstreamError(502, `bad gateway for request with x-api-key: ${key}`);
    const json = anthropicErrorToUpstreamError(
      401,
      JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: `invalid key ${key}` } }),
    );
    for (const error of [plain, json]) {
      expect(error.message).not.toContain(key);
      expect(error.message).not.toContain('AbCdEfGhIjKlMnOp');
    }
  });
});

describe('anthropicStreamErrorToUpstreamError', () => {
  it.each([
    ['overloaded_error', 529, 502, 'upstream_error'],
    ['rate_limit_error', 429, 429, 'rate_limit_error'],
    ['api_error', 500, 502, 'upstream_error'],
    ['invalid_request_error', 400, 400, 'invalid_request_error'],
    ['request_too_large', 413, 413, 'invalid_request_error'],
    ['timeout_error', 504, 502, 'upstream_error'],
    ['some_future_error', null, 502, 'upstream_error'],
  ] as const)('maps %s to upstream %s and gateway %s', (errorType, upstreamStatus, status, type) => {
    const error = anthropicStreamErrorToUpstreamError({ type: errorType, message: 'details' });
    expect(anthropicErrorTypeToHttpStatus(errorType)).toBe(upstreamStatus);
    expect(error).toMatchObject({ status, upstreamStatus, type, code: errorType });
    expect(error.message).toBe(`anthropic ${errorType} during the stream: details`);
  });
});
