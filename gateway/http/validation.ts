/**
 * Request validation: zod schemas through `fastify-type-provider-zod`, with a quick check in front of
 * the schemas that have one. A body the quick check accepts is one the schema would return unchanged,
 * so it is passed on as is; everything else goes to zod, which also writes the error messages.
 */
import type { FastifySchemaCompiler } from 'fastify';
import { validatorCompiler as zodValidatorCompiler } from 'fastify-type-provider-zod';
import type { ZodType } from 'zod';
import { chatCompletionRequestSchema, isCommonChatRequest } from '../openai';

const QUICK_CHECKS = new Map<unknown, (body: unknown) => boolean>([[chatCompletionRequestSchema, isCommonChatRequest]]);

export const gatewayValidatorCompiler: FastifySchemaCompiler<ZodType> = (route) => {
  const validate = zodValidatorCompiler(route);
  const quickCheck = QUICK_CHECKS.get(route.schema);
  if (quickCheck === undefined) return validate;
  return (data) => (quickCheck(data) ? { value: data } : validate(data));
};
