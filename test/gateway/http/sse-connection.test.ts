/**
 * A stream's connection follows the client: kept alive for a client that keeps connections, closed after
 * the stream for one that sent `Connection: close` (the SSE writer forces no `connection` header).
 */
import { Agent, request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../../support/gateway-harness';
import type { RunningGateway } from '../../support/gateway-harness';

let gateway: RunningGateway;

beforeAll(async () => {
  gateway = await startGateway('model_list:\n  - model_name: mock\n    litellm_params: { model: openai/mock, mock_response: "one two three" }\n');
});
afterAll(() => gateway.close());

function stream(headers: Record<string, string>, agent: Agent): Promise<{ headers: IncomingHttpHeaders; body: string; socketClosed: boolean }> {
  const body = JSON.stringify({ model: 'mock', messages: [{ role: 'user', content: 'hi' }], stream: true });
  return new Promise((resolve, reject) => {
    const outgoing = request(`${gateway.url}/v1/chat/completions`, { method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } }, (response) => {
      let text = '';
      // Captured now: a kept-alive socket goes back to the agent (and off the response) at the end.
      const socket = response.socket;
      response.setEncoding('utf8').on('data', (piece: string) => (text += piece));
      response.on('end', () => {
        // The socket closes right after the body when the server said `close`; give it a moment.
        setTimeout(() => resolve({ headers: response.headers, body: text, socketClosed: socket.destroyed }), 50);
      });
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

describe('SSE connection handling', () => {
  it('keeps the connection alive for a keep-alive client', async () => {
    const agent = new Agent({ keepAlive: true });
    try {
      const answer = await stream({}, agent);
      expect(answer.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(answer.headers.connection).toBe('keep-alive');
      expect(answer.body.endsWith('data: [DONE]\n\n')).toBe(true);
      expect(answer.socketClosed).toBe(false);
    } finally {
      agent.destroy();
    }
  });

  it('closes the connection after the stream when the client asked to', async () => {
    const agent = new Agent({ keepAlive: false });
    const answer = await stream({ connection: 'close' }, agent);
    expect(answer.headers.connection).toBe('close');
    expect(answer.body.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(answer.socketClosed).toBe(true);
  });
});
