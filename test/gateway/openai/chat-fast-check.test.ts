/**
 * The quick check in front of zod: whatever it accepts, the chat schema accepts and returns unchanged,
 * and the bodies SDKs commonly send do take it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chatCompletionRequestSchema, isCommonChatRequest } from '../../../gateway/openai';

const COMMON = {
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Hi', name: 'ada' },
    { role: 'assistant', content: 'Hello.' },
    { role: 'developer', content: 'Answer in English.' },
  ],
  max_tokens: 64,
  max_completion_tokens: null,
  temperature: 0.2,
  top_p: 1,
  n: 1,
  seed: -7,
  stop: ['\n\n', 'END'],
  stream: true,
  stream_options: { include_usage: true },
  presence_penalty: 0,
  frequency_penalty: -2,
  logprobs: false,
  parallel_tool_calls: null,
  user: 'customer-9',
  drop_params: true,
};

/** Any JSON value, weighted towards the edges the schema cares about. */
const anyValue = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -300, max: 300 }),
  fc.double({ min: -5, max: 5, noNaN: true }),
  fc.constantFrom(0, 1, 2, 2.0000001, -2, -2.0000001, 128, 129, 2 ** 53, 1.5, -0),
  fc.string({ maxLength: 4 }),
  fc.constantFrom('system', 'user', 'assistant', 'developer', 'tool', 'function', ''),
  fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.integer()), { maxLength: 6 }),
  fc.dictionary(fc.constantFrom('include_usage', 'role', 'content', 'name', 'type', 'text', 'other'), fc.oneof(fc.boolean(), fc.string({ maxLength: 3 }), fc.constant(null)), { maxKeys: 3 }),
);

const fieldNames = fc.constantFrom(...Object.keys(COMMON), 'tools', 'tool_choice', 'response_format', 'metadata', 'top_logprobs', 'logit_bias', 'extra');

/** The common body with some fields replaced, removed or added, and some messages bent. */
const mutatedBody = fc
  .record({
    replace: fc.array(fc.tuple(fieldNames, anyValue), { maxLength: 3 }),
    remove: fc.array(fieldNames, { maxLength: 2 }),
    message: fc.option(fc.tuple(fc.nat({ max: 3 }), fc.constantFrom('role', 'content', 'name', 'tool_calls', 'extra'), anyValue), { freq: 2 }),
    emptyMessages: fc.integer({ min: 0, max: 19 }).map((draw) => draw === 0),
  })
  .map(({ replace, remove, message, emptyMessages }) => {
    const body: Record<string, unknown> = structuredClone(COMMON);
    for (const [field, value] of replace) body[field] = value;
    for (const field of remove) delete body[field];
    const messages = body.messages;
    if (message !== null && Array.isArray(messages)) {
      const [index, field, value] = message;
      const target = messages[index % messages.length];
      if (typeof target === 'object' && target !== null) (target as Record<string, unknown>)[field] = value;
    }
    if (emptyMessages && Array.isArray(messages)) messages.length = 0;
    return body;
  });

describe('isCommonChatRequest', () => {
  it('accepts the common body, and zod returns it unchanged', () => {
    expect(isCommonChatRequest(COMMON)).toBe(true);
    const parsed = chatCompletionRequestSchema.safeParse(COMMON);
    expect(parsed.success && parsed.data).toEqual(COMMON);
  });

  it('accepts only bodies that zod accepts and returns unchanged (2,000 generated bodies)', () => {
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(fc.oneof({ arbitrary: mutatedBody, weight: 5 }, { arbitrary: anyValue, weight: 1 }), (body) => {
        const parsed = chatCompletionRequestSchema.safeParse(body);
        if (isCommonChatRequest(body)) {
          accepted += 1;
          expect(parsed.success).toBe(true);
          expect(parsed.data).toEqual(body);
        } else {
          rejected += 1;
        }
      }),
      { numRuns: 2000, seed: 20261123 },
    );
    // Both sides were exercised: the generator is not stuck on one answer.
    expect(accepted).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(100);
  });

  it('leaves tools, content parts, tool messages and unknown fields to zod', () => {
    const withField = (field: string, value: unknown) => ({ ...COMMON, [field]: value });
    expect(isCommonChatRequest(withField('tools', [{ type: 'function', function: { name: 'f' } }]))).toBe(false);
    expect(isCommonChatRequest(withField('metadata', { tags: ['a'] }))).toBe(false);
    expect(isCommonChatRequest(withField('vendor_extension', 1))).toBe(false);
    expect(isCommonChatRequest(withField('messages', [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]))).toBe(false);
    expect(isCommonChatRequest(withField('messages', [{ role: 'tool', content: 'x', tool_call_id: 'c1' }]))).toBe(false);
    // and what zod rejects, it rejects too
    expect(isCommonChatRequest(withField('temperature', 3))).toBe(false);
    expect(isCommonChatRequest(withField('n', 0))).toBe(false);
    expect(isCommonChatRequest(withField('model', ''))).toBe(false);
    expect(isCommonChatRequest(withField('drop_params', null))).toBe(false);
    expect(isCommonChatRequest(withField('messages', []))).toBe(false);
    expect(isCommonChatRequest([COMMON])).toBe(false);
  });
});
