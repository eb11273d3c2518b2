/**
 * The OpenAI Embeddings contract.
 *
 * @see https://platform.openai.com/docs/api-reference/embeddings/create
 */
import { z } from 'zod';

export const embeddingRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([
    z.string(),
    z.array(z.string()).min(1),
    z.array(z.number().int()).min(1),
    z.array(z.array(z.number().int())).min(1),
  ]),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().positive().optional(),
  user: z.string().optional(),
  drop_params: z.boolean().optional(),
});

export type EmbeddingRequest = z.infer<typeof embeddingRequestSchema>;

export interface Embedding {
  object: 'embedding';
  index: number;
  embedding: number[] | string;
}

export interface EmbeddingResponse {
  object: 'list';
  data: Embedding[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}
