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

/**
 * A vector as OpenAI's `encoding_format: 'base64'` sends it: float32 values, little-endian, base64-encoded.
 *
 * @see https://platform.openai.com/docs/api-reference/embeddings/create#embeddings-create-encoding_format
 */
export function floatsToBase64Float32(vector: readonly number[]): string {
  const bytes = new DataView(new ArrayBuffer(vector.length * 4));
  vector.forEach((value, index) => bytes.setFloat32(index * 4, value, true));
  return Buffer.from(bytes.buffer).toString('base64');
}
