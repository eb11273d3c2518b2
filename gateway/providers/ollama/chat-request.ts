/**
 * OpenAI chat completion request → Ollama `/api/chat` request.
 *
 * What is translated, and how:
 * - `system` and `developer` messages → `system` (Ollama has no developer role); `user`, `assistant` and
 *   `tool` keep their role; the legacy `function` role → `tool`.
 * - Text parts are concatenated as they are (OpenAI sends a message's parts to the model back to back).
 * - `image_url` parts with a base64 `data:` URL → the message's `images`; Ollama takes no image URLs, so an
 *   `http(s)` URL is rejected naming its `param` (the gateway does not fetch URLs on a client's behalf).
 * - `input_audio` and `file` parts are rejected: Ollama's chat API has no such input.
 * - Assistant `tool_calls` → Ollama `tool_calls` with the JSON `arguments` string parsed into an object.
 * - Tool results → `tool` messages with `tool_name` taken from the assistant turn that issued the call.
 * - Sampling parameters → `options`; `response_format` → `format`; `tools` → `tools` (same function shape);
 *   `reasoning_effort` → `think`; the non-OpenAI `keep_alive` field → `keep_alive`.
 * - `tool_choice`: `auto` is Ollama's only behaviour, `none` is honoured by not sending the tools; `required`
 *   and a named function cannot be expressed and are rejected.
 *
 * Dropped without a trace, on purpose: a message's `name` (Ollama has no participant names) and a tool's
 * `strict` flag (Ollama does not enforce schemas on tool arguments; rejecting `strict: true` would break the
 * many SDKs that set it by default).
 *
 * @see https://github.com/ollama/ollama/blob/main/docs/api.md#generate-a-chat-completion
 */
import { InvalidRequestError } from '../../errors';
import type { ChatCompletionRequest, ChatMessage, ContentPart, FunctionTool, ResponseFormat } from '../../openai';
import type {
  OllamaChatMessage,
  OllamaChatRequest,
  OllamaFormat,
  OllamaKeepAlive,
  OllamaThink,
  OllamaTool,
  OllamaToolCall,
} from './ollama-api';
import { openAiSamplingToOllamaOptions } from './ollama-api';

/**
 * The chat request fields `toOllamaChatRequest` honours, beyond `model`, `messages` and `stream`.
 * `stream_options` is listed because the usage chunk is always produced (the HTTP layer forwards it or not).
 * Not supported, so left out: `n`, `logprobs`, `top_logprobs`, `logit_bias`, `parallel_tool_calls`.
 */
export const OLLAMA_SUPPORTED_CHAT_PARAMS: ReadonlySet<string> = new Set([
  'temperature',
  'top_p',
  'seed',
  'stop',
  'max_tokens',
  'max_completion_tokens',
  'frequency_penalty',
  'presence_penalty',
  'response_format',
  'tools',
  'tool_choice',
  'reasoning_effort',
  'keep_alive',
  'stream_options',
]);

export function toOllamaChatRequest(request: ChatCompletionRequest, model: string): OllamaChatRequest {
  const tools = openAiToolsToOllamaTools(request.tools, request.tool_choice);
  const options = openAiSamplingToOllamaOptions(request);
  const format = openAiResponseFormatToOllamaFormat(request.response_format);
  const think = openAiReasoningEffortToOllamaThink(request.reasoning_effort);
  const keepAlive = readOllamaKeepAlive(request.keep_alive);
  return {
    model,
    messages: openAiMessagesToOllamaMessages(request.messages),
    stream: request.stream ?? false,
    ...(options !== undefined ? { options } : {}),
    ...(format !== undefined ? { format } : {}),
    ...(tools !== undefined ? { tools } : {}),
    ...(think !== undefined ? { think } : {}),
    ...(keepAlive !== undefined ? { keep_alive: keepAlive } : {}),
  };
}

/** Translates the conversation, remembering each tool call's function name for the `tool` message answering it. */
export function openAiMessagesToOllamaMessages(messages: readonly ChatMessage[]): OllamaChatMessage[] {
  const toolNamesByCallId = new Map<string, string>();
  return messages.map((message, messageIndex) => {
    const param = `messages[${messageIndex}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        return withImages({ role: 'system' }, openAiContentToOllamaContent(message.content, `${param}.content`));
      case 'user':
        return withImages({ role: 'user' }, openAiContentToOllamaContent(message.content, `${param}.content`));
      case 'assistant': {
        const { content, images } = openAiContentToOllamaContent(message.content ?? '', `${param}.content`);
        const toolCalls: OllamaToolCall[] = (message.tool_calls ?? []).map((toolCall, toolCallIndex) => {
          toolNamesByCallId.set(toolCall.id, toolCall.function.name);
          return openAiToolCallToOllamaToolCall(
            toolCall.function,
            `${param}.tool_calls[${toolCallIndex}].function.arguments`,
          );
        });
        if (message.function_call != null) {
          toolCalls.push(openAiToolCallToOllamaToolCall(message.function_call, `${param}.function_call.arguments`));
        }
        const thinking = typeof message.reasoning_content === 'string' ? message.reasoning_content : '';
        return {
          role: 'assistant',
          // A refusal is what the assistant said on that turn.
          content: content === '' && typeof message.refusal === 'string' ? message.refusal : content,
          ...(images.length > 0 ? { images } : {}),
          ...(thinking !== '' ? { thinking } : {}),
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        };
      }
      case 'tool': {
        const toolName = toolNamesByCallId.get(message.tool_call_id);
        return withImages(
          { role: 'tool', ...(toolName !== undefined ? { tool_name: toolName } : {}) },
          openAiContentToOllamaContent(message.content, `${param}.content`),
        );
      }
      case 'function':
        return { role: 'tool', content: message.content ?? '', tool_name: message.name };
      default: {
        const unreachable: never = message;
        return unreachable;
      }
    }
  });
}

function withImages(
  message: Omit<OllamaChatMessage, 'content' | 'images'>,
  converted: { content: string; images: string[] },
): OllamaChatMessage {
  return { ...message, content: converted.content, ...(converted.images.length > 0 ? { images: converted.images } : {}) };
}

/** A message's content as Ollama's one string plus base64 images. */
export function openAiContentToOllamaContent(
  content: string | readonly ContentPart[],
  param: string,
): { content: string; images: string[] } {
  if (typeof content === 'string') return { content, images: [] };
  const texts: string[] = [];
  const images: string[] = [];
  content.forEach((part, partIndex) => {
    const partParam = `${param}[${partIndex}]`;
    switch (part.type) {
      case 'text':
        texts.push(part.text);
        break;
      case 'refusal':
        texts.push(part.refusal);
        break;
      case 'image_url':
        images.push(imageUrlToOllamaImage(part.image_url.url, `${partParam}.image_url.url`));
        break;
      case 'input_audio':
      case 'file':
        throw new InvalidRequestError(`ollama does not accept '${part.type}' content parts`, {
          param: partParam,
          code: 'unsupported_content',
        });
      default: {
        const unreachable: never = part;
        return unreachable;
      }
    }
  });
  return { content: texts.join(''), images };
}

/** `data:<mime>;base64,<data>` → `<data>`; anything else is rejected. */
function imageUrlToOllamaImage(url: string, param: string): string {
  const comma = url.indexOf(',');
  if (!url.startsWith('data:') || comma === -1) {
    throw new InvalidRequestError('ollama accepts only base64 images: send the image as a data: URL (data:image/png;base64,…)', {
      param,
      code: 'unsupported_image_url',
    });
  }
  if (!/;base64$/i.test(url.slice(0, comma))) {
    throw new InvalidRequestError('ollama accepts only base64 images: the data: URL must be base64-encoded (;base64,)', {
      param,
      code: 'unsupported_image_url',
    });
  }
  return url.slice(comma + 1);
}

/**
 * OpenAI's JSON-string `arguments` → Ollama's arguments object. An empty string counts as no arguments (`{}`),
 * as some clients send for parameterless functions; anything else must be a JSON object.
 */
function openAiToolCallToOllamaToolCall(
  call: { readonly name: string; readonly arguments: string },
  param: string,
): OllamaToolCall {
  if (call.arguments.trim() === '') return { function: { name: call.name, arguments: {} } };
  let parsed: unknown;
  try {
    parsed = JSON.parse(call.arguments);
  } catch (error) {
    throw new InvalidRequestError('tool call arguments must be a JSON object, got text that is not valid JSON', {
      param,
      cause: error,
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidRequestError(
      `tool call arguments must be a JSON object, got ${Array.isArray(parsed) ? 'an array' : typeof parsed === 'object' ? 'null' : `a ${typeof parsed}`}`,
      { param },
    );
  }
  return { function: { name: call.name, arguments: parsed as Record<string, unknown> } };
}

/** OpenAI tools → Ollama tools (the same function shape), honouring the `tool_choice` values Ollama can express. */
export function openAiToolsToOllamaTools(
  tools: readonly FunctionTool[] | null | undefined,
  toolChoice: ChatCompletionRequest['tool_choice'],
): OllamaTool[] | undefined {
  if (toolChoice != null && toolChoice !== 'auto' && toolChoice !== 'none') {
    const what = toolChoice === 'required' ? "'required'" : 'a named function';
    throw new InvalidRequestError(`ollama cannot force a tool call: tool_choice ${what} is not supported, use 'auto' or 'none'`, {
      param: 'tool_choice',
      code: 'unsupported_value',
    });
  }
  // `none`: the model may not call tools, which Ollama expresses by being given none.
  if (tools == null || tools.length === 0 || toolChoice === 'none') return undefined;
  return tools.map((tool) => ({
    type: 'function',
    function: {
      name: tool.function.name,
      ...(tool.function.description !== undefined ? { description: tool.function.description } : {}),
      ...(tool.function.parameters !== undefined ? { parameters: tool.function.parameters } : {}),
    },
  }));
}

/** `json_object` → `"json"`; `json_schema` → the schema itself; `text` → nothing (Ollama's default). */
export function openAiResponseFormatToOllamaFormat(
  responseFormat: ResponseFormat | null | undefined,
): OllamaFormat | undefined {
  if (responseFormat == null) return undefined;
  switch (responseFormat.type) {
    case 'text':
      return undefined;
    case 'json_object':
      return 'json';
    case 'json_schema':
      if (responseFormat.json_schema.schema === undefined) {
        throw new InvalidRequestError('ollama needs the JSON schema itself for structured outputs', {
          param: 'response_format.json_schema.schema',
        });
      }
      return responseFormat.json_schema.schema;
    default: {
      const unreachable: never = responseFormat;
      return unreachable;
    }
  }
}

/**
 * OpenAI `reasoning_effort` → Ollama `think`: `low`/`medium`/`high` are passed as levels (models such as
 * gpt-oss use them; models with an on/off switch treat any level as on), `none` turns thinking off. `minimal`
 * has no Ollama equivalent and is rejected rather than rounded.
 */
export function openAiReasoningEffortToOllamaThink(reasoningEffort: unknown): OllamaThink | undefined {
  if (reasoningEffort == null) return undefined;
  if (reasoningEffort === 'none') return false;
  if (reasoningEffort === 'low' || reasoningEffort === 'medium' || reasoningEffort === 'high') return reasoningEffort;
  throw new InvalidRequestError(
    `ollama supports reasoning_effort 'none', 'low', 'medium' or 'high', got ${JSON.stringify(reasoningEffort)}`,
    { param: 'reasoning_effort', code: 'unsupported_value' },
  );
}

/** The non-OpenAI `keep_alive` field (a duration such as `"5m"`, or seconds), passed to Ollama as it is. */
export function readOllamaKeepAlive(keepAlive: unknown): OllamaKeepAlive | undefined {
  if (keepAlive == null) return undefined;
  if (typeof keepAlive === 'string' || (typeof keepAlive === 'number' && Number.isFinite(keepAlive))) return keepAlive;
  throw new InvalidRequestError(`keep_alive must be a duration such as "5m" or a number of seconds, got ${JSON.stringify(keepAlive)}`, {
    param: 'keep_alive',
  });
}
