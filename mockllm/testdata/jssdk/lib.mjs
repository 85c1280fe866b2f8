// Shared by the SDK scripts: the server under test and its fault control
// (the /_drill/ API a drill run uses), with no SDK of its own.
import assert from 'node:assert/strict';

export const base = process.env.MOCKLLM_URL;
assert.ok(base, 'MOCKLLM_URL must name the mockllm server');
export const canaryPrompt = process.env.MOCKLLM_CANARY_PROMPT;
export const canaryAnswer = process.env.MOCKLLM_CANARY_ANSWER;
assert.ok(canaryPrompt && canaryAnswer, 'MOCKLLM_CANARY_PROMPT and MOCKLLM_CANARY_ANSWER must be set');

async function control(method, path, body) {
  const res = await fetch(base + '/_drill' + path, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} /_drill${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// addFault adds one fault and answers its ID.
export async function addFault(fault) {
  return (await control('POST', '/faults', fault)).id;
}

// clearFaults removes every fault.
export async function clearFaults() {
  await control('DELETE', '/faults');
}

// affected is how many requests fault id changed.
export async function affected(id) {
  const ev = await control('GET', '/evidence');
  return ev[id] ?? 0;
}

// journalSince is the journal's entries after the first n.
export async function journalSince(n) {
  return (await control('GET', '/journal')).slice(n);
}

export async function journalLength() {
  return (await control('GET', '/journal')).length;
}

// withFault runs fn with fault on, and answers what fn answered and how
// many requests the fault affected and the server saw meanwhile.
export async function withFault(fault, fn) {
  const before = await journalLength();
  const id = await addFault(fault);
  try {
    const value = await fn(id);
    return { value, affected: await affected(id), requests: (await journalSince(before)).length };
  } finally {
    await clearFaults();
  }
}

// expectError runs fn, which must throw, and answers the error.
export async function expectError(fn) {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  assert.fail('the call succeeded where an error was expected');
}

export function done(results) {
  process.stdout.write(JSON.stringify(results) + '\n');
}

export const weatherParams = {
  type: 'object',
  properties: {
    city: { type: 'string' },
    unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
    days: { type: 'integer', minimum: 1, maximum: 7 },
  },
  required: ['city', 'unit', 'days'],
  additionalProperties: false,
};

// checkWeather asserts tool arguments meet weatherParams.
export function checkWeather(args) {
  assert.deepEqual(Object.keys(args).sort(), ['city', 'days', 'unit']);
  assert.equal(typeof args.city, 'string');
  assert.ok(args.city.length > 0);
  assert.ok(['celsius', 'fahrenheit'].includes(args.unit), args.unit);
  assert.ok(Number.isInteger(args.days) && args.days >= 1 && args.days <= 7, String(args.days));
}
