/**
 * Budget alerts to a webhook (LiteLLM's `WEBHOOK_URL`): a JSON POST per event, fire-and-forget with a
 * short timeout; a failed delivery is reported, never retried into the request path.
 */
import { request } from 'undici';

export function createWebhookSender(url: string, onError: (error: unknown) => void, timeoutMs = 5_000): (event: object) => void {
  return (event) => {
    request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    })
      .then(async (response) => {
        await response.body.dump();
        if (response.statusCode >= 400) onError(new Error(`webhook answered ${response.statusCode}`));
      })
      .catch(onError);
  };
}
