/**
 * The OpenAI error body.
 *
 * @see https://platform.openai.com/docs/guides/error-codes
 */
export interface OpenAiErrorBody {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string | null;
  };
}
