// The @google/genai client (Gemini API) against mockllm.
import assert from 'node:assert/strict';
import { GoogleGenAI, ApiError, FunctionCallingConfigMode } from '@google/genai';
import { base, canaryPrompt, canaryAnswer, withFault, expectError, done, weatherParams, checkWeather } from './lib.mjs';

const ai = new GoogleGenAI({ apiKey: 'gemini-drill-test', httpOptions: { baseUrl: base } });
const model = 'gemini-2.5-flash';
const out = {};

// generateContent, plain: the canary, usage adding up.
{
  const res = await ai.models.generateContent({ model, contents: `Is the ${canaryPrompt} alive?`, config: { systemInstruction: 'be brief' } });
  assert.equal(res.text, canaryAnswer);
  assert.equal(res.candidates[0].finishReason, 'STOP');
  assert.equal(res.candidates[0].content.role, 'model');
  const u = res.usageMetadata;
  assert.equal(u.totalTokenCount, u.promptTokenCount + u.candidatesTokenCount);
  assert.ok(res.responseId);
  assert.ok(res.modelVersion);
  const cut = await ai.models.generateContent({ model, contents: 'Tell me a long story', config: { maxOutputTokens: 5, candidateCount: 2 } });
  assert.equal(cut.candidates.length, 2);
  assert.ok(cut.candidates.every((c) => c.finishReason === 'MAX_TOKENS'));
  out.generate = { text: res.text, candidates_tokens: u.candidatesTokenCount, cut_tokens: cut.usageMetadata.candidatesTokenCount };
}

// Models, listed by the SDK's pager and one by one.
{
  const names = [];
  for await (const m of await ai.models.list()) names.push(m.name);
  assert.ok(names.includes('models/gemini-2.5-flash'), names.join(', '));
  const one = await ai.models.get({ model });
  assert.equal(one.name, 'models/gemini-2.5-flash');
  assert.ok(one.inputTokenLimit > 0);
}

// generateContentStream (SSE), chunk by chunk.
{
  const stream = await ai.models.generateContentStream({ model, contents: 'Explain backoff' });
  let text = '';
  let chunks = 0;
  let last;
  for await (const chunk of stream) {
    text += chunk.text ?? '';
    chunks++;
    last = chunk;
  }
  assert.ok(text.length > 0);
  assert.equal(last.candidates[0].finishReason, 'STOP');
  out.stream = { text, chunks, candidates_tokens: last.usageMetadata.candidatesTokenCount };
}

// countTokens and embedContent.
{
  const prompt = 'How many tokens is this?';
  const ct = await ai.models.countTokens({ model, contents: prompt });
  assert.ok(ct.totalTokens > 0);
  const emb = await ai.models.embedContent({ model: 'gemini-embedding-001', contents: ['alpha', 'beta'], config: { outputDimensionality: 768, taskType: 'RETRIEVAL_DOCUMENT' } });
  assert.equal(emb.embeddings.length, 2);
  assert.equal(emb.embeddings[0].values.length, 768);
  assert.notDeepEqual(emb.embeddings[0].values.slice(0, 4), emb.embeddings[1].values.slice(0, 4));
  const norm = Math.hypot(...emb.embeddings[0].values);
  // Only the full 3,072 numbers are normalised, as Gemini documents: the
  // first 768 hold about a quarter of the square norm.
  assert.ok(Math.abs(norm - 0.5) < 0.1, `norm ${norm}`);
  const full = await ai.models.embedContent({ model: 'gemini-embedding-001', contents: 'alpha' });
  out.tokens = { prompt, total: ct.totalTokens, dimensions: emb.embeddings[0].values.length, full_dimensions: full.embeddings[0].values.length };
}

// Function calling: a forced call, the answer after its response, and
// the call streamed.
{
  const tools = [{ functionDeclarations: [{ name: 'get_weather', description: 'Weather by city', parametersJsonSchema: weatherParams }] }];
  const config = { tools, toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.ANY, allowedFunctionNames: ['get_weather'] } } };
  const contents = [{ role: 'user', parts: [{ text: 'Weather in Paris?' }] }];
  const res = await ai.models.generateContent({ model, contents, config });
  assert.equal(res.functionCalls.length, 1);
  const call = res.functionCalls[0];
  assert.equal(call.name, 'get_weather');
  checkWeather(call.args);
  contents.push(res.candidates[0].content, { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temp: 21 } } }] });
  const after = await ai.models.generateContent({ model, contents, config: { tools } });
  assert.ok(!after.functionCalls?.length);
  assert.ok(after.text.length > 0);
  const stream = await ai.models.generateContentStream({ model, contents: contents.slice(0, 1), config });
  const calls = [];
  for await (const chunk of stream) calls.push(...(chunk.functionCalls ?? []));
  assert.equal(calls.length, 1);
  checkWeather(calls[0].args);
  // schema-typed parameters (OpenAPI type names) work too
  const typed = await ai.models.generateContent({
    model, contents: 'Weather in Oslo?',
    config: { tools: [{ functionDeclarations: [{ name: 'get_weather', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'] } }] }], toolConfig: config.toolConfig },
  });
  assert.equal(typeof typed.functionCalls[0].args.city, 'string');
  out.tools = { name: call.name, streamed_name: calls[0].name };
}

// Faults, as the SDK raises them: ApiError with the HTTP status and
// Google's error body as its message.
{
  const r = await withFault({ mode: 'error', params: { status: 500 } }, () => expectError(() =>
    ai.models.generateContent({ model, contents: 'hi' })));
  assert.ok(r.value instanceof ApiError, r.value.constructor.name);
  assert.equal(r.value.status, 500);
  const body = JSON.parse(r.value.message);
  assert.equal(body.error.status, 'INTERNAL');
  assert.equal(body.error.code, 500);
  out.e500 = { status: r.value.status, rpc: body.error.status };
}
{
  // 429 with RetryInfo; the SDK retries only when asked (retryOptions).
  const r = await withFault({ mode: 'error', params: { status: 429, retry_after: 2 } }, () => expectError(() =>
    ai.models.generateContent({ model, contents: 'hi' })));
  assert.equal(r.value.status, 429);
  const body = JSON.parse(r.value.message);
  assert.equal(body.error.status, 'RESOURCE_EXHAUSTED');
  const info = body.error.details.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.RetryInfo');
  assert.equal(info.retryDelay, '2s');
  assert.equal(r.requests, 1);
  const retried = await withFault({ mode: 'error', params: { status: 503 }, count: 1 }, () =>
    ai.models.generateContent({ model, contents: 'hi', config: { httpOptions: { retryOptions: { attempts: 3, initialDelay: 0.1, maxDelay: 0.2 } } } }));
  assert.ok(retried.value.text.length > 0);
  assert.equal(retried.affected, 1);
  assert.equal(retried.requests, 2);
  out.e429 = { retry_delay: info.retryDelay, retried_requests: retried.requests };
}
{
  // A stream that fails midway: an error chunk, thrown as ApiError.
  const r = await withFault({ mode: 'stream_error_event', params: { after_tokens: 3 } }, async () => {
    const stream = await ai.models.generateContentStream({ model, contents: 'Explain backoff' });
    let text = '';
    const err = await expectError(async () => { for await (const chunk of stream) text += chunk.text ?? ''; });
    return { err, text };
  });
  assert.ok(r.value.err instanceof ApiError, r.value.err.constructor.name);
  assert.equal(r.value.err.status, 503);
  assert.equal(r.affected, 1);
  out.stream_error = { text: r.value.text, status: r.value.err.status };
}
{
  // A stream cut midway; rate_limit's 429 with its RetryInfo.
  const cut = await withFault({ mode: 'stream_cut', params: { after_tokens: 3 } }, () => expectError(async () => {
    for await (const _ of await ai.models.generateContentStream({ model, contents: 'Explain backoff' }));
  }));
  assert.equal(cut.affected, 1);
  const rl = await withFault({ mode: 'rate_limit', params: { rpm: 1 } }, async () => {
    await ai.models.generateContent({ model, contents: 'hi' });
    return expectError(() => ai.models.generateContent({ model, contents: 'hi' }));
  });
  assert.ok(rl.value instanceof ApiError, rl.value.constructor.name);
  assert.equal(rl.value.status, 429);
  const body = JSON.parse(rl.value.message);
  assert.match(body.error.message, /Quota exceeded for metric/);
  assert.ok(body.error.details.some((d) => d['@type'] === 'type.googleapis.com/google.rpc.RetryInfo' && /^\d+s$/.test(d.retryDelay)));
  out.stream_cut = { error: `${cut.value.name}: ${cut.value.message}` };
}
{
  // Billing inflation, both ways, in usageMetadata.
  const r = await withFault({ mode: 'billing', params: { factor: 2, tokens: 'both' } }, () =>
    ai.models.generateContent({ model, contents: 'Explain backoff' }));
  const u = r.value.usageMetadata;
  out.billing = { text: r.value.text, prompt: 'Explain backoff', prompt_tokens: u.promptTokenCount, candidates_tokens: u.candidatesTokenCount, total_tokens: u.totalTokenCount };
  const g = await withFault({ mode: 'garbage', params: { kind: 'empty' } }, () => ai.models.generateContent({ model, contents: 'Explain backoff' }));
  assert.equal(g.affected, 1);
  out.garbage = { text: g.value.text ?? '', finish: g.value.candidates?.[0]?.finishReason ?? '' };
}

done(out);
