// The @anthropic-ai/sdk client (messages, streaming, tools) against mockllm.
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { base, canaryPrompt, canaryAnswer, withFault, expectError, done, weatherParams, checkWeather } from './lib.mjs';

const client = new Anthropic({ baseURL: base, apiKey: 'sk-ant-drill-test', maxRetries: 0 });
const out = {};
const model = 'claude-haiku-4-5';

// Messages, plain.
{
  const res = await client.messages.create({
    model, max_tokens: 256, system: 'be brief', messages: [{ role: 'user', content: `Is the ${canaryPrompt} alive?` }],
  });
  assert.equal(res.type, 'message');
  assert.equal(res.role, 'assistant');
  assert.equal(res.content[0].type, 'text');
  assert.equal(res.content[0].text, canaryAnswer);
  assert.equal(res.stop_reason, 'end_turn');
  assert.ok(res._request_id, 'request-id header');
  const cut = await client.messages.create({ model, max_tokens: 5, messages: [{ role: 'user', content: 'Tell me a long story' }] });
  assert.equal(cut.stop_reason, 'max_tokens');
  assert.equal(cut.usage.output_tokens, 5);
  out.message = { text: res.content[0].text, input_tokens: res.usage.input_tokens, output_tokens: res.usage.output_tokens };
}

// Models.
{
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.deepEqual(ids.sort(), ['claude-haiku-4-5', 'claude-sonnet-4-5']);
  assert.equal((await client.models.retrieve(model)).id, model);
}

// Streaming through the SDK's MessageStream, and the raw events.
{
  const stream = client.messages.stream({ model, max_tokens: 512, messages: [{ role: 'user', content: 'Explain backoff' }] });
  let deltas = '';
  stream.on('text', (t) => { deltas += t; });
  const final = await stream.finalMessage();
  assert.equal(final.content[0].text, deltas);
  assert.equal(final.stop_reason, 'end_turn');
  const raw = await client.messages.create({ model, max_tokens: 512, messages: [{ role: 'user', content: 'Explain backoff' }], stream: true });
  const types = [];
  for await (const ev of raw) types.push(ev.type);
  assert.equal(types[0], 'message_start');
  assert.equal(types.at(-1), 'message_stop');
  assert.ok(types.includes('content_block_delta'));
  out.stream = { text: final.content[0].text, output_tokens: final.usage.output_tokens, events: types.length };
}

// Tools: a forced tool_use, the answer after its result, and the call
// streamed as input_json_delta that the SDK assembles.
{
  const tools = [{ name: 'get_weather', description: 'Weather by city', input_schema: weatherParams }];
  const messages = [{ role: 'user', content: 'Weather in Paris?' }];
  const res = await client.messages.create({ model, max_tokens: 512, messages, tools, tool_choice: { type: 'tool', name: 'get_weather' } });
  assert.equal(res.stop_reason, 'tool_use');
  const use = res.content.find((b) => b.type === 'tool_use');
  assert.equal(use.name, 'get_weather');
  assert.match(use.id, /^toolu_/);
  checkWeather(use.input);
  messages.push({ role: 'assistant', content: res.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '{"temp":21}' }] });
  const after = await client.messages.create({ model, max_tokens: 512, messages, tools });
  assert.equal(after.stop_reason, 'end_turn');
  assert.equal(after.content[0].type, 'text');

  const stream = client.messages.stream({ model, max_tokens: 512, messages: messages.slice(0, 1), tools, tool_choice: { type: 'any' } });
  let json = '';
  stream.on('inputJson', (delta) => { json += delta; });
  const final = await stream.finalMessage();
  assert.equal(final.stop_reason, 'tool_use');
  const streamed = final.content.find((b) => b.type === 'tool_use');
  checkWeather(streamed.input);
  assert.deepEqual(JSON.parse(json), streamed.input);
  out.tools = { name: use.name, streamed_name: streamed.name };
}

// countTokens: what the same request is billed as input.
{
  const req = { model, system: 'be brief', messages: [{ role: 'user', content: 'How many tokens is this?' }] };
  const counted = await client.messages.countTokens(req);
  const res = await client.messages.create({ ...req, max_tokens: 16 });
  assert.equal(counted.input_tokens, res.usage.input_tokens);
  out.count_tokens = { input_tokens: counted.input_tokens };
}

// Faults, as the SDK raises them.
{
  // 529 without retries: Anthropic's overloaded_error.
  const r = await withFault({ mode: 'error', params: { status: 529 } }, () => expectError(() =>
    client.messages.create({ model, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] })));
  const err = r.value;
  assert.ok(err instanceof Anthropic.InternalServerError, err.constructor.name);
  assert.equal(err.status, 529);
  assert.equal(err.error.type, 'error');
  assert.equal(err.error.error.type, 'overloaded_error');
  assert.ok(err.requestID, 'request-id on the error');
  out.e529 = { status: err.status, type: err.error.error.type };
}
{
  // 500 once, default retries: the SDK retries after its backoff.
  const r = await withFault({ mode: 'error', params: { status: 500 }, count: 1 }, () =>
    client.messages.create({ model, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }, { maxRetries: 2 }));
  assert.equal(r.value.type, 'message');
  assert.equal(r.affected, 1);
  assert.equal(r.requests, 2);
  out.e500 = { requests: r.requests };
}
{
  // 429 with retry-after: RateLimitError, then retries that wait as told.
  const first = await withFault({ mode: 'error', params: { status: 429, retry_after: 1 } }, () => expectError(() =>
    client.messages.create({ model, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] })));
  const err = first.value;
  assert.ok(err instanceof Anthropic.RateLimitError, err.constructor.name);
  assert.equal(err.error.error.type, 'rate_limit_error');
  assert.equal(err.headers.get('retry-after'), '1');
  const r = await withFault({ mode: 'error', params: { status: 429, retry_after: 1 }, count: 1 }, async () => {
    const t0 = Date.now();
    await client.messages.create({ model, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }, { maxRetries: 1 });
    return Date.now() - t0;
  });
  assert.equal(r.requests, 2);
  assert.ok(r.value >= 950, `the retry after Retry-After: 1 came after ${r.value} ms`);
  out.e429 = { retry_after: err.headers.get('retry-after'), requests: r.requests, waited_ms: r.value };
}
{
  // A stream that fails midway: an error event, thrown as APIError.
  const r = await withFault({ mode: 'stream_error_event', params: { after_tokens: 3 } }, async () => {
    const stream = client.messages.stream({ model, max_tokens: 512, messages: [{ role: 'user', content: 'Explain backoff' }] });
    let text = '';
    stream.on('text', (t) => { text += t; });
    const err = await expectError(() => stream.finalMessage());
    return { err, text };
  });
  assert.ok(r.value.err instanceof Anthropic.APIError, r.value.err.constructor.name);
  assert.equal(r.value.err.error.error.type, 'overloaded_error');
  assert.equal(r.affected, 1);
  out.stream_error = { text: r.value.text, type: r.value.err.error.error.type };
}
{
  // A stream cut midway and a malformed event: what MessageStream rejects with.
  const run = () => client.messages.stream({ model, max_tokens: 512, messages: [{ role: 'user', content: 'Explain backoff' }] }).finalMessage();
  const cut = await withFault({ mode: 'stream_cut', params: { after_tokens: 3 } }, () => expectError(run));
  assert.equal(cut.affected, 1);
  const bad = await withFault({ mode: 'malformed_chunk', params: { after_tokens: 3 } }, () => expectError(run));
  // MessageStream wraps what the JSON parser threw in an AnthropicError
  assert.ok(bad.value instanceof Anthropic.AnthropicError, bad.value.constructor.name);
  assert.ok(bad.value.cause instanceof SyntaxError, String(bad.value.cause));
  // rate_limit: Anthropic's headers on the answer, RateLimitError after.
  const rl = await withFault({ mode: 'rate_limit', params: { rpm: 1 } }, async () => {
    const ok = await client.messages.create({ model, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    const err = await expectError(() => client.messages.create({ model, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }));
    return { headers: ok.response.headers, err };
  });
  assert.equal(rl.value.headers.get('anthropic-ratelimit-requests-limit'), '1');
  assert.equal(rl.value.headers.get('anthropic-ratelimit-requests-remaining'), '0');
  assert.ok(!Number.isNaN(Date.parse(rl.value.headers.get('anthropic-ratelimit-requests-reset'))));
  assert.ok(rl.value.err instanceof Anthropic.RateLimitError, rl.value.err.constructor.name);
  assert.ok(Number(rl.value.err.headers.get('retry-after')) >= 1);
  out.stream_cut = { error: `${cut.value.name}: ${cut.value.message}`, malformed: `${bad.value.constructor.name} (${bad.value.cause.constructor.name})` };
}
{
  // Billing inflation on input tokens, in the SDK's parsed usage.
  const prompt = 'Explain backoff';
  const clean = await client.messages.create({ model, max_tokens: 64, messages: [{ role: 'user', content: prompt }] });
  const r = await withFault({ mode: 'billing', params: { factor: 3, tokens: 'prompt' } }, () =>
    client.messages.create({ model, max_tokens: 64, messages: [{ role: 'user', content: prompt }] }));
  assert.equal(r.value.usage.input_tokens, 3 * clean.usage.input_tokens);
  out.billing = { clean_input_tokens: clean.usage.input_tokens, input_tokens: r.value.usage.input_tokens };
  // Garbage: a refusal, as the SDK parses it.
  const g = await withFault({ mode: 'garbage', params: { kind: 'refusal' } }, () =>
    client.messages.create({ model, max_tokens: 256, messages: [{ role: 'user', content: prompt }] }));
  assert.equal(g.affected, 1);
  out.garbage = { stop_reason: g.value.stop_reason, text: g.value.content[0]?.text ?? '' };
}

done(out);
