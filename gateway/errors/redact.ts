/**
 * Removes key-shaped tokens from text that is about to be shown to a client or written to a log, such as
 * an upstream's "Incorrect API key provided: sk-abc***xyz".
 */
const KEY_LIKE = /\b(?:sk|pk|rk|ak|key|api|token|bearer)[-_][A-Za-z0-9*._-]{6,}|\b[A-Za-z0-9+/_-]{40,}={0,2}/gi;

export function redactSecrets(text: string): string {
  return text.replace(KEY_LIKE, '[redacted]');
}
