/**
 * The OpenAI Models contract (`GET /v1/models`).
 *
 * @see https://platform.openai.com/docs/api-reference/models
 */
export interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

export interface ModelList {
  object: 'list';
  data: ModelObject[];
}
