/**
 * The Anthropic Messages API wire contract as zod schemas and types: the request the gateway sends, the
 * response and stream events it reads back, and the error body.
 *
 * Schemas for what Anthropic sends are `loose` and tolerant of additions: Anthropic's versioning policy says
 * new fields, content block types, delta types, stop reasons and stream event types may appear at any time.
 * Content blocks, deltas and events whose `type` we do not know parse into an explicit `unknown_*` variant so
 * that the translators can switch exhaustively and ignore them on purpose.
 *
 * @see https://docs.anthropic.com/en/api/messages
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming
 * @see https://docs.anthropic.com/en/api/errors
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------------------
// Request
// ---------------------------------------------------------------------------------------------------------

/** @see https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching */
export const anthropicCacheControlSchema = z.looseObject({
  type: z.literal('ephemeral'),
  ttl: z.enum(['5m', '1h']).optional(),
});

/** The image media types Anthropic accepts. @see https://docs.anthropic.com/en/docs/build-with-claude/vision */
export const ANTHROPIC_IMAGE_MEDIA_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] as const;

export const anthropicTextBlockParamSchema = z.object({
  type: z.literal('text'),
  text: z.string(),
  cache_control: anthropicCacheControlSchema.optional(),
});

export const anthropicImageBlockParamSchema = z.object({
  type: z.literal('image'),
  source: z.discriminatedUnion('type', [
    z.object({ type: z.literal('base64'), media_type: z.enum(ANTHROPIC_IMAGE_MEDIA_TYPES), data: z.string() }),
    z.object({ type: z.literal('url'), url: z.string() }),
  ]),
  cache_control: anthropicCacheControlSchema.optional(),
});

/** @see https://docs.anthropic.com/en/docs/build-with-claude/pdf-support */
export const anthropicDocumentBlockParamSchema = z.object({
  type: z.literal('document'),
  source: z.object({ type: z.literal('base64'), media_type: z.literal('application/pdf'), data: z.string() }),
  cache_control: anthropicCacheControlSchema.optional(),
});

export const anthropicToolUseBlockParamSchema = z.object({
  type: z.literal('tool_use'),
  id: z.string(),
  name: z.string(),
  input: z.record(z.string(), z.unknown()),
  cache_control: anthropicCacheControlSchema.optional(),
});

export const anthropicToolResultBlockParamSchema = z.object({
  type: z.literal('tool_result'),
  tool_use_id: z.string(),
  content: z.union([z.string(), z.array(z.union([anthropicTextBlockParamSchema, anthropicImageBlockParamSchema]))]),
  cache_control: anthropicCacheControlSchema.optional(),
});

/** @see https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking */
export const anthropicThinkingBlockParamSchema = z.object({
  type: z.literal('thinking'),
  thinking: z.string(),
  signature: z.string(),
});

export const anthropicRedactedThinkingBlockParamSchema = z.object({
  type: z.literal('redacted_thinking'),
  data: z.string(),
});

export const anthropicContentBlockParamSchema = z.discriminatedUnion('type', [
  anthropicTextBlockParamSchema,
  anthropicImageBlockParamSchema,
  anthropicDocumentBlockParamSchema,
  anthropicToolUseBlockParamSchema,
  anthropicToolResultBlockParamSchema,
  anthropicThinkingBlockParamSchema,
  anthropicRedactedThinkingBlockParamSchema,
]);

export const anthropicMessageParamSchema = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.union([z.string(), z.array(anthropicContentBlockParamSchema)]),
});

/** @see https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use */
export const anthropicToolSchema = z.object({
  name: z.string(),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()),
  cache_control: anthropicCacheControlSchema.optional(),
});

export const anthropicToolChoiceSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal('tool'), name: z.string(), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal('none') }),
]);

/**
 * `POST /v1/messages`. Loose: provider-native fields a client sends beyond OpenAI's (`top_k`, `thinking`, …)
 * are forwarded as they are.
 */
export const anthropicMessagesRequestSchema = z.looseObject({
  model: z.string(),
  max_tokens: z.number().int().positive(),
  messages: z.array(anthropicMessageParamSchema),
  system: z.union([z.string(), z.array(anthropicTextBlockParamSchema)]).optional(),
  stop_sequences: z.array(z.string()).optional(),
  temperature: z.number().optional(),
  top_p: z.number().optional(),
  stream: z.literal(true).optional(),
  tools: z.array(anthropicToolSchema).optional(),
  tool_choice: anthropicToolChoiceSchema.optional(),
  metadata: z.object({ user_id: z.string().optional() }).optional(),
});

export type AnthropicCacheControl = z.infer<typeof anthropicCacheControlSchema>;
export type AnthropicImageMediaType = (typeof ANTHROPIC_IMAGE_MEDIA_TYPES)[number];
export type AnthropicTextBlockParam = z.infer<typeof anthropicTextBlockParamSchema>;
export type AnthropicImageBlockParam = z.infer<typeof anthropicImageBlockParamSchema>;
export type AnthropicDocumentBlockParam = z.infer<typeof anthropicDocumentBlockParamSchema>;
export type AnthropicToolUseBlockParam = z.infer<typeof anthropicToolUseBlockParamSchema>;
export type AnthropicToolResultBlockParam = z.infer<typeof anthropicToolResultBlockParamSchema>;
export type AnthropicThinkingBlockParam = z.infer<typeof anthropicThinkingBlockParamSchema>;
export type AnthropicRedactedThinkingBlockParam = z.infer<typeof anthropicRedactedThinkingBlockParamSchema>;
export type AnthropicContentBlockParam = z.infer<typeof anthropicContentBlockParamSchema>;
export type AnthropicMessageParam = z.infer<typeof anthropicMessageParamSchema>;
export type AnthropicTool = z.infer<typeof anthropicToolSchema>;
export type AnthropicToolChoice = z.infer<typeof anthropicToolChoiceSchema>;
export type AnthropicMessagesRequest = z.infer<typeof anthropicMessagesRequestSchema>;

// ---------------------------------------------------------------------------------------------------------
// Response
// ---------------------------------------------------------------------------------------------------------

/** The `stop_reason` values Anthropic documents. @see https://docs.anthropic.com/en/api/handling-stop-reasons */
export const ANTHROPIC_STOP_REASONS = [
  'end_turn',
  'max_tokens',
  'stop_sequence',
  'tool_use',
  'pause_turn',
  'refusal',
  'model_context_window_exceeded',
] as const;
export type AnthropicStopReason = (typeof ANTHROPIC_STOP_REASONS)[number];

/**
 * Token counts. Every field is nullish here: the message in `message_start` and the `usage` of `message_delta`
 * carry different subsets depending on the API version, and the docs' own examples omit some of them.
 */
export const anthropicUsageSchema = z.looseObject({
  input_tokens: z.number().int().nonnegative().nullish(),
  output_tokens: z.number().int().nonnegative().nullish(),
  cache_creation_input_tokens: z.number().int().nonnegative().nullish(),
  cache_read_input_tokens: z.number().int().nonnegative().nullish(),
});

export const anthropicTextBlockSchema = z.looseObject({ type: z.literal('text'), text: z.string() });
export const anthropicToolUseBlockSchema = z.looseObject({
  type: z.literal('tool_use'),
  id: z.string(),
  name: z.string(),
  input: z.unknown(),
});
export const anthropicThinkingBlockSchema = z.looseObject({
  type: z.literal('thinking'),
  thinking: z.string(),
  // Absent in `content_block_start` (it arrives later as a `signature_delta`).
  signature: z.string().optional(),
});
export const anthropicRedactedThinkingBlockSchema = z.looseObject({
  type: z.literal('redacted_thinking'),
  data: z.string(),
});

const KNOWN_CONTENT_BLOCK_TYPES: readonly string[] = ['text', 'tool_use', 'thinking', 'redacted_thinking'];

/**
 * A content block of a response (or of `content_block_start`). Blocks the gateway does not translate (server
 * tool use and results, container uploads, types added later) become `{ type: 'unknown_block' }`.
 */
export const anthropicContentBlockSchema = z.union([
  z.discriminatedUnion('type', [
    anthropicTextBlockSchema,
    anthropicToolUseBlockSchema,
    anthropicThinkingBlockSchema,
    anthropicRedactedThinkingBlockSchema,
  ]),
  z
    .looseObject({ type: z.string().refine((type) => !KNOWN_CONTENT_BLOCK_TYPES.includes(type)) })
    .transform((block) => ({ type: 'unknown_block' as const, block_type: block.type })),
]);

export const anthropicMessagesResponseSchema = z.looseObject({
  id: z.string(),
  type: z.literal('message'),
  role: z.literal('assistant'),
  model: z.string(),
  content: z.array(anthropicContentBlockSchema),
  stop_reason: z.string().nullable(),
  stop_sequence: z.string().nullish(),
  usage: anthropicUsageSchema,
});

export type AnthropicUsage = z.infer<typeof anthropicUsageSchema>;
export type AnthropicContentBlock = z.infer<typeof anthropicContentBlockSchema>;
export type AnthropicMessagesResponse = z.infer<typeof anthropicMessagesResponseSchema>;

// ---------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------

/** The error `type` values Anthropic documents. @see https://docs.anthropic.com/en/api/errors */
export const ANTHROPIC_ERROR_TYPES = [
  'invalid_request_error',
  'authentication_error',
  'billing_error',
  'permission_error',
  'not_found_error',
  'request_too_large',
  'rate_limit_error',
  'api_error',
  'timeout_error',
  'overloaded_error',
] as const;
export type AnthropicErrorType = (typeof ANTHROPIC_ERROR_TYPES)[number];

export const anthropicErrorObjectSchema = z.looseObject({ type: z.string(), message: z.string() });

/** `{"type":"error","error":{"type":"…","message":"…"},"request_id":"req_…"}` */
export const anthropicErrorBodySchema = z.looseObject({
  type: z.literal('error'),
  error: anthropicErrorObjectSchema,
  request_id: z.string().nullish(),
});

export type AnthropicErrorObject = z.infer<typeof anthropicErrorObjectSchema>;
export type AnthropicErrorBody = z.infer<typeof anthropicErrorBodySchema>;

// ---------------------------------------------------------------------------------------------------------
// Stream events
// ---------------------------------------------------------------------------------------------------------

const KNOWN_DELTA_TYPES: readonly string[] = [
  'text_delta',
  'input_json_delta',
  'thinking_delta',
  'signature_delta',
  'citations_delta',
];

/** The `delta` of `content_block_delta`; delta types added later become `{ type: 'unknown_delta' }`. */
export const anthropicContentBlockDeltaSchema = z.union([
  z.discriminatedUnion('type', [
    z.looseObject({ type: z.literal('text_delta'), text: z.string() }),
    z.looseObject({ type: z.literal('input_json_delta'), partial_json: z.string() }),
    z.looseObject({ type: z.literal('thinking_delta'), thinking: z.string() }),
    z.looseObject({ type: z.literal('signature_delta'), signature: z.string() }),
    z.looseObject({ type: z.literal('citations_delta'), citation: z.unknown() }),
  ]),
  z
    .looseObject({ type: z.string().refine((type) => !KNOWN_DELTA_TYPES.includes(type)) })
    .transform((delta) => ({ type: 'unknown_delta' as const, delta_type: delta.type })),
]);

const KNOWN_EVENT_TYPES: readonly string[] = [
  'message_start',
  'content_block_start',
  'content_block_delta',
  'content_block_stop',
  'message_delta',
  'message_stop',
  'ping',
  'error',
];

/**
 * The JSON `data` of one server-sent event. Event types added later become `{ type: 'unknown_event' }`.
 *
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming#event-types
 */
export const anthropicStreamEventSchema = z.union([
  z.discriminatedUnion('type', [
    z.looseObject({
      type: z.literal('message_start'),
      message: z.looseObject({ id: z.string(), model: z.string(), usage: anthropicUsageSchema.nullish() }),
    }),
    z.looseObject({
      type: z.literal('content_block_start'),
      index: z.number().int().nonnegative(),
      content_block: anthropicContentBlockSchema,
    }),
    z.looseObject({
      type: z.literal('content_block_delta'),
      index: z.number().int().nonnegative(),
      delta: anthropicContentBlockDeltaSchema,
    }),
    z.looseObject({ type: z.literal('content_block_stop'), index: z.number().int().nonnegative() }),
    z.looseObject({
      type: z.literal('message_delta'),
      delta: z.looseObject({ stop_reason: z.string().nullish(), stop_sequence: z.string().nullish() }),
      usage: anthropicUsageSchema.nullish(),
    }),
    z.looseObject({ type: z.literal('message_stop') }),
    z.looseObject({ type: z.literal('ping') }),
    z.looseObject({ type: z.literal('error'), error: anthropicErrorObjectSchema }),
  ]),
  z
    .looseObject({ type: z.string().refine((type) => !KNOWN_EVENT_TYPES.includes(type)) })
    .transform((event) => ({ type: 'unknown_event' as const, event_type: event.type })),
]);

export type AnthropicContentBlockDelta = z.infer<typeof anthropicContentBlockDeltaSchema>;
export type AnthropicStreamEvent = z.infer<typeof anthropicStreamEventSchema>;
