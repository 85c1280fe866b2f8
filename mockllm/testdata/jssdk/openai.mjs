// The openai SDK (chat, Responses, embeddings, AzureOpenAI) against mockllm.
import assert from 'node:assert/strict';
import OpenAI, { AzureOpenAI } from 'openai';
import { LengthFinishReasonError, ContentFilterFinishReasonError } from 'openai/error';
import { base, canaryPrompt, canaryAnswer, withFault, expectError, done, weatherParams, checkWeather } from './lib.mjs';

const client = new OpenAI({ baseURL: base + '/v1', apiKey: 'sk-drill-test', maxRetries: 0 });
const out = {};

// Chat, plain: the canary's answer, usage adding up.
{
  const res = await client.chat.completions.create({
    model: 'gpt-4o',
    messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: `Is the ${canaryPrompt} alive?` }],
  });
  assert.equal(res.object, 'chat.completion');
  assert.equal(res.choices[0].message.role, 'assistant');
  assert.equal(res.choices[0].message.content, canaryAnswer);
  assert.equal(res.choices[0].finish_reason, 'stop');
  assert.equal(res.usage.total_tokens, res.usage.prompt_tokens + res.usage.completion_tokens);
  assert.match(res._request_id, /^req_/);
  out.chat = { text: res.choices[0].message.content, completion_tokens: res.usage.completion_tokens };
}

// Models, and legacy completions (as vLLM serves them).
{
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.ok(ids.includes('gpt-4o'), ids.join(', '));
  const one = await client.models.retrieve('gpt-4o');
  assert.equal(one.id, 'gpt-4o');
  const res = await client.completions.create({ model: 'gpt-4o', prompt: `Is the ${canaryPrompt} alive?`, max_tokens: 64 });
  assert.equal(res.object, 'text_completion');
  assert.equal(res.choices[0].text, canaryAnswer);
  const stream = await client.completions.create({ model: 'gpt-4o', prompt: 'Explain backoff', stream: true, stream_options: { include_usage: true } });
  let text = '';
  let usage;
  for await (const c of stream) {
    text += c.choices[0]?.text ?? '';
    usage = c.usage ?? usage;
  }
  out.completions = { text: res.choices[0].text, stream_text: text, stream_output_tokens: usage.completion_tokens };
}

// Chat, streamed with usage: the SDK's own accumulator (ChatCompletionStream).
{
  const stream = client.chat.completions.stream({
    model: 'gpt-4o', messages: [{ role: 'user', content: 'Explain backoff' }], stream_options: { include_usage: true },
  });
  let chunks = 0;
  let deltas = '';
  stream.on('content', (delta) => { deltas += delta; });
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    chunks++;
  }
  const final = await stream.finalChatCompletion();
  const text = final.choices[0].message.content;
  assert.ok(text.length > 0);
  assert.equal(deltas, text);
  assert.equal(final.choices[0].finish_reason, 'stop');
  assert.ok(final.usage, 'include_usage gives a usage chunk');
  out.stream = { text, chunks, completion_tokens: final.usage.completion_tokens };
  // n choices, interleaved in one stream, accumulated by index.
  const many = await client.chat.completions.stream({ model: 'gpt-4o-mini', n: 2, max_completion_tokens: 6, messages: [{ role: 'user', content: 'Tell me a story' }] }).finalChatCompletion();
  assert.equal(many.choices.length, 2);
  assert.deepEqual(many.choices.map((c) => c.index), [0, 1]);
  assert.ok(many.choices.every((c) => c.finish_reason === 'length' && c.message.content.length > 0));
}

// Tools: a forced call whose arguments meet the schema, the answer after
// the tool's result, and the same call streamed through the SDK's runner.
{
  const tools = [{ type: 'function', function: { name: 'get_weather', parameters: weatherParams, strict: true } }];
  const messages = [{ role: 'user', content: 'Weather in Paris?' }];
  const res = await client.chat.completions.create({ model: 'gpt-4o', messages, tools, tool_choice: 'required' });
  assert.equal(res.choices[0].finish_reason, 'tool_calls');
  const call = res.choices[0].message.tool_calls[0];
  assert.equal(call.type, 'function');
  assert.equal(call.function.name, 'get_weather');
  checkWeather(JSON.parse(call.function.arguments));
  messages.push(res.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '{"temp":21}' });
  const after = await client.chat.completions.create({ model: 'gpt-4o', messages, tools });
  assert.equal(after.choices[0].finish_reason, 'stop');
  assert.ok(!after.choices[0].message.tool_calls?.length);

  const stream = client.chat.completions.stream({ model: 'gpt-4o', messages: messages.slice(0, 1), tools, tool_choice: 'required' });
  let argsDone = null;
  stream.on('tool_calls.function.arguments.done', (ev) => { argsDone = ev; });
  const final = await stream.finalChatCompletion();
  assert.equal(final.choices[0].finish_reason, 'tool_calls');
  const streamed = final.choices[0].message.tool_calls;
  assert.equal(streamed.length, 1);
  checkWeather(JSON.parse(streamed[0].function.arguments));
  // strict tools are parsed by the SDK itself
  assert.ok(argsDone, 'the stream ends the arguments');
  checkWeather(argsDone.parsed_arguments);
  out.tools = { name: call.function.name, streamed_name: streamed[0].function.name };
}

// response_format json_schema, parsed by the SDK's parse().
{
  const schema = {
    type: 'object',
    properties: {
      severity: { type: 'string', enum: ['low', 'high'] },
      steps: { type: 'array', items: { type: 'integer' }, minItems: 2, maxItems: 4 },
      owner: { type: ['string', 'null'] },
    },
    required: ['severity', 'steps', 'owner'],
    additionalProperties: false,
  };
  const res = await client.chat.completions.parse({
    model: 'gpt-4o', messages: [{ role: 'user', content: 'triage' }],
    response_format: { type: 'json_schema', json_schema: { name: 'triage', schema, strict: true } },
  });
  const parsed = res.choices[0].message.parsed;
  assert.deepEqual(Object.keys(parsed).sort(), ['owner', 'severity', 'steps']);
  assert.ok(['low', 'high'].includes(parsed.severity));
  assert.ok(parsed.steps.length >= 2 && parsed.steps.length <= 4);
  assert.ok(parsed.steps.every(Number.isInteger));
  // A cut answer is the SDK's LengthFinishReasonError.
  const cut = await expectError(() => client.chat.completions.parse({
    model: 'gpt-4o', messages: [{ role: 'user', content: 'triage' }], max_completion_tokens: 3,
    response_format: { type: 'json_schema', json_schema: { name: 'triage', schema, strict: true } },
  }));
  assert.ok(cut instanceof LengthFinishReasonError, cut.constructor.name);
  out.json_schema = { severity: parsed.severity };
}

// Responses API, plain and streamed through the SDK's ResponseStream.
{
  const res = await client.responses.create({ model: 'gpt-4o', input: `Is the ${canaryPrompt} alive?`, instructions: 'be brief' });
  assert.equal(res.object, 'response');
  assert.equal(res.status, 'completed');
  assert.equal(res.output_text, canaryAnswer);
  assert.equal(res.usage.total_tokens, res.usage.input_tokens + res.usage.output_tokens);

  const stream = client.responses.stream({ model: 'gpt-4o', input: 'Explain backoff' });
  const types = new Set();
  let deltas = '';
  let seq = -1;
  for await (const ev of stream) {
    assert.ok(ev.sequence_number > seq, `sequence_number ${ev.sequence_number} after ${seq}`);
    seq = ev.sequence_number;
    types.add(ev.type);
    if (ev.type === 'response.output_text.delta') deltas += ev.delta;
  }
  const final = await stream.finalResponse();
  assert.equal(final.status, 'completed');
  assert.equal(final.output_text, deltas);
  for (const t of ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added',
    'response.output_text.delta', 'response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']) {
    assert.ok(types.has(t), `the stream has ${t}`);
  }
  out.responses = { text: res.output_text, stream_text: final.output_text, stream_output_tokens: final.usage.output_tokens };
}

// Responses API with function tools (plain, and streamed into the SDK's
// snapshot) and a json_schema text format parsed by responses.parse().
{
  const tools = [{ type: 'function', name: 'get_weather', parameters: weatherParams, strict: true }];
  const res = await client.responses.create({ model: 'gpt-4o', input: 'Weather in Paris?', tools, tool_choice: 'required' });
  const call = res.output.find((o) => o.type === 'function_call');
  assert.equal(call.name, 'get_weather');
  assert.ok(call.call_id);
  checkWeather(JSON.parse(call.arguments));
  const after = await client.responses.create({
    model: 'gpt-4o', tools,
    input: [{ role: 'user', content: 'Weather in Paris?' }, call, { type: 'function_call_output', call_id: call.call_id, output: '{"temp":21}' }],
  });
  assert.ok(after.output_text.length > 0);
  const stream = client.responses.stream({ model: 'gpt-4o', input: 'Weather in Paris?', tools, tool_choice: 'required' });
  let args = '';
  stream.on('response.function_call_arguments.delta', (ev) => { args += ev.delta; });
  const final = await stream.finalResponse();
  const streamed = final.output.find((o) => o.type === 'function_call');
  assert.equal(streamed.arguments, args);
  checkWeather(JSON.parse(args));
  const parsed = await client.responses.parse({
    model: 'gpt-4o', input: 'triage',
    text: { format: { type: 'json_schema', name: 'triage', strict: true, schema: { type: 'object', properties: { severity: { type: 'string', enum: ['low', 'high'] } }, required: ['severity'], additionalProperties: false } } },
  });
  assert.ok(['low', 'high'].includes(parsed.output_parsed.severity));
  out.responses_tools = { name: call.name, streamed_name: streamed.name };
}

// Embeddings: the SDK asks for base64 by default and decodes it itself.
{
  const res = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta'] });
  assert.equal(res.data.length, 2);
  assert.equal(res.data[0].embedding.length, 1536);
  const floats = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta'], encoding_format: 'float' });
  for (let i = 0; i < 1536; i++) assert.ok(Math.abs(floats.data[0].embedding[i] - res.data[0].embedding[i]) < 1e-6);
  const norm = Math.hypot(...res.data[1].embedding);
  assert.ok(Math.abs(norm - 1) < 1e-3, `norm ${norm}`);
  const short = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'alpha', dimensions: 256 });
  assert.equal(short.data[0].embedding.length, 256);
  out.embeddings = { dimensions: res.data[0].embedding.length, prompt_tokens: res.usage.prompt_tokens };
}

// AzureOpenAI: endpoint, api-version, deployment; Azure's content filter
// results come through the SDK untouched.
{
  const azure = new AzureOpenAI({ endpoint: base, apiKey: 'azure-drill-test', apiVersion: '2024-10-21', deployment: 'gpt-4o', maxRetries: 0 });
  const res = await azure.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: `Is the ${canaryPrompt} alive?` }] });
  assert.equal(res.choices[0].message.content, canaryAnswer);
  assert.equal(res.prompt_filter_results[0].content_filter_results.violence.filtered, false);
  assert.equal(res.choices[0].content_filter_results.hate.severity, 'safe');
  const stream = await azure.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Explain backoff' }], stream: true });
  let text = '';
  let first;
  for await (const chunk of stream) {
    first ??= chunk;
    text += chunk.choices[0]?.delta?.content ?? '';
  }
  assert.ok(text.length > 0);
  assert.deepEqual(first.choices, [], 'the first event is the prompt filter results');
  assert.ok(first.prompt_filter_results);
  // The SDK's stream helper accumulates Azure's stream alike.
  const helper = await azure.chat.completions.stream({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Explain backoff' }] }).finalChatCompletion();
  assert.equal(helper.choices[0].message.content, text);
  // Without a deployment the SDK puts the body's model in the path.
  const bare = new AzureOpenAI({ endpoint: base, apiKey: 'azure-drill-test', apiVersion: '2024-10-21', maxRetries: 0 });
  const bareRes = await bare.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `Is the ${canaryPrompt} alive?` }] });
  assert.equal(bareRes.choices[0].message.content, canaryAnswer);
  assert.equal(bareRes.model, 'gpt-4o-mini');
  const emb = new AzureOpenAI({ endpoint: base, apiKey: 'azure-drill-test', apiVersion: '2024-10-21', deployment: 'text-embedding-3-small', maxRetries: 0 });
  const e = await emb.embeddings.create({ model: 'text-embedding-3-small', input: 'alpha' });
  assert.equal(e.data[0].embedding.length, 1536);
  const err = await expectError(() => new AzureOpenAI({ endpoint: base, apiKey: 'k', apiVersion: '2024-10-21', deployment: 'nope', maxRetries: 0 })
    .chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'hi' }] }));
  assert.ok(err instanceof OpenAI.NotFoundError, err.constructor.name);
  assert.equal(err.code, 'DeploymentNotFound');
  const limited = await withFault({ mode: 'error', params: { status: 429, retry_after: 1 }, count: 1 }, async () => {
    const t0 = Date.now();
    const r = await azure.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }, { maxRetries: 1 });
    assert.ok(r.choices[0].message.content.length > 0);
    return Date.now() - t0;
  });
  assert.equal(limited.affected, 1);
  assert.equal(limited.requests, 2);
  assert.ok(limited.value >= 900, `the SDK waited ${limited.value} ms on retry-after-ms / Retry-After`);
  // The output content filter: finish_reason content_filter, the
  // filtered category, and parse()'s ContentFilterFinishReasonError.
  const filtered = await withFault({ mode: 'garbage', params: { kind: 'content_filter' } }, async () => {
    const r = await azure.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Explain backoff' }] });
    const e = await expectError(() => azure.chat.completions.parse({ model: 'gpt-4o', messages: [{ role: 'user', content: 'triage' }],
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false }, strict: true } } }));
    return { r, e };
  });
  assert.equal(filtered.value.r.choices[0].finish_reason, 'content_filter');
  assert.equal(filtered.value.r.choices[0].content_filter_results.violence.filtered, true);
  assert.ok(filtered.value.e instanceof ContentFilterFinishReasonError, filtered.value.e.constructor.name);
  assert.equal(filtered.affected, 2);
  // Azure's v1 API: a plain OpenAI client on /openai/v1.
  const v1 = new OpenAI({ baseURL: base + '/openai/v1', apiKey: 'azure-drill-test', maxRetries: 0 });
  const v1res = await v1.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: `Is the ${canaryPrompt} alive?` }] });
  assert.equal(v1res.choices[0].message.content, canaryAnswer);
  assert.ok(v1res.prompt_filter_results, 'Azure content filter results on the v1 API');
  out.azure = { text: res.choices[0].message.content, stream_text_length: text.length, retry_wait_ms: limited.value };
}

// Faults, as the SDK raises them.
const hi = (options) => client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }, options);
{
  // 500 without retries: InternalServerError, status and the drill header.
  const r = await withFault({ mode: 'error', params: { status: 500 } }, () => expectError(() =>
    hi()));
  const err = r.value;
  assert.ok(err instanceof OpenAI.InternalServerError, err.constructor.name);
  assert.equal(err.status, 500);
  assert.equal(err.type, 'server_error');
  assert.ok(err.headers.get('x-drill-fault'), 'X-Drill-Fault names the fault');
  assert.equal(r.requests, 1);
  out.e500 = { status: err.status, requests: r.requests };
  // Bad requests: BadRequestError naming the parameter, and a 400
  // fault as the context-length error.
  const bad = await expectError(() => client.chat.completions.create({ model: 'gpt-4o', n: 200, messages: [{ role: 'user', content: 'hi' }] }));
  assert.ok(bad instanceof OpenAI.BadRequestError, bad.constructor.name);
  assert.equal(bad.param, 'n');
  const ctx = await withFault({ mode: 'error', params: { status: 400 } }, () => expectError(() => hi()));
  assert.ok(ctx.value instanceof OpenAI.BadRequestError, ctx.value.constructor.name);
  assert.equal(ctx.value.code, 'context_length_exceeded');
}
{
  // 503 once, the SDK's default retries: it retries after its own backoff.
  const r = await withFault({ mode: 'error', params: { status: 503 }, count: 1 }, () =>
    hi({ maxRetries: 2 }));
  assert.ok(r.value.choices[0].message.content.length > 0);
  assert.equal(r.affected, 1);
  assert.equal(r.requests, 2);
  out.e503 = { affected: r.affected, requests: r.requests };
}
{
  // 429 with a retry hint: RateLimitError, then retries that wait as told.
  const first = await withFault({ mode: 'error', params: { status: 429, retry_after: 1 } }, () => expectError(() =>
    hi()));
  const err = first.value;
  assert.ok(err instanceof OpenAI.RateLimitError, err.constructor.name);
  assert.equal(err.status, 429);
  assert.equal(err.code, 'rate_limit_exceeded');
  assert.equal(err.headers.get('retry-after'), '1');
  const r = await withFault({ mode: 'error', params: { status: 429, retry_after: 1 }, count: 2 }, async () => {
    const t0 = Date.now();
    await hi({ maxRetries: 2 });
    return Date.now() - t0;
  });
  assert.equal(r.affected, 2);
  assert.equal(r.requests, 3);
  assert.ok(r.value >= 1900, `two retries after Retry-After: 1 took ${r.value} ms`);
  out.e429 = { retry_after: err.headers.get('retry-after'), requests: r.requests, waited_ms: r.value };
}
{
  // A stream that fails midway: the SDK throws an APIError from the loop.
  const r = await withFault({ mode: 'stream_error_event', params: { after_tokens: 3 } }, async () => {
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Explain backoff' }], stream: true });
    let text = '';
    const err = await expectError(async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    });
    return { err, text };
  });
  assert.ok(r.value.err instanceof OpenAI.APIError, r.value.err.constructor.name);
  assert.match(r.value.err.message, /The server had an error/);
  assert.equal(r.affected, 1);
  // The Responses API sends an error event (ResponseErrorEvent, type
  // "error"); the SDK yields it as an event, and its ResponseStream
  // helper emits it as its 'error' (the event itself, not an Error).
  const rr = await withFault({ mode: 'stream_error_event', params: { after_tokens: 3 }, count: 2 }, async () => {
    const stream = await client.responses.create({ model: 'gpt-4o', input: 'Explain backoff', stream: true });
    const events = [];
    for await (const ev of stream) events.push(ev);
    const helper = client.responses.stream({ model: 'gpt-4o', input: 'Explain backoff' });
    const err = await expectError(() => helper.finalResponse());
    return { events, err };
  });
  const last = rr.value.events.at(-1);
  assert.equal(last.type, 'error');
  assert.equal(last.code, 'server_error');
  assert.ok(last.sequence_number > rr.value.events.at(-2).sequence_number);
  assert.ok(!rr.value.events.some((ev) => ev.type === 'response.completed'));
  assert.equal(rr.value.err.type, 'error');
  assert.equal(rr.value.err.code, 'server_error');
  assert.equal(rr.affected, 2);
  out.stream_error = { text: r.value.text, responses_error: last.message };
}
{
  // A stream cut midway (the connection closed without its terminator)
  // and a malformed chunk: what the SDK's loop throws.
  const chat = (prompt) => client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: prompt }], stream: true });
  const drain = async (stream) => { let text = ''; for await (const c of stream) text += c.choices[0]?.delta?.content ?? ''; return text; };
  const cut = await withFault({ mode: 'stream_cut', params: { after_tokens: 3 } }, async () => expectError(async () => drain(await chat('Explain backoff'))));
  assert.equal(cut.affected, 1);
  const bad = await withFault({ mode: 'malformed_chunk', params: { after_tokens: 3 } }, async () => expectError(async () => drain(await chat('Explain backoff'))));
  assert.ok(bad.value instanceof SyntaxError, bad.value.constructor.name);
  out.stream_cut = { error: `${cut.value.name}: ${cut.value.message}`, malformed: bad.value.constructor.name };
}
{
  // rate_limit: the second request of the minute is refused with the
  // limit's headers; quota: insufficient_quota.
  const r = await withFault({ mode: 'rate_limit', params: { rpm: 1 } }, async () => {
    const ok = await hi().withResponse();
    const err = await expectError(() => hi());
    return { headers: ok.response.headers, err };
  });
  assert.equal(r.value.headers.get('x-ratelimit-limit-requests'), '1');
  assert.equal(r.value.headers.get('x-ratelimit-remaining-requests'), '0');
  assert.ok(r.value.err instanceof OpenAI.RateLimitError, r.value.err.constructor.name);
  const wait = Number(r.value.err.headers.get('retry-after'));
  assert.ok(wait >= 1 && wait <= 60, `retry-after ${wait}`);
  const q = await withFault({ mode: 'quota' }, () => expectError(() =>
    hi()));
  assert.ok(q.value instanceof OpenAI.RateLimitError, q.value.constructor.name);
  assert.equal(q.value.code, 'insufficient_quota');
  out.limits = { rate_limit_code: r.value.err.code, quota_code: q.value.code };
}
{
  // Billing inflation: the SDK's parsed usage bills twice the tokens sent.
  const r = await withFault({ mode: 'billing', params: { factor: 2, tokens: 'completion' } }, () =>
    client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Explain backoff' }] }));
  out.billing = { text: r.value.choices[0].message.content, completion_tokens: r.value.usage.completion_tokens };
  // Garbage: invalid JSON under json_schema; the SDK's parse() refuses it.
  const g = await withFault({ mode: 'garbage', params: { kind: 'invalid_json' } }, () => expectError(() =>
    client.chat.completions.parse({
      model: 'gpt-4o', messages: [{ role: 'user', content: 'triage' }],
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false }, strict: true } },
    })));
  assert.ok(g.value instanceof SyntaxError, g.value.constructor.name);
  assert.equal(g.affected, 1);
  out.garbage = { error: g.value.constructor.name };
}

done(out);
