/** `perTarget`: each adapter's per-deployment parts are built once per target object, and failures are not kept. */
import { describe, expect, it } from 'vitest';
import type { ChatCompletionRequest } from '../../../gateway/openai';
import { findProviderAdapter } from '../../../gateway/providers';
import { perTarget } from '../../../gateway/providers/provider-adapter';

const request = { model: 'm', messages: [{ role: 'user', content: 'hi' }] } as ChatCompletionRequest;

describe('perTarget', () => {
  it('builds once per target object, and again for another object', () => {
    let builds = 0;
    const headersOf = perTarget((target) => {
      builds += 1;
      return { key: target.apiKey };
    });
    const target = { model: 'a', apiKey: 'one' };
    expect(headersOf(target)).toBe(headersOf(target));
    expect(builds).toBe(1);
    expect(headersOf({ ...target, apiKey: 'two' })).toEqual({ key: 'two' });
    expect(builds).toBe(2);
  });

  it('keeps nothing when the build throws, so a later call builds again', () => {
    let fail = true;
    const endpointOf = perTarget(() => {
      if (fail) throw new Error('no api_base');
      return 'built';
    });
    const target = { model: 'a' };
    expect(() => endpointOf(target)).toThrow('no api_base');
    fail = false;
    expect(endpointOf(target)).toBe('built');
  });

  it.each([
    ['azure', { apiBase: 'https://c.openai.azure.com', apiKey: 'k1' }, 'api-key', 'k1'],
    ['anthropic', { apiKey: 'k2' }, 'x-api-key', 'k2'],
    ['ollama', { apiKey: 'k3' }, 'authorization', 'Bearer k3'],
  ])('%s shares one headers object per deployment and keeps each its own key', (provider, settings, header, value) => {
    const adapter = findProviderAdapter(provider);
    const target = { model: 'm', ...settings, headers: { 'x-team': 'blue' } };
    const first = adapter?.toChatRequest(request, target);
    const second = adapter?.toChatRequest(request, target);
    expect(first?.headers[header]).toBe(value);
    expect(first?.headers['x-team']).toBe('blue');
    expect(second?.headers).toBe(first?.headers);
    const other = adapter?.toChatRequest(request, { ...target, apiKey: 'rotated' });
    expect(other?.headers[header]).toBe(header === 'authorization' ? 'Bearer rotated' : 'rotated');
  });
});
