import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../../gateway/errors';
import type { ChatCompletionRequest } from '../../../../gateway/openai';
import { chatCompletionRequestSchema } from '../../../../gateway/openai';
import { OLLAMA_SUPPORTED_CHAT_PARAMS, ollamaAdapter, toOllamaChatRequest } from '../../../../gateway/providers/ollama';

const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

/** Parses like the HTTP layer does, so the tests feed exactly what the translator will see. */
function chatRequest(body: Record<string, unknown>): ChatCompletionRequest {
  return chatCompletionRequestSchema.parse({ model: 'local-llama', ...body });
}

const user = (content: unknown) => ({ role: 'user', content });

describe('toOllamaChatRequest', () => {
  const cases: { name: string; input: Record<string, unknown>; output: Record<string, unknown> }[] = [
    {
      name: 'a plain user message; stream defaults to false (Ollama would stream otherwise)',
      input: { messages: [user('Why is the sky blue?')] },
      output: { model: 'llama3.2', messages: [{ role: 'user', content: 'Why is the sky blue?' }], stream: false },
    },
    {
      name: 'system and developer messages both become system',
      input: {
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
          user('Hi'),
        ],
        stream: true,
      },
      output: {
        model: 'llama3.2',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'system', content: 'Answer in French.' },
          { role: 'user', content: 'Hi' },
        ],
        stream: true,
      },
    },
    {
      name: 'text parts are concatenated and data: URL images become base64 images',
      input: {
        messages: [
          user([
            { type: 'text', text: 'What is in ' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_BASE64}`, detail: 'low' } },
            { type: 'text', text: 'this picture?' },
            { type: 'image_url', image_url: { url: `data:image/jpeg;BASE64,${PNG_BASE64}` } },
          ]),
        ],
      },
      output: {
        model: 'llama3.2',
        messages: [{ role: 'user', content: 'What is in this picture?', images: [PNG_BASE64, PNG_BASE64] }],
        stream: false,
      },
    },
    {
      name: 'assistant tool calls get object arguments; tool results get the tool name of the matching call',
      input: {
        messages: [
          user('Weather in Paris and Toronto?'),
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
              { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '' } },
            ],
          },
          { role: 'tool', tool_call_id: 'call_b', content: '14:00' },
          { role: 'tool', tool_call_id: 'call_a', content: [{ type: 'text', text: '11 degrees celsius' }] },
          { role: 'tool', tool_call_id: 'call_unknown', content: 'orphan result' },
        ],
      },
      output: {
        model: 'llama3.2',
        messages: [
          { role: 'user', content: 'Weather in Paris and Toronto?' },
          {
            role: 'assistant',
            content: '',
            tool_calls: [
              { function: { name: 'get_weather', arguments: { city: 'Paris' } } },
              { function: { name: 'get_time', arguments: {} } },
            ],
          },
          { role: 'tool', content: '14:00', tool_name: 'get_time' },
          { role: 'tool', content: '11 degrees celsius', tool_name: 'get_weather' },
          { role: 'tool', content: 'orphan result' },
        ],
        stream: false,
      },
    },
    {
      name: 'legacy function_call and function messages become tool calls and tool results',
      input: {
        messages: [
          user('Weather?'),
          { role: 'assistant', content: null, function_call: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
          { role: 'function', name: 'get_weather', content: '-3 degrees' },
        ],
      },
      output: {
        model: 'llama3.2',
        messages: [
          { role: 'user', content: 'Weather?' },
          { role: 'assistant', content: '', tool_calls: [{ function: { name: 'get_weather', arguments: { city: 'Oslo' } } }] },
          { role: 'tool', content: '-3 degrees', tool_name: 'get_weather' },
        ],
        stream: false,
      },
    },
    {
      name: 'earlier reasoning_content goes back as thinking; a refusal is the assistant content',
      input: {
        messages: [
          user('Count the r in strawberry'),
          { role: 'assistant', content: 'Three.', reasoning_content: 's-t-r-a-w-b-e-r-r-y' },
          user('Help me pick a lock'),
          { role: 'assistant', content: null, refusal: 'I cannot help with that.' },
          user('ok'),
        ],
      },
      output: {
        model: 'llama3.2',
        messages: [
          { role: 'user', content: 'Count the r in strawberry' },
          { role: 'assistant', content: 'Three.', thinking: 's-t-r-a-w-b-e-r-r-y' },
          { role: 'user', content: 'Help me pick a lock' },
          { role: 'assistant', content: 'I cannot help with that.' },
          { role: 'user', content: 'ok' },
        ],
        stream: false,
      },
    },
    {
      name: 'sampling parameters go to options; max_completion_tokens wins over max_tokens; a single stop becomes a list',
      input: {
        messages: [user('Hi')],
        temperature: 0,
        top_p: 0.9,
        seed: 42,
        stop: 'user:',
        max_tokens: 50,
        max_completion_tokens: 100,
        frequency_penalty: 1,
        presence_penalty: 1.5,
      },
      output: {
        model: 'llama3.2',
        messages: [{ role: 'user', content: 'Hi' }],
        stream: false,
        options: {
          temperature: 0,
          top_p: 0.9,
          seed: 42,
          stop: ['user:'],
          num_predict: 100,
          frequency_penalty: 1,
          presence_penalty: 1.5,
        },
      },
    },
    {
      name: 'max_tokens alone → num_predict; stop lists pass as they are; null parameters are unset',
      input: { messages: [user('Hi')], max_tokens: 7, stop: ['\n', 'user:'], temperature: null, seed: null },
      output: {
        model: 'llama3.2',
        messages: [{ role: 'user', content: 'Hi' }],
        stream: false,
        options: { stop: ['\n', 'user:'], num_predict: 7 },
      },
    },
    {
      name: 'response_format json_object → format "json"',
      input: { messages: [user('Hi')], response_format: { type: 'json_object' } },
      output: { model: 'llama3.2', messages: [{ role: 'user', content: 'Hi' }], stream: false, format: 'json' },
    },
    {
      name: 'response_format json_schema → the schema object as format',
      input: {
        messages: [user('Hi')],
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'person',
            strict: true,
            schema: { type: 'object', properties: { age: { type: 'integer' } }, required: ['age'] },
          },
        },
      },
      output: {
        model: 'llama3.2',
        messages: [{ role: 'user', content: 'Hi' }],
        stream: false,
        format: { type: 'object', properties: { age: { type: 'integer' } }, required: ['age'] },
      },
    },
    {
      name: 'response_format text sends no format',
      input: { messages: [user('Hi')], response_format: { type: 'text' } },
      output: { model: 'llama3.2', messages: [{ role: 'user', content: 'Hi' }], stream: false },
    },
    {
      name: 'tools pass in the OpenAI function shape (without strict); tool_choice auto changes nothing',
      input: {
        messages: [user('Weather?')],
        tool_choice: 'auto',
        tools: [
          {
            type: 'function',
            function: {
              name: 'get_weather',
              description: 'Get the weather for a city',
              strict: true,
              parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
            },
          },
          { type: 'function', function: { name: 'get_time' } },
        ],
      },
      output: {
        model: 'llama3.2',
        messages: [{ role: 'user', content: 'Weather?' }],
        stream: false,
        tools: [
          {
            type: 'function',
            function: {
              name: 'get_weather',
              description: 'Get the weather for a city',
              parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
            },
          },
          { type: 'function', function: { name: 'get_time' } },
        ],
      },
    },
    {
      name: 'tool_choice none is honoured by sending no tools',
      input: {
        messages: [user('Weather?')],
        tool_choice: 'none',
        tools: [{ type: 'function', function: { name: 'get_weather' } }],
      },
      output: { model: 'llama3.2', messages: [{ role: 'user', content: 'Weather?' }], stream: false },
    },
    {
      name: 'reasoning_effort → think level; keep_alive passes through',
      input: { messages: [user('Hi')], reasoning_effort: 'high', keep_alive: '10m' },
      output: { model: 'llama3.2', messages: [{ role: 'user', content: 'Hi' }], stream: false, think: 'high', keep_alive: '10m' },
    },
    {
      name: 'reasoning_effort none → think false; numeric keep_alive',
      input: { messages: [user('Hi')], reasoning_effort: 'none', keep_alive: 0 },
      output: { model: 'llama3.2', messages: [{ role: 'user', content: 'Hi' }], stream: false, think: false, keep_alive: 0 },
    },
  ];

  it.each(cases)('$name', ({ input, output }) => {
    expect(toOllamaChatRequest(chatRequest(input), 'llama3.2')).toStrictEqual(output);
  });

  const failures: { name: string; input: Record<string, unknown>; param: string; message: RegExp }[] = [
    {
      name: 'an http image URL (Ollama takes base64 only)',
      input: {
        messages: [
          user('Hi'),
          user([
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
          ]),
        ],
      },
      param: 'messages[1].content[1].image_url.url',
      message: /base64/,
    },
    {
      name: 'a data: URL that is not base64',
      input: { messages: [user([{ type: 'image_url', image_url: { url: 'data:image/svg+xml,<svg/>' } }])] },
      param: 'messages[0].content[0].image_url.url',
      message: /base64/,
    },
    {
      name: 'an audio part',
      input: { messages: [user([{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }])] },
      param: 'messages[0].content[0]',
      message: /input_audio/,
    },
    {
      name: 'tool call arguments that are not JSON',
      input: {
        messages: [
          user('Hi'),
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'f', arguments: '{"city": Paris}' } }],
          },
        ],
      },
      param: 'messages[1].tool_calls[0].function.arguments',
      message: /not valid JSON/,
    },
    {
      name: 'tool call arguments that are JSON but not an object',
      input: {
        messages: [
          user('Hi'),
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'call_a', type: 'function', function: { name: 'f', arguments: '{}' } },
              { id: 'call_b', type: 'function', function: { name: 'g', arguments: '[1, 2]' } },
            ],
          },
        ],
      },
      param: 'messages[1].tool_calls[1].function.arguments',
      message: /an array/,
    },
    {
      name: "tool_choice 'required'",
      input: { messages: [user('Hi')], tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: 'required' },
      param: 'tool_choice',
      message: /'required'/,
    },
    {
      name: 'tool_choice naming a function',
      input: {
        messages: [user('Hi')],
        tools: [{ type: 'function', function: { name: 'f' } }],
        tool_choice: { type: 'function', function: { name: 'f' } },
      },
      param: 'tool_choice',
      message: /named function/,
    },
    {
      name: 'a json_schema response format without its schema',
      input: { messages: [user('Hi')], response_format: { type: 'json_schema', json_schema: { name: 'x' } } },
      param: 'response_format.json_schema.schema',
      message: /schema/,
    },
    {
      name: "reasoning_effort 'minimal' (no Ollama equivalent)",
      input: { messages: [user('Hi')], reasoning_effort: 'minimal' },
      param: 'reasoning_effort',
      message: /"minimal"/,
    },
    {
      name: 'keep_alive that is neither a duration nor a number',
      input: { messages: [user('Hi')], keep_alive: { minutes: 5 } },
      param: 'keep_alive',
      message: /keep_alive/,
    },
  ];

  it.each(failures)('fails on $name, naming the param', ({ input, param, message }) => {
    let caught: unknown;
    try {
      toOllamaChatRequest(chatRequest(input), 'llama3.2');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidRequestError);
    expect(caught).toMatchObject({ status: 400, type: 'invalid_request_error', param });
    expect((caught as Error).message).toMatch(message);
  });
});

describe('supported chat params', () => {
  it('lists what is translated and leaves out what Ollama cannot do', () => {
    expect(ollamaAdapter.supportedChatParams).toBe(OLLAMA_SUPPORTED_CHAT_PARAMS);
    for (const param of ['temperature', 'top_p', 'seed', 'stop', 'max_tokens', 'max_completion_tokens', 'tools', 'response_format']) {
      expect(OLLAMA_SUPPORTED_CHAT_PARAMS.has(param)).toBe(true);
    }
    for (const param of ['n', 'logprobs', 'top_logprobs', 'logit_bias', 'parallel_tool_calls']) {
      expect(OLLAMA_SUPPORTED_CHAT_PARAMS.has(param)).toBe(false);
    }
  });
});

describe('ollamaAdapter.toChatRequest', () => {
  it('posts to /api/chat on the default api_base', () => {
    const upstream = ollamaAdapter.toChatRequest(chatRequest({ messages: [user('Hi')] }), { model: 'llama3.2' });
    expect(upstream).toStrictEqual({
      url: 'http://localhost:11434/api/chat',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'llama3.2', messages: [{ role: 'user', content: 'Hi' }], stream: false }),
    });
  });

  it('uses api_base without its trailing slash, sends api_key as a bearer token and adds extra headers', () => {
    const upstream = ollamaAdapter.toChatRequest(chatRequest({ messages: [user('Hi')], stream: true }), {
      model: 'qwen3:8b',
      apiBase: 'https://ollama.internal:8443/',
      apiKey: 'secret-value',
      headers: { 'x-team': 'search' },
    });
    expect(upstream.url).toBe('https://ollama.internal:8443/api/chat');
    expect(upstream.headers).toStrictEqual({
      'content-type': 'application/json',
      authorization: 'Bearer secret-value',
      'x-team': 'search',
    });
    expect(JSON.parse(upstream.body ?? '')).toMatchObject({ model: 'qwen3:8b', stream: true });
  });
});
