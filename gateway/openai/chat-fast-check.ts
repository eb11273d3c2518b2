/**
 * A quick yes for the chat requests most clients send: plain text messages and the common sampling
 * fields. zod's check of the full chat schema costs microseconds when warm, but on a gateway that serves
 * one stream at a time it runs cold, and there it was the largest step before the upstream call
 * (about 0.2 ms of the time to first token on the bench VM). This check touches a handful of fields.
 *
 * It accepts only what `chatCompletionRequestSchema` accepts, and only bodies that schema returns
 * unchanged (it has no defaults or transforms), so a `true` here stands for zod's verdict. Anything it
 * does not recognise — tools, content parts, other fields — answers `false`, and zod decides, with its
 * precise error messages. A test checks the first claim on many generated bodies.
 */

const ROLES_WITH_TEXT: ReadonlySet<string> = new Set(['system', 'developer', 'user', 'assistant']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function isNumberIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;
}

function isIntegerIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
}

function isTextMessage(value: unknown): boolean {
  if (!isPlainObject(value)) return false;
  let fields = 0;
  for (const field in value) {
    fields += 1;
    if (field !== 'role' && field !== 'content' && field !== 'name') return false;
  }
  const { role, content, name } = value;
  if (typeof role !== 'string' || !ROLES_WITH_TEXT.has(role) || typeof content !== 'string') return false;
  return name === undefined ? fields === 2 : typeof name === 'string';
}

function isStop(value: unknown): boolean {
  if (typeof value === 'string') return true;
  if (!Array.isArray(value) || value.length > 4) return false;
  for (const entry of value) if (typeof entry !== 'string') return false;
  return true;
}

/** Whether `body` is a chat request of the common shape that `chatCompletionRequestSchema` accepts as is. */
export function isCommonChatRequest(body: unknown): boolean {
  if (!isPlainObject(body)) return false;
  for (const field in body) {
    const value = body[field];
    // Every field but model and messages may be null (zod's nullish).
    if (value === null && field !== 'model' && field !== 'messages' && field !== 'drop_params') continue;
    switch (field) {
      case 'model':
        if (typeof value !== 'string' || value.length === 0) return false;
        break;
      case 'messages':
        if (!Array.isArray(value) || value.length === 0) return false;
        for (const message of value) if (!isTextMessage(message)) return false;
        break;
      case 'max_tokens':
      case 'max_completion_tokens':
        if (!isIntegerIn(value, 1, Number.MAX_SAFE_INTEGER)) return false;
        break;
      case 'n':
        if (!isIntegerIn(value, 1, 128)) return false;
        break;
      case 'seed':
        if (!isIntegerIn(value, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)) return false;
        break;
      case 'temperature':
        if (!isNumberIn(value, 0, 2)) return false;
        break;
      case 'top_p':
        if (!isNumberIn(value, 0, 1)) return false;
        break;
      case 'frequency_penalty':
      case 'presence_penalty':
        if (!isNumberIn(value, -2, 2)) return false;
        break;
      case 'stream':
      case 'logprobs':
      case 'parallel_tool_calls':
      case 'drop_params':
        if (typeof value !== 'boolean') return false;
        break;
      case 'stream_options': {
        if (!isPlainObject(value)) return false;
        for (const option in value) {
          if (option !== 'include_usage' || typeof value[option] !== 'boolean') return false;
        }
        break;
      }
      case 'stop':
        if (!isStop(value)) return false;
        break;
      case 'user':
        if (typeof value !== 'string') return false;
        break;
      default:
        return false;
    }
  }
  return typeof body.model === 'string' && Array.isArray(body.messages);
}
