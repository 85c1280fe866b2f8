// @aws-sdk/client-bedrock-runtime (Converse, ConverseStream, InvokeModel)
// against mockllm.
import assert from 'node:assert/strict';
import {
  BedrockRuntimeClient, ConverseCommand, CountTokensCommand, ConverseStreamCommand, InvokeModelCommand, InvokeModelWithResponseStreamCommand,
  InternalServerException, ThrottlingException, ServiceUnavailableException, ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { base, canaryPrompt, canaryAnswer, withFault, expectError, done, weatherParams, checkWeather } from './lib.mjs';

const client = (maxAttempts = 1) => new BedrockRuntimeClient({
  region: 'us-east-1', endpoint: base, maxAttempts,
  credentials: { accessKeyId: 'AKIADRILLEXAMPLE', secretAccessKey: 'not-a-secret' },
});
const br = client();
const haiku = 'anthropic.claude-haiku-4-5-20251001-v1:0';
const nova = 'amazon.nova-lite-v1:0';
const user = (text) => [{ role: 'user', content: [{ text }] }];
const out = {};

// Converse, plain: the canary, usage, metrics, the request ID.
{
  const res = await br.send(new ConverseCommand({ modelId: haiku, messages: user(`Is the ${canaryPrompt} alive?`), system: [{ text: 'be brief' }] }));
  assert.equal(res.output.message.role, 'assistant');
  assert.equal(res.output.message.content[0].text, canaryAnswer);
  assert.equal(res.stopReason, 'end_turn');
  assert.equal(res.usage.totalTokens, res.usage.inputTokens + res.usage.outputTokens);
  assert.ok(res.metrics.latencyMs >= 0);
  assert.equal(res.$metadata.httpStatusCode, 200);
  assert.ok(res.$metadata.requestId, 'x-amzn-RequestId');
  const cut = await br.send(new ConverseCommand({ modelId: nova, messages: user('Tell me a long story'), inferenceConfig: { maxTokens: 5 } }));
  assert.equal(cut.stopReason, 'max_tokens');
  assert.equal(cut.usage.outputTokens, 5);
  const bad = await expectError(() => br.send(new ConverseCommand({ modelId: nova, messages: user('hi'), inferenceConfig: { maxTokens: 20000 } })));
  assert.ok(bad instanceof ValidationException, bad.name);
  assert.equal(bad.$metadata.httpStatusCode, 400);
  out.converse = { text: res.output.message.content[0].text, output_tokens: res.usage.outputTokens };
}

// A Bedrock API key: the SDK's bearer auth instead of SigV4.
{
  const bearer = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: base, maxAttempts: 1, token: { token: 'bedrock-api-key-drill' }, authSchemePreference: ['httpBearerAuth'] });
  let auth = '';
  bearer.middlewareStack.add((next) => async (args) => { auth = args.request.headers.Authorization; return next(args); }, { step: 'deserialize', priority: 'low' });
  const res = await bearer.send(new ConverseCommand({ modelId: nova, messages: user(`Is the ${canaryPrompt} alive?`) }));
  assert.equal(auth, 'Bearer bedrock-api-key-drill');
  assert.equal(res.output.message.content[0].text, canaryAnswer);
}

// ConverseStream: binary event stream decoded by the SDK.
{
  const res = await br.send(new ConverseStreamCommand({ modelId: nova, messages: user('Explain backoff') }));
  let text = '';
  const kinds = [];
  let usage;
  let stop;
  for await (const ev of res.stream) {
    const kind = Object.keys(ev).filter((k) => ev[k] !== undefined)[0];
    kinds.push(kind);
    if (ev.contentBlockDelta) text += ev.contentBlockDelta.delta.text;
    if (ev.messageStop) stop = ev.messageStop.stopReason;
    if (ev.metadata) usage = ev.metadata.usage;
  }
  assert.equal(kinds[0], 'messageStart');
  assert.equal(kinds.at(-1), 'metadata');
  assert.equal(stop, 'end_turn');
  out.stream = { text, output_tokens: usage.outputTokens };
}

// Tools on Converse, plain and streamed.
{
  const toolConfig = { tools: [{ toolSpec: { name: 'get_weather', inputSchema: { json: weatherParams } } }], toolChoice: { tool: { name: 'get_weather' } } };
  const res = await br.send(new ConverseCommand({ modelId: haiku, messages: user('Weather in Paris?'), toolConfig }));
  assert.equal(res.stopReason, 'tool_use');
  const use = res.output.message.content.find((b) => b.toolUse).toolUse;
  assert.equal(use.name, 'get_weather');
  checkWeather(use.input);
  const stream = await br.send(new ConverseStreamCommand({ modelId: haiku, messages: user('Weather in Paris?'), toolConfig }));
  let name = '';
  let input = '';
  for await (const ev of stream.stream) {
    if (ev.contentBlockStart?.start?.toolUse) name = ev.contentBlockStart.start.toolUse.name;
    if (ev.contentBlockDelta?.delta?.toolUse) input += ev.contentBlockDelta.delta.toolUse.input;
  }
  checkWeather(JSON.parse(input));
  // The tool's result, and the model answers in text.
  const after = await br.send(new ConverseCommand({
    modelId: haiku, toolConfig: { tools: toolConfig.tools },
    messages: [...user('Weather in Paris?'), res.output.message,
      { role: 'user', content: [{ toolResult: { toolUseId: use.toolUseId, content: [{ json: { temp: 21 } }] } }] }],
  }));
  assert.equal(after.stopReason, 'end_turn');
  assert.ok(after.output.message.content[0].text.length > 0);
  out.tools = { name: use.name, streamed_name: name };
}

// InvokeModel with an Anthropic body, plain and streamed.
{
  const body = { anthropic_version: 'bedrock-2023-05-31', max_tokens: 256, messages: [{ role: 'user', content: `Is the ${canaryPrompt} alive?` }] };
  const res = await br.send(new InvokeModelCommand({ modelId: haiku, contentType: 'application/json', accept: 'application/json', body: JSON.stringify(body) }));
  const msg = JSON.parse(new TextDecoder().decode(res.body));
  assert.equal(msg.type, 'message');
  assert.equal(msg.content[0].text, canaryAnswer);
  assert.equal(res.contentType, 'application/json');
  const stream = await br.send(new InvokeModelWithResponseStreamCommand({ modelId: haiku, body: JSON.stringify({ ...body, messages: [{ role: 'user', content: 'Explain backoff' }] }) }));
  let text = '';
  let metrics;
  for await (const ev of stream.body) {
    const e = JSON.parse(new TextDecoder().decode(ev.chunk.bytes));
    if (e.type === 'content_block_delta') text += e.delta.text;
    if (e.type === 'message_stop') metrics = e['amazon-bedrock-invocationMetrics'];
  }
  assert.ok(metrics, 'message_stop carries the invocation metrics');
  out.invoke = { text: msg.content[0].text, output_tokens: msg.usage.output_tokens, stream_text: text, stream_output_tokens: metrics.outputTokenCount };
}

// CountTokens: Converse and InvokeModel inputs, as billed.
{
  const messages = user('How many tokens is this?');
  const counted = await br.send(new CountTokensCommand({ modelId: haiku, input: { converse: { messages, system: [{ text: 'be brief' }] } } }));
  const res = await br.send(new ConverseCommand({ modelId: haiku, messages, system: [{ text: 'be brief' }] }));
  assert.equal(counted.inputTokens, res.usage.inputTokens);
  const body = { anthropic_version: 'bedrock-2023-05-31', max_tokens: 16, messages: [{ role: 'user', content: 'How many tokens is this?' }] };
  const invokeCount = await br.send(new CountTokensCommand({ modelId: haiku, input: { invokeModel: { body: new TextEncoder().encode(JSON.stringify(body)) } } }));
  const invoked = JSON.parse(new TextDecoder().decode((await br.send(new InvokeModelCommand({ modelId: haiku, body: JSON.stringify(body) }))).body));
  assert.equal(invokeCount.inputTokens, invoked.usage.input_tokens);
  out.count_tokens = { converse: counted.inputTokens, invoke: invokeCount.inputTokens };
}

// Faults, as the SDK raises them: modeled exceptions with $fault,
// $metadata and $retryable.
{
  const r = await withFault({ mode: 'error', params: { status: 500 } }, () => expectError(() =>
    br.send(new ConverseCommand({ modelId: nova, messages: user('hi') }))));
  const err = r.value;
  assert.ok(err instanceof InternalServerException, err.name);
  assert.equal(err.name, 'InternalServerException');
  assert.equal(err.$fault, 'server');
  assert.equal(err.$metadata.httpStatusCode, 500);
  assert.ok(err.$metadata.requestId, 'x-amzn-RequestId on the error');
  out.e500 = { name: err.name, status: err.$metadata.httpStatusCode };
}
{
  // 503 once; the SDK's standard retries (maxAttempts 3) get through.
  const r = await withFault({ mode: 'error', params: { status: 503 }, count: 1 }, () =>
    client(3).send(new ConverseCommand({ modelId: nova, messages: user('hi') })));
  assert.equal(r.value.$metadata.attempts, 2);
  assert.equal(r.requests, 2);
  const e = await withFault({ mode: 'error', params: { status: 503 } }, () => expectError(() =>
    br.send(new ConverseCommand({ modelId: nova, messages: user('hi') }))));
  assert.ok(e.value instanceof ServiceUnavailableException, e.value.name);
  out.e503 = { attempts: r.value.$metadata.attempts, name: e.value.name };
}
{
  // 429: ThrottlingException; retries wait at least the Retry-After sent.
  const first = await withFault({ mode: 'error', params: { status: 429, retry_after: 1 } }, () => expectError(() =>
    br.send(new ConverseCommand({ modelId: nova, messages: user('hi') }))));
  assert.ok(first.value instanceof ThrottlingException, first.value.name);
  assert.equal(first.value.$metadata.httpStatusCode, 429);
  assert.equal(first.value.$fault, 'client'); // the SDK's retry strategy knows ThrottlingException by name
  const r = await withFault({ mode: 'error', params: { status: 429, retry_after: 1 }, count: 1 }, async () => {
    const t0 = Date.now();
    const res = await client(2).send(new ConverseCommand({ modelId: nova, messages: user('hi') }));
    return { ms: Date.now() - t0, attempts: res.$metadata.attempts };
  });
  assert.equal(r.value.attempts, 2);
  assert.ok(r.value.ms >= 900, `the retry after Retry-After: 1 came after ${r.value.ms} ms`);
  out.e429 = { name: first.value.name, attempts: r.value.attempts, waited_ms: r.value.ms };
}
{
  // A stream that fails midway: the exception event, thrown from the loop.
  const r = await withFault({ mode: 'stream_error_event', params: { after_tokens: 3 } }, async () => {
    const res = await br.send(new ConverseStreamCommand({ modelId: nova, messages: user('Explain backoff') }));
    let text = '';
    const err = await expectError(async () => {
      for await (const ev of res.stream) if (ev.contentBlockDelta) text += ev.contentBlockDelta.delta.text;
    });
    return { err, text };
  });
  assert.equal(r.affected, 1);
  // InvokeModelWithResponseStream: the same exception event.
  const ir = await withFault({ mode: 'stream_error_event', params: { after_tokens: 3 } }, async () => {
    const res = await br.send(new InvokeModelWithResponseStreamCommand({ modelId: haiku, body: JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 256, messages: [{ role: 'user', content: 'Explain backoff' }] }) }));
    return expectError(async () => { for await (const _ of res.body); });
  });
  // A cut stream: the HTTP/2 stream ends without its last messages.
  const cut = await withFault({ mode: 'stream_cut', params: { after_tokens: 3 } }, async () => {
    const res = await br.send(new ConverseStreamCommand({ modelId: nova, messages: user('Explain backoff') }));
    return expectError(async () => { for await (const _ of res.stream); });
  });
  assert.equal(cut.affected, 1);
  out.stream_error = { text: r.value.text, name: r.value.err.name, invoke_name: ir.value.name, cut: `${cut.value.name}: ${cut.value.message}` };
}
{
  // Billing inflation in the SDK's parsed usage.
  const r = await withFault({ mode: 'billing', params: { factor: 2, tokens: 'completion' } }, () =>
    br.send(new ConverseCommand({ modelId: nova, messages: user('Explain backoff') })));
  out.billing = { text: r.value.output.message.content[0].text, output_tokens: r.value.usage.outputTokens };
  // Garbage: a wrong answer to the canary.
  const g = await withFault({ mode: 'garbage', params: { kind: 'wrong_answer' } }, () =>
    br.send(new ConverseCommand({ modelId: nova, messages: user(`Is the ${canaryPrompt} alive?`) })));
  assert.equal(g.affected, 1);
  assert.notEqual(g.value.output.message.content[0].text, canaryAnswer);
  out.garbage = { text: g.value.output.message.content[0].text };
}

{
  // A guardrail blocking the prompt (prompt_filter): Converse's
  // guardrail_intervened with the trace, InvokeModel's guardrailAction
  // INTERVENED in the body, both 200s with the blocked-input message.
  const r = await withFault({ mode: 'prompt_filter', params: { category: 'hate' } }, async () => {
    const conv = await br.send(new ConverseCommand({ modelId: nova, messages: user('hi'),
      guardrailConfig: { guardrailIdentifier: 'gr0abc123', guardrailVersion: 'DRAFT', trace: 'enabled' } }));
    const inv = await br.send(new InvokeModelCommand({ modelId: haiku, contentType: 'application/json', guardrailIdentifier: 'gr0abc123', guardrailVersion: '1', trace: 'ENABLED',
      body: JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }) }));
    return { conv, inv: JSON.parse(new TextDecoder().decode(inv.body)) };
  });
  assert.equal(r.affected, 2);
  const filter = r.value.conv.trace.guardrail.inputAssessment.gr0abc123.contentPolicy.filters[0];
  const ifilter = r.value.inv['amazon-bedrock-trace'].guardrail.inputAssessment.gr0abc123.contentPolicy.filters[0];
  out.guardrail = {
    stop_reason: r.value.conv.stopReason, text: r.value.conv.output.message.content[0].text, type: filter.type,
    name: r.value.inv['amazon-bedrock-guardrailAction'], stream_text: r.value.inv.content[0].text, malformed: ifilter.type,
    input_tokens: r.value.conv.usage.inputTokens, output_tokens: r.value.inv.usage.output_tokens,
  };
}

done(out);
