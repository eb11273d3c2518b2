import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../../../../gateway/errors';
import { ollamaAdapter, ollamaErrorToUpstreamError } from '../../../../gateway/providers/ollama';
import { readJsonFixture } from './fixtures';

interface ErrorFixture {
  readonly scenario: string;
  readonly status: number;
  readonly body: string;
}

const fixtures = readJsonFixture('errors') as ErrorFixture[];
const byScenario = (prefix: string): ErrorFixture => {
  const found = fixtures.find((fixture) => fixture.scenario.startsWith(prefix));
  if (found === undefined) throw new Error(`no error fixture starting with ${prefix}`);
  return found;
};

describe('ollamaErrorToUpstreamError', () => {
  it.each(fixtures)('maps $scenario', ({ status, body }) => {
    const error = ollamaErrorToUpstreamError(status, body);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error.upstreamStatus).toBe(status);
    expect({ message: error.message, status: error.status, type: error.type, code: error.code }).toMatchSnapshot();
  });

  it('keeps a 404 for an unknown model, with the OpenAI code and Ollama message', () => {
    const { status, body } = byScenario('unknown model');
    const error = ollamaErrorToUpstreamError(status, body);
    expect(error.status).toBe(404);
    expect(error.type).toBe('invalid_request_error');
    expect(error.code).toBe('model_not_found');
    expect(error.message).toBe('ollama error (404): model "llama9" not found, try pulling it first');
  });

  it('keeps a 400 as a client error', () => {
    const { status, body } = byScenario('bad request');
    expect(ollamaErrorToUpstreamError(status, body)).toMatchObject({ status: 400, type: 'invalid_request_error', code: null });
  });

  it('turns a 5xx JSON error into a 502 carrying the message', () => {
    const { status, body } = byScenario('runner crashed');
    const error = ollamaErrorToUpstreamError(status, body);
    expect(error).toMatchObject({ status: 502, type: 'upstream_error' });
    expect(error.message).toBe('ollama error (500): llama runner process has terminated: exit status 2');
  });

  it('quotes plain text and malformed JSON as text, and says when the body was empty', () => {
    expect(ollamaErrorToUpstreamError(500, 'Internal Server Error').message).toBe('ollama error (500): Internal Server Error');
    expect(ollamaErrorToUpstreamError(500, '{"error":"llama runner process has termin').message).toBe(
      'ollama error (500): {"error":"llama runner process has termin',
    );
    expect(ollamaErrorToUpstreamError(503, '').message).toBe('ollama error (503): empty body');
    expect(ollamaErrorToUpstreamError(503, '').status).toBe(502);
  });

  it('keeps 429 a rate limit and makes an upstream 401 a 502', () => {
    expect(ollamaErrorToUpstreamError(429, '{"error":"too many requests"}')).toMatchObject({ status: 429, type: 'rate_limit_error' });
    expect(ollamaErrorToUpstreamError(401, '{"error":"unauthorized"}')).toMatchObject({ status: 502, type: 'upstream_error' });
  });

  it('does not echo a long HTML page whole, nor anything key-shaped', () => {
    const page = `<html><body>${'x'.repeat(5000)}</body></html>`;
    expect(ollamaErrorToUpstreamError(502, page).message.length).toBeLessThan(600);
    const leaked = ollamaErrorToUpstreamError(401, '{"error":"invalid key sk-live-abcdefghijklmnop"}');
    expect(leaked.message).not.toContain('abcdefghijklmnop');
  });

  it('is what the adapter uses', () => {
    expect(ollamaAdapter.toUpstreamError).toBe(ollamaErrorToUpstreamError);
  });
});
