/**
 * OpenAI wire shapes the translator reads back from upstream: the error body and the SSE stream framing.
 * Requests and responses use the gateway's own OpenAI contract (`gateway/openai`) unchanged.
 *
 * @see https://platform.openai.com/docs/api-reference/chat/streaming
 */
import { z } from 'zod';

export const openAiErrorBodySchema = z.looseObject({
  error: z.union([
    z.looseObject({
      message: z.string().nullish(),
      type: z.string().nullish(),
      param: z.string().nullish(),
      code: z.union([z.string(), z.number()]).nullish(),
    }),
    z.string(),
  ]),
});

export type OpenAiUpstreamErrorBody = z.infer<typeof openAiErrorBodySchema>;

/** The sentinel that ends an OpenAI SSE stream. */
export const OPENAI_STREAM_DONE = '[DONE]';
