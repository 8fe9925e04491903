// The official openai npm package against a running modelspec gateway: the
// same code an application would write after changing its baseURL.
//
// Run by TestNodeSDK (internal/cli/node_test.go), which starts the fake
// upstream (it echoes the last user message) and `modelspec serve` in front
// of it, then runs `node --test test/npm/sdk.test.mjs` with:
//
//   MODELSPEC_BASE_URL  the gateway's base URL, e.g. http://127.0.0.1:8080/v1
//   MODELSPEC_API_KEY   the key of the one app configured
//
// Install once with: npm ci --prefix test/npm
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI, { AuthenticationError, BadRequestError } from 'openai';

const baseURL = process.env.MODELSPEC_BASE_URL;
const apiKey = process.env.MODELSPEC_API_KEY;
if (!baseURL || !apiKey) {
  throw new Error('set MODELSPEC_BASE_URL and MODELSPEC_API_KEY (go test -run TestNodeSDK ./internal/cli/ does)');
}

const model = 'fake-model';

function client(key = apiKey) {
  return new OpenAI({ baseURL, apiKey: key, maxRetries: 0, timeout: 20_000 });
}

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The current weather in a city.',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string', description: 'The city name.' } },
      required: ['city'],
      additionalProperties: false,
    },
  },
};

test('plain completion', async () => {
  const res = await client().chat.completions.create({
    model,
    messages: [
      { role: 'system', content: 'Answer briefly.' },
      { role: 'user', content: 'hello from the npm package' },
    ],
  });
  assert.equal(res.object, 'chat.completion');
  assert.equal(res.choices.length, 1);
  const choice = res.choices[0];
  assert.equal(choice.index, 0);
  assert.equal(choice.message.role, 'assistant');
  assert.equal(choice.message.content, 'hello from the npm package');
  assert.equal(choice.finish_reason, 'stop');
  assert.ok(res.usage && res.usage.total_tokens > 0, `usage ${JSON.stringify(res.usage)}`);
});

test('completion with the raw response: the decision header is set', async () => {
  const { data, response } = await client()
    .chat.completions.create({ model, messages: [{ role: 'user', content: 'show me the headers' }] })
    .withResponse();
  assert.equal(response.status, 200);
  assert.ok(response.headers.get('x-modelspec-decision'), 'X-Modelspec-Decision header missing');
  assert.equal(data.choices[0].message.content, 'show me the headers');
});

test('streaming completion', async () => {
  const text = 'a streamed answer from the fake upstream in several words';
  const stream = await client().chat.completions.create({
    model,
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: 'user', content: text }],
  });
  const parts = [];
  let chunks = 0;
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    chunks++;
    assert.equal(chunk.object, 'chat.completion.chunk');
    for (const choice of chunk.choices) {
      if (choice.delta?.content) parts.push(choice.delta.content);
      if (choice.finish_reason) finish = choice.finish_reason;
    }
    if (chunk.usage) usage = chunk.usage;
  }
  assert.ok(chunks > 1, `${chunks} chunks`);
  assert.equal(parts.join(''), text);
  assert.equal(finish, 'stop');
  assert.ok(usage && usage.completion_tokens > 0, `usage ${JSON.stringify(usage)}`);
});

test('streaming with the SDK helper: finalChatCompletion', async () => {
  const stream = client().chat.completions.stream({
    model,
    messages: [{ role: 'user', content: 'the helper accumulates this' }],
  });
  const final = await stream.finalChatCompletion();
  assert.equal(final.choices[0].message.content, 'the helper accumulates this');
  assert.equal(final.choices[0].finish_reason, 'stop');
});

test('request with tools', async () => {
  const res = await client().chat.completions.create({
    model,
    messages: [{ role: 'user', content: 'what is the weather in Lisbon' }],
    tools: [weatherTool],
    tool_choice: 'auto',
  });
  assert.equal(res.choices[0].message.content, 'what is the weather in Lisbon');
});

test('tool-call round trip', async () => {
  const messages = [
    { role: 'user', content: 'what is the weather in Lisbon' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        {
          id: 'call_weather_1',
          type: 'function',
          function: { name: 'get_weather', arguments: JSON.stringify({ city: 'Lisbon' }) },
        },
      ],
    },
    { role: 'tool', tool_call_id: 'call_weather_1', content: JSON.stringify({ city: 'Lisbon', sky: 'sunny', celsius: 24 }) },
    { role: 'user', content: 'summarise the weather report' },
  ];
  const res = await client().chat.completions.create({ model, messages, tools: [weatherTool] });
  assert.equal(res.choices[0].message.content, 'summarise the weather report');

  const stream = await client().chat.completions.create({ model, messages, tools: [weatherTool], stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  assert.equal(text, 'summarise the weather report');
});

test('an unknown role is a BadRequestError (400)', async () => {
  await assert.rejects(
    client().chat.completions.create({
      model,
      messages: [{ role: 'narrator', content: 'once upon a time' }],
    }),
    (err) => {
      assert.ok(err instanceof BadRequestError, `got ${err?.constructor?.name}: ${err}`);
      assert.equal(err.status, 400);
      assert.match(err.message, /role/);
      return true;
    },
  );
});

test('a wrong API key is an AuthenticationError (401)', async () => {
  await assert.rejects(
    client('sk-not-the-right-key').chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'let me in' }],
    }),
    (err) => {
      assert.ok(err instanceof AuthenticationError, `got ${err?.constructor?.name}: ${err}`);
      assert.equal(err.status, 401);
      assert.equal(err.code, 'invalid_api_key');
      return true;
    },
  );
});

test('a wrong API key on a stream is an AuthenticationError (401)', async () => {
  await assert.rejects(
    client('sk-not-the-right-key').chat.completions.create({
      model,
      stream: true,
      messages: [{ role: 'user', content: 'let me in' }],
    }),
    (err) => err instanceof AuthenticationError && err.status === 401,
  );
});
