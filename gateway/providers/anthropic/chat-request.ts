/**
 * OpenAI Chat Completions request → Anthropic Messages request.
 *
 * What changes shape on the way (everything else is a rename):
 * - `system` and `developer` messages, wherever they appear, become the top-level `system` (Anthropic has no
 *   system role inside `messages`), in their original order — as LiteLLM does.
 * - Consecutive messages of the same role are merged into one turn, because Anthropic requires user and
 *   assistant turns to alternate. `tool` messages are user turns made of `tool_result` blocks, so a run of
 *   tool results (and a user message after them) becomes one user turn.
 * - `max_tokens` is required by Anthropic; without `max_completion_tokens`/`max_tokens` the gateway sends
 *   4096, as LiteLLM does.
 * - `response_format` has no Anthropic equivalent; as LiteLLM does, it is emulated by a forced tool named
 *   `json_tool_call` whose input schema is the requested schema. The response and stream translators turn
 *   that tool call back into JSON message content.
 * - Fields that are not part of OpenAI's request (`top_k`, `thinking`, …) are forwarded as they are, as the
 *   gateway's request schema promises; Anthropic rejects the ones it does not know by name.
 *
 * What is dropped on purpose, because Anthropic has no such concept and it does not change the answer:
 * the `name` of a message, the `detail` of an image, `strict` on tools and JSON schemas, and OpenAI's
 * request `metadata` (gateway-side tags; only a string `metadata.user_id` is used, when `user` is absent).
 *
 * Everything that cannot be translated faithfully is a 400 naming the `param`, never a silent change.
 *
 * @see https://docs.anthropic.com/en/api/messages
 * @see https://docs.anthropic.com/en/api/openai-sdk
 */
import { z } from 'zod';
import { chatCompletionRequestSchema } from '../../openai';
import type { ChatCompletionRequest, ChatMessage, ContentPart, FunctionTool, ResponseFormat, ToolChoice } from '../../openai';
import { InvalidRequestError } from '../../errors';
import { perTarget } from '../provider-adapter';
import type { UpstreamRequest, UpstreamTarget } from '../provider-adapter';
import {
  ANTHROPIC_IMAGE_MEDIA_TYPES,
  anthropicCacheControlSchema,
  anthropicRedactedThinkingBlockParamSchema,
  anthropicThinkingBlockParamSchema,
} from './anthropic-api';
import type {
  AnthropicCacheControl,
  AnthropicContentBlockParam,
  AnthropicDocumentBlockParam,
  AnthropicImageBlockParam,
  AnthropicImageMediaType,
  AnthropicMessageParam,
  AnthropicMessagesRequest,
  AnthropicRedactedThinkingBlockParam,
  AnthropicTextBlockParam,
  AnthropicThinkingBlockParam,
  AnthropicTool,
  AnthropicToolChoice,
  AnthropicToolResultBlockParam,
} from './anthropic-api';

/** Used when the deployment sets no `api_base`. */
export const ANTHROPIC_DEFAULT_API_BASE = 'https://api.anthropic.com';

/** Sent as `anthropic-version` unless the deployment sets `api_version`. @see https://docs.anthropic.com/en/api/versioning */
export const ANTHROPIC_DEFAULT_API_VERSION = '2023-06-01';

/** `max_tokens` when the client sets none (Anthropic requires it); LiteLLM's default. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

/**
 * The tool that emulates `response_format` (LiteLLM's name, so that clients moving over see the same
 * thing). A client tool may not use the name: a `tool_use` with it is always the gateway's JSON answer.
 */
export const RESPONSE_FORMAT_TOOL_NAME = 'json_tool_call';

/** The OpenAI request fields this module translates (or deliberately ignores); the rest are forwarded. */
const OPENAI_CHAT_FIELDS: ReadonlySet<string> = new Set(Object.keys(chatCompletionRequestSchema.shape));

/** Anthropic fields the translation itself produces: a forwarded field must not overwrite them. */
const TRANSLATED_ANTHROPIC_FIELDS: ReadonlySet<string> = new Set(['system', 'stop_sequences']);

/** `thinking_blocks` on an assistant message, as LiteLLM returns them, for multi-turn extended thinking. */
const thinkingBlocksSchema = z.array(
  z.discriminatedUnion('type', [anthropicThinkingBlockParamSchema, anthropicRedactedThinkingBlockParamSchema]),
);

type ContentBlock = AnthropicContentBlockParam;
type CacheableBlock = Exclude<ContentBlock, AnthropicThinkingBlockParam | AnthropicRedactedThinkingBlockParam>;

interface Turn {
  role: 'user' | 'assistant';
  blocks: ContentBlock[];
}

// ---------------------------------------------------------------------------------------------------------
// Content
// ---------------------------------------------------------------------------------------------------------

function readCacheControl(value: unknown, param: string): AnthropicCacheControl | undefined {
  if (value === undefined || value === null) return undefined;
  const parsed = anthropicCacheControlSchema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidRequestError('cache_control must be {"type": "ephemeral"} with an optional ttl of "5m" or "1h"', {
      param,
    });
  }
  return parsed.data;
}

function withCacheControl<Block extends CacheableBlock>(block: Block, cacheControl: AnthropicCacheControl | undefined): Block {
  return cacheControl === undefined ? block : { ...block, cache_control: cacheControl };
}

interface DataUrl {
  readonly mediaType: string;
  readonly base64: boolean;
  readonly data: string;
}

function parseDataUrl(url: string): DataUrl | undefined {
  if (!url.startsWith('data:')) return undefined;
  const comma = url.indexOf(',');
  if (comma < 0) return undefined;
  const [mediaType = '', ...parameters] = url.slice('data:'.length, comma).split(';');
  return { mediaType: mediaType.trim().toLowerCase(), base64: parameters.includes('base64'), data: url.slice(comma + 1) };
}

function isAnthropicImageMediaType(value: string): value is AnthropicImageMediaType {
  return (ANTHROPIC_IMAGE_MEDIA_TYPES as readonly string[]).includes(value);
}

/**
 * An OpenAI `image_url` → an Anthropic image block: a base64 `data:` URL becomes a `base64` source, an
 * http(s) URL a `url` source (Anthropic fetches it).
 *
 * @see https://docs.anthropic.com/en/docs/build-with-claude/vision
 */
export function openAiImageUrlToAnthropicImageBlock(url: string, param: string): AnthropicImageBlockParam {
  const dataUrl = parseDataUrl(url);
  if (dataUrl !== undefined) {
    if (!dataUrl.base64) throw new InvalidRequestError('image data URLs must be base64-encoded (data:<type>;base64,…)', { param });
    if (!isAnthropicImageMediaType(dataUrl.mediaType)) {
      throw new InvalidRequestError(
        `anthropic accepts image/jpeg, image/png, image/gif or image/webp images, got ${dataUrl.mediaType || 'no media type'}`,
        { param },
      );
    }
    return { type: 'image', source: { type: 'base64', media_type: dataUrl.mediaType, data: dataUrl.data } };
  }
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw new InvalidRequestError('image_url.url must be an http(s) URL or a base64 data URL', { param });
}

/**
 * An OpenAI `file` part → an Anthropic document block. Anthropic reads PDFs; the file must be inline
 * (`file_data` as a base64 `data:application/pdf` URL), since OpenAI `file_id`s mean nothing to Anthropic.
 *
 * @see https://docs.anthropic.com/en/docs/build-with-claude/pdf-support
 */
function openAiFileToAnthropicDocumentBlock(file: Record<string, unknown>, param: string): AnthropicDocumentBlockParam {
  const dataUrl = typeof file.file_data === 'string' ? parseDataUrl(file.file_data) : undefined;
  if (dataUrl === undefined || !dataUrl.base64 || dataUrl.mediaType !== 'application/pdf') {
    throw new InvalidRequestError(
      'anthropic accepts files only as file_data holding a base64 data:application/pdf URL',
      { param },
    );
  }
  return { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: dataUrl.data } };
}

type Role = 'system' | 'user' | 'assistant' | 'tool';

/** Which content parts each role may carry, in Anthropic's terms. */
function contentPartToAnthropicBlock(part: ContentPart, role: Role, param: string): CacheableBlock {
  const cacheControl = readCacheControl(part.cache_control, `${param}.cache_control`);
  switch (part.type) {
    case 'text':
      return withCacheControl<AnthropicTextBlockParam>({ type: 'text', text: part.text }, cacheControl);
    case 'refusal':
      // A refusal the assistant gave earlier is, to Anthropic, just what the assistant said.
      if (role !== 'assistant') {
        throw new InvalidRequestError('refusal content parts are only valid in assistant messages', { param });
      }
      return withCacheControl<AnthropicTextBlockParam>({ type: 'text', text: part.refusal }, cacheControl);
    case 'image_url':
      if (role !== 'user' && role !== 'tool') {
        throw new InvalidRequestError(`anthropic accepts images only in user and tool messages, not in ${role} messages`, {
          param,
        });
      }
      return withCacheControl(openAiImageUrlToAnthropicImageBlock(part.image_url.url, `${param}.image_url.url`), cacheControl);
    case 'file':
      if (role !== 'user') {
        throw new InvalidRequestError(`anthropic accepts files only in user messages, not in ${role} messages`, { param });
      }
      return withCacheControl(openAiFileToAnthropicDocumentBlock(part.file, `${param}.file`), cacheControl);
    case 'input_audio':
      throw new InvalidRequestError('anthropic does not accept audio input', { param });
    default: {
      const unreachable: never = part;
      return unreachable;
    }
  }
}

function contentToAnthropicBlocks(
  content: string | ContentPart[] | null | undefined,
  role: Role,
  param: string,
): CacheableBlock[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return content.map((part, index) => contentPartToAnthropicBlock(part, role, `${param}[${index}]`));
}

/**
 * Message-level `cache_control` (LiteLLM's shorthand) marks the message's last block.
 *
 * @see https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching
 */
function applyMessageCacheControl(blocks: ContentBlock[], message: ChatMessage, param: string): void {
  const cacheControl = readCacheControl(message.cache_control, `${param}.cache_control`);
  if (cacheControl === undefined) return;
  const last = blocks.at(-1);
  if (last === undefined || last.type === 'thinking' || last.type === 'redacted_thinking') {
    throw new InvalidRequestError('cache_control needs a message that ends with text, an image or a tool call', {
      param: `${param}.cache_control`,
    });
  }
  blocks[blocks.length - 1] = { ...last, cache_control: cacheControl };
}

/**
 * Tool-call `arguments` (a JSON string) → the `input` object of a `tool_use` block. An empty string means
 * "no arguments" (some clients send it for parameterless tools).
 */
function toolCallArgumentsToAnthropicInput(argumentsText: string, param: string): Record<string, unknown> {
  if (argumentsText.trim() === '') return {};
  let input: unknown;
  try {
    input = JSON.parse(argumentsText);
  } catch {
    throw new InvalidRequestError('tool call arguments must be a JSON object; this is not valid JSON', { param });
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidRequestError('tool call arguments must be a JSON object', { param });
  }
  return input as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------------------

function assistantMessageToAnthropicBlocks(message: Extract<ChatMessage, { role: 'assistant' }>, param: string): ContentBlock[] {
  if (message.function_call !== null && message.function_call !== undefined) {
    throw new InvalidRequestError('the deprecated function_call is not supported; send tool_calls instead', {
      param: `${param}.function_call`,
    });
  }
  const blocks: ContentBlock[] = [];
  if (message.thinking_blocks !== undefined && message.thinking_blocks !== null) {
    const thinking = thinkingBlocksSchema.safeParse(message.thinking_blocks);
    if (!thinking.success) {
      throw new InvalidRequestError(
        'thinking_blocks must be a list of {"type": "thinking", "thinking", "signature"} or {"type": "redacted_thinking", "data"} blocks',
        { param: `${param}.thinking_blocks` },
      );
    }
    blocks.push(...thinking.data);
  }
  blocks.push(...contentToAnthropicBlocks(message.content, 'assistant', `${param}.content`));
  (message.tool_calls ?? []).forEach((call, index) => {
    const callParam = `${param}.tool_calls[${index}]`;
    blocks.push({
      type: 'tool_use',
      id: call.id,
      name: call.function.name,
      input: toolCallArgumentsToAnthropicInput(call.function.arguments, `${callParam}.function.arguments`),
    });
  });
  return blocks;
}

function toolMessageToAnthropicBlock(message: Extract<ChatMessage, { role: 'tool' }>, param: string): AnthropicToolResultBlockParam {
  const content =
    typeof message.content === 'string'
      ? message.content
      : message.content.map((part, index) => {
          const block = contentPartToAnthropicBlock(part, 'tool', `${param}.content[${index}]`);
          if (block.type !== 'text' && block.type !== 'image') {
            throw new InvalidRequestError('tool results may contain only text and images', {
              param: `${param}.content[${index}]`,
            });
          }
          return block;
        });
  return { type: 'tool_result', tool_use_id: message.tool_call_id, content };
}

/** A turn's blocks as Anthropic content: a lone plain text block is sent as a string. */
function turnToAnthropicMessage(turn: Turn): AnthropicMessageParam {
  const [only] = turn.blocks;
  if (turn.blocks.length === 1 && only !== undefined && only.type === 'text' && only.cache_control === undefined) {
    return { role: turn.role, content: only.text };
  }
  // Anthropic rejects empty text blocks; an empty string next to other content says nothing.
  const blocks = turn.blocks.filter((block) => !(block.type === 'text' && block.text === '' && block.cache_control === undefined));
  return { role: turn.role, content: blocks.length > 0 ? blocks : '' };
}

interface TranslatedMessages {
  readonly system?: string | AnthropicTextBlockParam[];
  readonly messages: AnthropicMessageParam[];
}

/**
 * OpenAI `messages` → Anthropic `system` and alternating `messages`.
 *
 * @see https://docs.anthropic.com/en/api/messages#body-messages
 * @see https://docs.anthropic.com/en/api/messages#body-system
 */
export function openAiMessagesToAnthropicMessages(messages: readonly ChatMessage[]): TranslatedMessages {
  const system: AnthropicTextBlockParam[] = [];
  const turns: Turn[] = [];
  const addTurn = (role: Turn['role'], blocks: ContentBlock[]): void => {
    const last = turns.at(-1);
    if (last !== undefined && last.role === role) last.blocks.push(...blocks);
    else turns.push({ role, blocks });
  };

  messages.forEach((message, index) => {
    const param = `messages[${index}]`;
    switch (message.role) {
      case 'system':
      case 'developer': {
        const blocks = contentToAnthropicBlocks(message.content, 'system', `${param}.content`);
        applyMessageCacheControl(blocks, message, param);
        // Only text reaches here: contentPartToAnthropicBlock rejects everything else for `system`.
        system.push(...blocks.filter((block): block is AnthropicTextBlockParam => block.type === 'text'));
        return;
      }
      case 'user': {
        const blocks: ContentBlock[] = contentToAnthropicBlocks(message.content, 'user', `${param}.content`);
        applyMessageCacheControl(blocks, message, param);
        addTurn('user', blocks);
        return;
      }
      case 'assistant': {
        const blocks = assistantMessageToAnthropicBlocks(message, param);
        applyMessageCacheControl(blocks, message, param);
        addTurn('assistant', blocks);
        return;
      }
      case 'tool': {
        const blocks: ContentBlock[] = [toolMessageToAnthropicBlock(message, param)];
        applyMessageCacheControl(blocks, message, param);
        addTurn('user', blocks);
        return;
      }
      case 'function':
        throw new InvalidRequestError('the deprecated function role is not supported; send tool messages instead', {
          param: `${param}.role`,
        });
      default: {
        const unreachable: never = message;
        return unreachable;
      }
    }
  });

  if (turns.length === 0) {
    throw new InvalidRequestError('anthropic needs at least one user or assistant message besides system messages', {
      param: 'messages',
    });
  }
  const [onlySystem] = system;
  const translatedSystem =
    system.length === 0
      ? undefined
      : system.length === 1 && onlySystem !== undefined && onlySystem.cache_control === undefined
        ? onlySystem.text
        : system;
  return {
    ...(translatedSystem === undefined ? {} : { system: translatedSystem }),
    messages: turns.map(turnToAnthropicMessage),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Tools and output format
// ---------------------------------------------------------------------------------------------------------

/** @see https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use#specifying-client-tools */
export function openAiToolToAnthropicTool(tool: FunctionTool, param: string): AnthropicTool {
  if (tool.function.name === RESPONSE_FORMAT_TOOL_NAME) {
    throw new InvalidRequestError(`the tool name ${RESPONSE_FORMAT_TOOL_NAME} is reserved by the gateway; rename the tool`, {
      param: `${param}.function.name`,
    });
  }
  const cacheControl = readCacheControl(tool.cache_control, `${param}.cache_control`);
  return {
    name: tool.function.name,
    ...(tool.function.description === undefined ? {} : { description: tool.function.description }),
    // OpenAI: "omitting parameters defines a function with an empty parameter list".
    input_schema: tool.function.parameters ?? { type: 'object', properties: {} },
    ...(cacheControl === undefined ? {} : { cache_control: cacheControl }),
  };
}

/**
 * `tool_choice` and `parallel_tool_calls` → Anthropic `tool_choice`: `auto` → `auto`, `required` → `any`,
 * `none` → `none`, a named function → `tool`; `parallel_tool_calls: false` → `disable_parallel_tool_use`.
 *
 * @see https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use#forcing-tool-use
 * @see https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use#parallel-tool-use
 */
export function openAiToolChoiceToAnthropicToolChoice(
  toolChoice: ToolChoice | null | undefined,
  parallelToolCalls: boolean | null | undefined,
  hasTools: boolean,
): AnthropicToolChoice | undefined {
  const parallel = parallelToolCalls === false ? { disable_parallel_tool_use: true } : {};
  if (toolChoice === null || toolChoice === undefined) {
    // Without tools there is nothing to call, in parallel or not.
    return parallelToolCalls === false && hasTools ? { type: 'auto', disable_parallel_tool_use: true } : undefined;
  }
  if (typeof toolChoice !== 'string') return { type: 'tool', name: toolChoice.function.name, ...parallel };
  switch (toolChoice) {
    case 'auto':
      return { type: 'auto', ...parallel };
    case 'required':
      return { type: 'any', ...parallel };
    case 'none':
      return { type: 'none' };
    default: {
      const unreachable: never = toolChoice;
      return unreachable;
    }
  }
}

/**
 * `response_format` → the forced `json_tool_call` tool that emulates it (LiteLLM's approach): the schema
 * becomes the tool's `input_schema`, and `json_object` allows any object.
 *
 * @see https://docs.anthropic.com/en/docs/test-and-evaluate/strengthen-guardrails/increase-consistency
 * @see https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use#json-mode
 */
export function openAiResponseFormatToAnthropicTool(responseFormat: ResponseFormat): AnthropicTool | undefined {
  const anyObject = { type: 'object', additionalProperties: true, properties: {} };
  switch (responseFormat.type) {
    case 'text':
      return undefined;
    case 'json_object':
      return { name: RESPONSE_FORMAT_TOOL_NAME, input_schema: anyObject };
    case 'json_schema': {
      const { description, schema } = responseFormat.json_schema;
      return {
        name: RESPONSE_FORMAT_TOOL_NAME,
        ...(description === undefined ? {} : { description }),
        input_schema: schema ?? anyObject,
      };
    }
    default: {
      const unreachable: never = responseFormat;
      return unreachable;
    }
  }
}

interface TranslatedTools {
  readonly tools?: AnthropicTool[];
  readonly tool_choice?: AnthropicToolChoice;
}

function openAiToolsToAnthropicTools(request: ChatCompletionRequest): TranslatedTools {
  const tools = (request.tools ?? []).map((tool, index) => openAiToolToAnthropicTool(tool, `tools[${index}]`));
  const jsonTool = request.response_format ? openAiResponseFormatToAnthropicTool(request.response_format) : undefined;
  if (jsonTool !== undefined) {
    if (tools.length > 0 || (request.tool_choice !== null && request.tool_choice !== undefined)) {
      throw new InvalidRequestError(
        'anthropic has no response_format; the gateway emulates it with a forced tool call, which cannot be combined with tools or tool_choice',
        { param: 'response_format' },
      );
    }
    return { tools: [jsonTool], tool_choice: { type: 'tool', name: RESPONSE_FORMAT_TOOL_NAME } };
  }
  const toolChoice = openAiToolChoiceToAnthropicToolChoice(request.tool_choice, request.parallel_tool_calls, tools.length > 0);
  return {
    ...(tools.length > 0 ? { tools } : {}),
    ...(toolChoice === undefined ? {} : { tool_choice: toolChoice }),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Request
// ---------------------------------------------------------------------------------------------------------

/** Fields that are not OpenAI's, forwarded as they are (Anthropic-native `top_k`, `thinking`, …). */
function forwardedFields(request: ChatCompletionRequest): Record<string, unknown> {
  const forwarded: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(request)) {
    if (OPENAI_CHAT_FIELDS.has(key) || value === undefined) continue;
    if (TRANSLATED_ANTHROPIC_FIELDS.has(key)) {
      throw new InvalidRequestError(`${key} is built by the gateway from the OpenAI request and cannot be sent directly`, {
        param: key,
      });
    }
    forwarded[key] = value;
  }
  return forwarded;
}

function userId(request: ChatCompletionRequest): string | undefined {
  if (typeof request.user === 'string') return request.user;
  const fromMetadata = request.metadata?.user_id;
  return typeof fromMetadata === 'string' ? fromMetadata : undefined;
}

/**
 * The body of `POST /v1/messages` for an OpenAI chat request, with `model` set to the deployment's model.
 *
 * @see https://docs.anthropic.com/en/api/messages
 */
export function toAnthropicMessagesRequest(request: ChatCompletionRequest, model: string): AnthropicMessagesRequest {
  if (request.n !== null && request.n !== undefined && request.n > 1) {
    throw new InvalidRequestError(`anthropic returns one choice per request; n must be 1, got ${request.n}`, { param: 'n' });
  }
  if (request.temperature !== null && request.temperature !== undefined && request.temperature > 1) {
    throw new InvalidRequestError(`anthropic accepts a temperature between 0 and 1, got ${request.temperature}`, {
      param: 'temperature',
    });
  }
  const forwarded = forwardedFields(request);
  const { system, messages } = openAiMessagesToAnthropicMessages(request.messages);
  const tools = openAiToolsToAnthropicTools(request);
  const stop = request.stop;
  const user = userId(request);
  return {
    ...forwarded,
    model,
    max_tokens: request.max_completion_tokens ?? request.max_tokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    messages,
    ...(system === undefined ? {} : { system }),
    ...(stop === null || stop === undefined ? {} : { stop_sequences: typeof stop === 'string' ? [stop] : stop }),
    ...(request.temperature === null || request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.top_p === null || request.top_p === undefined ? {} : { top_p: request.top_p }),
    ...tools,
    ...(user === undefined ? {} : { metadata: { user_id: user } }),
    ...(request.stream ? { stream: true as const } : {}),
  };
}

/**
 * `{api_base}/v1/messages`; an `api_base` that already ends in `/v1` or `/v1/messages` is used as it is.
 *
 * @see https://docs.anthropic.com/en/api/messages
 */
export function anthropicMessagesUrl(apiBase: string = ANTHROPIC_DEFAULT_API_BASE): string {
  const base = apiBase.replace(/\/+$/, '');
  if (base.endsWith('/v1/messages')) return base;
  if (base.endsWith('/v1')) return `${base}/messages`;
  return `${base}/v1/messages`;
}

/**
 * `x-api-key`, `anthropic-version` and the deployment's `extra_headers` (which win, compared without case).
 *
 * @see https://docs.anthropic.com/en/api/overview#authentication
 */
export function anthropicHeaders(target: UpstreamTarget): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'anthropic-version': target.apiVersion ?? ANTHROPIC_DEFAULT_API_VERSION,
  };
  if (target.apiKey) headers['x-api-key'] = target.apiKey;
  for (const [name, value] of Object.entries(target.headers ?? {})) headers[name.toLowerCase()] = value;
  return headers;
}

const headersFor = perTarget(anthropicHeaders);

/**
 * The complete upstream request for one OpenAI chat request.
 *
 * @see https://docs.anthropic.com/en/api/messages
 */
export function toAnthropicMessagesUpstreamRequest(request: ChatCompletionRequest, target: UpstreamTarget): UpstreamRequest {
  return {
    url: anthropicMessagesUrl(target.apiBase),
    method: 'POST',
    headers: headersFor(target),
    body: JSON.stringify(toAnthropicMessagesRequest(request, target.model)),
  };
}
