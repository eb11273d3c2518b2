import { describe, expect, it } from 'vitest';
import type { ChatCompletionRequest } from '../../../../gateway/openai';
import { chatCompletionRequestSchema } from '../../../../gateway/openai';
import { InvalidRequestError } from '../../../../gateway/errors';
import {
  anthropicMessagesRequestSchema,
  toAnthropicMessagesRequest,
  toAnthropicMessagesUpstreamRequest,
} from '../../../../gateway/providers/anthropic';

const MODEL = 'claude-sonnet-4-5-20250929';

/** Requests go through the gateway's own schema first, as the HTTP layer does. */
function request(body: Record<string, unknown>): ChatCompletionRequest {
  return chatCompletionRequestSchema.parse({ model: 'claude', ...body });
}

const user = (content: unknown): Record<string, unknown> => ({ role: 'user', content });

const getWeather = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
  },
};
const getWeatherAnthropic = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
};

interface TranslationCase {
  readonly name: string;
  readonly input: Record<string, unknown>;
  readonly output: Record<string, unknown>;
}

const translationCases: TranslationCase[] = [
  {
    name: 'a single user message, with the default max_tokens',
    input: { messages: [user('Hello')] },
    output: { model: MODEL, max_tokens: 4096, messages: [{ role: 'user', content: 'Hello' }] },
  },
  {
    name: 'one system message becomes a string system prompt',
    input: { messages: [{ role: 'system', content: 'Be brief.' }, user('Hi')] },
    output: { model: MODEL, max_tokens: 4096, system: 'Be brief.', messages: [{ role: 'user', content: 'Hi' }] },
  },
  {
    name: 'system and developer messages, wherever they are, become text blocks in order',
    input: {
      messages: [
        { role: 'system', content: 'Be brief.' },
        user('Hi'),
        { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
      ],
    },
    output: {
      model: MODEL,
      max_tokens: 4096,
      system: [
        { type: 'text', text: 'Be brief.' },
        { type: 'text', text: 'Answer in French.' },
      ],
      messages: [{ role: 'user', content: 'Hi' }],
    },
  },
  {
    name: 'cache_control on a system part and on a user message is kept',
    input: {
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'A long contract…', cache_control: { type: 'ephemeral' } }] },
        { role: 'user', content: 'What is the notice period?', cache_control: { type: 'ephemeral', ttl: '1h' } },
      ],
    },
    output: {
      model: MODEL,
      max_tokens: 4096,
      system: [{ type: 'text', text: 'A long contract…', cache_control: { type: 'ephemeral' } }],
      messages: [
        {
          role: 'user',
          content: [{ type: 'text', text: 'What is the notice period?', cache_control: { type: 'ephemeral', ttl: '1h' } }],
        },
      ],
    },
  },
  {
    name: 'a multi-turn conversation; consecutive user messages are merged into one turn',
    input: {
      messages: [user('Hi'), { role: 'assistant', content: 'Hello! How can I help?' }, user('Two things.'), user('First…')],
    },
    output: {
      model: MODEL,
      max_tokens: 4096,
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello! How can I help?' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Two things.' },
            { type: 'text', text: 'First…' },
          ],
        },
      ],
    },
  },
  {
    name: 'image parts: a data URL becomes a base64 source, an https URL a url source',
    input: {
      messages: [
        user([
          { type: 'text', text: 'Compare these.' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg', detail: 'high' } },
        ]),
      ],
    },
    output: {
      model: MODEL,
      max_tokens: 4096,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare these.' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
    },
  },
  {
    name: 'a PDF file part becomes a document block',
    input: {
      messages: [
        user([
          { type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0xLjQ=' } },
          { type: 'text', text: 'Summarise.' },
        ]),
      ],
    },
    output: {
      model: MODEL,
      max_tokens: 4096,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0xLjQ=' } },
            { type: 'text', text: 'Summarise.' },
          ],
        },
      ],
    },
  },
  {
    name: 'a tool loop: tool_calls become tool_use, tool results (and the user text after them) one user turn',
    input: {
      messages: [
        user('Weather in Paris and Tokyo?'),
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } },
            { id: 'toolu_2', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Tokyo"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_1', content: '18°C' },
        { role: 'tool', tool_call_id: 'toolu_2', content: [{ type: 'text', text: '24°C' }] },
        user('Thanks. Which is warmer?'),
      ],
      tools: [getWeather],
    },
    output: {
      model: MODEL,
      max_tokens: 4096,
      tools: [getWeatherAnthropic],
      messages: [
        { role: 'user', content: 'Weather in Paris and Tokyo?' },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { location: 'Paris' } },
            { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { location: 'Tokyo' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: '18°C' },
            { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: '24°C' }] },
            { type: 'text', text: 'Thanks. Which is warmer?' },
          ],
        },
      ],
    },
  },
  {
    name: 'assistant text next to tool calls is kept; empty text and empty arguments are not an error',
    input: {
      messages: [
        user('What time is it?'),
        {
          role: 'assistant',
          content: 'Let me check.',
          tool_calls: [{ id: 'toolu_9', type: 'function', function: { name: 'now', arguments: '' } }],
        },
        { role: 'tool', tool_call_id: 'toolu_9', content: '12:00' },
        { role: 'assistant', content: '', tool_calls: [{ id: 'toolu_10', type: 'function', function: { name: 'now', arguments: '{}' } }] },
      ],
    },
    output: {
      model: MODEL,
      max_tokens: 4096,
      messages: [
        { role: 'user', content: 'What time is it?' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Let me check.' },
            { type: 'tool_use', id: 'toolu_9', name: 'now', input: {} },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_9', content: '12:00' }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_10', name: 'now', input: {} }] },
      ],
    },
  },
  {
    name: 'thinking_blocks on an assistant message go first, with their signatures',
    input: {
      messages: [
        user('Weather?'),
        {
          role: 'assistant',
          content: null,
          thinking_blocks: [
            { type: 'thinking', thinking: 'Use the tool.', signature: 'sig' },
            { type: 'redacted_thinking', data: 'opaque' },
          ],
          tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Oslo"}' } }],
        },
        { role: 'tool', tool_call_id: 'toolu_1', content: '-3°C' },
      ],
      thinking: { type: 'enabled', budget_tokens: 2048 },
    },
    output: {
      model: MODEL,
      max_tokens: 4096,
      thinking: { type: 'enabled', budget_tokens: 2048 },
      messages: [
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Use the tool.', signature: 'sig' },
            { type: 'redacted_thinking', data: 'opaque' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { location: 'Oslo' } },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '-3°C' }] },
      ],
    },
  },
  {
    name: 'sampling and stop parameters; max_completion_tokens wins over max_tokens',
    input: {
      messages: [user('Count')],
      max_tokens: 50,
      max_completion_tokens: 100,
      temperature: 0.2,
      top_p: 0.9,
      stop: 'END',
      stream: true,
      stream_options: { include_usage: true },
    },
    output: {
      model: MODEL,
      max_tokens: 100,
      temperature: 0.2,
      top_p: 0.9,
      stop_sequences: ['END'],
      stream: true,
      messages: [{ role: 'user', content: 'Count' }],
    },
  },
  {
    name: 'max_tokens alone and a stop array',
    input: { messages: [user('Count')], max_tokens: 50, stop: ['\n\n', 'END'], temperature: 0, stream: false },
    output: { model: MODEL, max_tokens: 50, temperature: 0, stop_sequences: ['\n\n', 'END'], messages: [{ role: 'user', content: 'Count' }] },
  },
  {
    name: 'user becomes metadata.user_id; OpenAI metadata is not sent',
    input: { messages: [user('Hi')], user: 'user-42', metadata: { user_id: 'other', tag: 'x' } },
    output: { model: MODEL, max_tokens: 4096, metadata: { user_id: 'user-42' }, messages: [{ role: 'user', content: 'Hi' }] },
  },
  {
    name: 'a string metadata.user_id is used when user is absent',
    input: { messages: [user('Hi')], metadata: { user_id: 'user-7' } },
    output: { model: MODEL, max_tokens: 4096, metadata: { user_id: 'user-7' }, messages: [{ role: 'user', content: 'Hi' }] },
  },
  {
    name: 'tools without parameters get an empty object schema; tool_choice required is any',
    input: {
      messages: [user('Ping')],
      tools: [{ type: 'function', function: { name: 'ping' } }],
      tool_choice: 'required',
    },
    output: {
      model: MODEL,
      max_tokens: 4096,
      tools: [{ name: 'ping', input_schema: { type: 'object', properties: {} } }],
      tool_choice: { type: 'any' },
      messages: [{ role: 'user', content: 'Ping' }],
    },
  },
  {
    name: 'a named tool_choice with parallel_tool_calls false',
    input: {
      messages: [user('Weather?')],
      tools: [getWeather],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
    },
    output: {
      model: MODEL,
      max_tokens: 4096,
      tools: [getWeatherAnthropic],
      tool_choice: { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true },
      messages: [{ role: 'user', content: 'Weather?' }],
    },
  },
  {
    name: 'parallel_tool_calls false without tool_choice is auto without parallel use',
    input: { messages: [user('Weather?')], tools: [getWeather], parallel_tool_calls: false },
    output: {
      model: MODEL,
      max_tokens: 4096,
      tools: [getWeatherAnthropic],
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
      messages: [{ role: 'user', content: 'Weather?' }],
    },
  },
  {
    name: 'tool_choice none and auto',
    input: { messages: [user('Weather?')], tools: [getWeather], tool_choice: 'none', parallel_tool_calls: true },
    output: {
      model: MODEL,
      max_tokens: 4096,
      tools: [getWeatherAnthropic],
      tool_choice: { type: 'none' },
      messages: [{ role: 'user', content: 'Weather?' }],
    },
  },
  {
    name: 'response_format json_schema becomes the forced json_tool_call tool',
    input: {
      messages: [user('Who wrote the first program?')],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'person',
          description: 'A person',
          strict: true,
          schema: { type: 'object', properties: { name: { type: 'string' }, born: { type: 'integer' } } },
        },
      },
    },
    output: {
      model: MODEL,
      max_tokens: 4096,
      tools: [
        {
          name: 'json_tool_call',
          description: 'A person',
          input_schema: { type: 'object', properties: { name: { type: 'string' }, born: { type: 'integer' } } },
        },
      ],
      tool_choice: { type: 'tool', name: 'json_tool_call' },
      messages: [{ role: 'user', content: 'Who wrote the first program?' }],
    },
  },
  {
    name: 'response_format json_object allows any object; text needs nothing',
    input: { messages: [user('JSON please')], response_format: { type: 'json_object' } },
    output: {
      model: MODEL,
      max_tokens: 4096,
      tools: [{ name: 'json_tool_call', input_schema: { type: 'object', additionalProperties: true, properties: {} } }],
      tool_choice: { type: 'tool', name: 'json_tool_call' },
      messages: [{ role: 'user', content: 'JSON please' }],
    },
  },
  {
    name: 'response_format text changes nothing; drop_params is not forwarded; Anthropic-native top_k is',
    input: { messages: [user('Hi')], response_format: { type: 'text' }, drop_params: true, top_k: 5 },
    output: { model: MODEL, max_tokens: 4096, top_k: 5, messages: [{ role: 'user', content: 'Hi' }] },
  },
];

describe('toAnthropicMessagesRequest', () => {
  it.each(translationCases)('translates $name', ({ input, output }) => {
    const translated = toAnthropicMessagesRequest(request(input), MODEL);
    expect(translated).toEqual(output);
    // What we send is what Anthropic's API documents.
    expect(anthropicMessagesRequestSchema.safeParse(translated).success).toBe(true);
  });

  const toolConversation = [
    user('Weather?'),
    { role: 'assistant', content: null, tool_calls: [{ id: 'a', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
    { role: 'tool', tool_call_id: 'a', content: 'sunny' },
  ];

  interface RejectionCase {
    readonly name: string;
    readonly input: Record<string, unknown>;
    readonly param: string;
    readonly message: RegExp;
  }

  const rejectionCases: RejectionCase[] = [
    {
      name: 'tool call arguments that are not JSON',
      input: {
        messages: [
          ...toolConversation,
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'b', type: 'function', function: { name: 'get_weather', arguments: '{"location": "Par' } }],
          },
        ],
      },
      param: 'messages[3].tool_calls[0].function.arguments',
      message: /not valid JSON/,
    },
    {
      name: 'tool call arguments that are JSON but not an object',
      input: {
        messages: [
          user('x'),
          { role: 'assistant', content: null, tool_calls: [{ id: 'b', type: 'function', function: { name: 'f', arguments: '[1]' } }] },
        ],
      },
      param: 'messages[1].tool_calls[0].function.arguments',
      message: /must be a JSON object/,
    },
    { name: 'a temperature above 1', input: { messages: [user('x')], temperature: 1.5 }, param: 'temperature', message: /between 0 and 1, got 1.5/ },
    { name: 'n above 1', input: { messages: [user('x')], n: 2 }, param: 'n', message: /n must be 1, got 2/ },
    {
      name: 'audio input',
      input: { messages: [user([{ type: 'input_audio', input_audio: { data: 'AAA', format: 'wav' } }])] },
      param: 'messages[0].content[0]',
      message: /audio/,
    },
    {
      name: 'an image in a system message',
      input: {
        messages: [
          { role: 'system', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] },
          user('x'),
        ],
      },
      param: 'messages[0].content[0]',
      message: /only in user and tool messages/,
    },
    {
      name: 'an image media type Anthropic does not read',
      input: { messages: [user([{ type: 'image_url', image_url: { url: 'data:image/tiff;base64,AAAA' } }])] },
      param: 'messages[0].content[0].image_url.url',
      message: /got image\/tiff/,
    },
    {
      name: 'a data URL that is not base64',
      input: { messages: [user([{ type: 'image_url', image_url: { url: 'data:image/png,rawbytes' } }])] },
      param: 'messages[0].content[0].image_url.url',
      message: /base64/,
    },
    {
      name: 'an image URL that is neither http(s) nor data',
      input: { messages: [user([{ type: 'image_url', image_url: { url: 'ftp://example.com/a.png' } }])] },
      param: 'messages[0].content[0].image_url.url',
      message: /http\(s\) URL or a base64 data URL/,
    },
    {
      name: 'a file given by OpenAI file id',
      input: { messages: [user([{ type: 'file', file: { file_id: 'file-abc' } }])] },
      param: 'messages[0].content[0].file',
      message: /application\/pdf/,
    },
    {
      name: 'the deprecated function role',
      input: { messages: [user('x'), { role: 'function', name: 'f', content: '1' }] },
      param: 'messages[1].role',
      message: /function role/,
    },
    {
      name: 'the deprecated function_call',
      input: { messages: [user('x'), { role: 'assistant', content: null, function_call: { name: 'f', arguments: '{}' } }] },
      param: 'messages[1].function_call',
      message: /function_call/,
    },
    {
      name: 'only system messages',
      input: { messages: [{ role: 'system', content: 'Be brief.' }] },
      param: 'messages',
      message: /at least one user or assistant message/,
    },
    {
      name: 'response_format together with tools',
      input: { messages: [user('x')], tools: [getWeather], response_format: { type: 'json_object' } },
      param: 'response_format',
      message: /cannot be combined with tools/,
    },
    {
      name: 'a client tool named json_tool_call',
      input: { messages: [user('x')], tools: [{ type: 'function', function: { name: 'json_tool_call' } }] },
      param: 'tools[0].function.name',
      message: /reserved/,
    },
    {
      name: 'a raw Anthropic system field',
      input: { messages: [user('x')], system: 'sneaky' },
      param: 'system',
      message: /built by the gateway/,
    },
    {
      name: 'a cache_control that is not Anthropic’s',
      input: { messages: [user([{ type: 'text', text: 'x', cache_control: { type: 'forever' } }])] },
      param: 'messages[0].content[0].cache_control',
      message: /ephemeral/,
    },
    {
      name: 'malformed thinking_blocks',
      input: { messages: [user('x'), { role: 'assistant', content: 'y', thinking_blocks: [{ type: 'thinking', thinking: 'no signature' }] }] },
      param: 'messages[1].thinking_blocks',
      message: /thinking_blocks/,
    },
    {
      name: 'a refusal part in a user message',
      input: { messages: [user([{ type: 'refusal', refusal: 'no' }])] },
      param: 'messages[0].content[0]',
      message: /only valid in assistant messages/,
    },
  ];

  it.each(rejectionCases)('fails with a 400 naming the param for $name', ({ input, param, message }) => {
    let thrown: unknown;
    try {
      toAnthropicMessagesRequest(request(input), MODEL);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidRequestError);
    const error = thrown as InvalidRequestError;
    expect(error.status).toBe(400);
    expect(error.type).toBe('invalid_request_error');
    expect(error.param).toBe(param);
    expect(error.message).toMatch(message);
  });
});

describe('toAnthropicMessagesUpstreamRequest', () => {
  const body = request({ messages: [user('Hi')], max_tokens: 10 });

  it('posts to the default base URL with the key, version and JSON content type', () => {
    const upstream = toAnthropicMessagesUpstreamRequest(body, { model: MODEL, apiKey: 'sk-ant-test-key' });
    expect(upstream).toEqual({
      url: 'https://api.anthropic.com/v1/messages',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-test-key' },
      body: JSON.stringify({ model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    expect(upstream.body).not.toContain('sk-ant-test-key');
  });

  it.each([
    ['https://proxy.internal', 'https://proxy.internal/v1/messages'],
    ['https://proxy.internal/', 'https://proxy.internal/v1/messages'],
    ['https://proxy.internal/anthropic/v1', 'https://proxy.internal/anthropic/v1/messages'],
    ['https://proxy.internal/anthropic/v1/messages', 'https://proxy.internal/anthropic/v1/messages'],
  ])('joins api_base %s into %s', (apiBase, url) => {
    expect(toAnthropicMessagesUpstreamRequest(body, { model: MODEL, apiBase }).url).toBe(url);
  });

  it('uses api_version and lets extra headers override, compared without case', () => {
    const upstream = toAnthropicMessagesUpstreamRequest(body, {
      model: MODEL,
      apiVersion: '2024-01-01',
      headers: { 'Anthropic-Beta': 'prompt-caching-2024-07-31', 'Content-Type': 'application/json; charset=utf-8' },
    });
    expect(upstream.headers).toEqual({
      'content-type': 'application/json; charset=utf-8',
      'anthropic-version': '2024-01-01',
      'anthropic-beta': 'prompt-caching-2024-07-31',
    });
  });
});
