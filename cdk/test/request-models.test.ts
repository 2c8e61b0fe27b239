import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import Ajv2020 from 'ajv/dist/2020';
import AjvDraft04 from 'ajv-draft-04';
import { ENVELOPE_SCHEMA_FILE, enqueueModel, workflowModel } from '../lib/request-models';
import { logicalId, resourcesOfType, synth, target } from './fixture';

const { template } = synth();
const resources = template.toJSON().Resources as Record<string, any>;
const models = resourcesOfType(template, 'AWS::ApiGatewayV2::Model');
const routeIds = Object.fromEntries(Object.entries(resourcesOfType(template, 'AWS::ApiGatewayV2::Route'))
  .map(([id, r]) => [r.Properties.RouteKey as string, id]));
const envelope = JSON.parse(readFileSync(ENVELOPE_SCHEMA_FILE, 'utf8'));

const MODEL_OF: Record<string, string> = { enqueue: 'EnqueueRequest', sync_sfn: 'SyncSfnRequest', async_sfn: 'AsyncSfnRequest' };

test('one application/json model per custom route, named in letters and digits, on this API', () => {
  const byName: Record<string, any> = Object.fromEntries(Object.values(models).map((m) => [m.Properties.Name, m.Properties]));
  assert.deepEqual(Object.keys(byName).sort(), Object.values(MODEL_OF).sort());
  for (const [name, model] of Object.entries(byName)) {
    assert.match(name, /^[A-Za-z0-9]+$/);
    assert.equal(model.ContentType, 'application/json');
    assert.equal(model.Schema.$schema, 'http://json-schema.org/draft-04/schema#');
    assert.equal(target(model.ApiId), logicalId(template, 'AWS::ApiGatewayV2::Api', 'GatewayApi'));
  }
});

test('the custom routes select their model by action, with the route\'s model as $default, after it exists', () => {
  for (const [routeKey, name] of Object.entries(MODEL_OF)) {
    const route = resources[routeIds[routeKey]];
    assert.equal(route.Properties.ModelSelectionExpression, '$request.body.action', routeKey);
    assert.deepEqual(route.Properties.RequestModels, { $default: name }, routeKey);
    const modelId = Object.entries(models).find(([, m]) => m.Properties.Name === name)![0];
    assert.ok(route.DependsOn?.includes(modelId), `${routeKey} DependsOn ${modelId}`);
  }
});

test('$connect, $disconnect and $default validate nothing', () => {
  for (const routeKey of ['$connect', '$disconnect', '$default']) {
    const route = resources[routeIds[routeKey]].Properties;
    assert.equal(route.ModelSelectionExpression, undefined, routeKey);
    assert.equal(route.RequestModels, undefined, routeKey);
  }
});

test('the template holds the generated schemas', () => {
  const byName = Object.fromEntries(Object.values(models).map((m) => [m.Properties.Name, m.Properties.Schema]));
  assert.deepEqual(byName.EnqueueRequest, enqueueModel().schema);
  assert.deepEqual(byName.SyncSfnRequest, workflowModel('sync_sfn').schema);
  assert.deepEqual(byName.AsyncSfnRequest, workflowModel('async_sfn').schema);
});

/** Every key used anywhere in a schema (property names included; none of ours collide). */
function keywords(schema: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) schema.forEach((s) => keywords(s, out));
  else if (schema && typeof schema === 'object') {
    for (const [key, value] of Object.entries(schema)) {
      out.add(key);
      keywords(value, out);
    }
  }
  return out;
}

test('enqueue: tasks from the envelope schema minus workflow-result, in draft-04 terms only', () => {
  const { schema } = enqueueModel();
  assert.deepEqual(schema.properties.task.enum, envelope.properties.task.enum.filter((t: string) => t !== 'workflow-result'));
  assert.deepEqual(schema.required, ['action', 'task', 'data']);
  assert.equal(schema.additionalProperties, false);
  // API Gateway resolves `$ref` only to a model's URL, never to a local definition: inlined.
  for (const keyword of ['const', 'if', 'then', 'else', '$defs', 'definitions', '$ref']) {
    assert.ok(!keywords(schema).has(keyword), keyword);
  }
});

// A real draft-04 validator; strictSchema rejects keywords draft-04 does not know (strictTypes
// is a style rule about repeating "type", which the envelope's own schema does not follow).
const draft04 = new AjvDraft04({ strictSchema: true, strictTypes: false, allErrors: true });
const validateEnqueue = draft04.compile(enqueueModel().schema);
const validateSync = draft04.compile(workflowModel('sync_sfn').schema);
const validateAsync = draft04.compile(workflowModel('async_sfn').schema);

const ENQUEUE_VALID = [
  { action: 'enqueue', task: 'notify', data: 'hello' },
  { action: 'enqueue', task: 'notify', data: { any: ['thing'] } },
  { action: 'enqueue', task: 'store', data: { k: 'v' } },
  { action: 'enqueue', task: 'subscribe', data: { topic: 'news.eu:1' } },
  { action: 'enqueue', task: 'unsubscribe', data: { topic: 'news' } },
  { action: 'enqueue', task: 'broadcast', data: { topic: 'news', message: { text: 'hi' } } },
];
const ENQUEUE_INVALID: [string, unknown][] = [
  ['unknown task', { action: 'enqueue', task: 'reboot', data: {} }],
  ['a task only workflows send', { action: 'enqueue', task: 'workflow-result', data: { executionArn: 'x', status: 'SUCCEEDED' } }],
  ['missing data', { action: 'enqueue', task: 'notify' }],
  ['missing task', { action: 'enqueue', data: { k: 'v' } }],
  ['an extra property', { action: 'enqueue', task: 'notify', data: 'x', priority: 1 }],
  ['store with empty data', { action: 'enqueue', task: 'store', data: {} }],
  ['store with a string', { action: 'enqueue', task: 'store', data: 'x' }],
  ['notify with null', { action: 'enqueue', task: 'notify', data: null }],
  ['subscribe without topic', { action: 'enqueue', task: 'subscribe', data: {} }],
  ['subscribe to a bad topic', { action: 'enqueue', task: 'subscribe', data: { topic: 'no spaces' } }],
  ['broadcast without message', { action: 'enqueue', task: 'broadcast', data: { topic: 'news' } }],
  ['broadcast a null message', { action: 'enqueue', task: 'broadcast', data: { topic: 'news', message: null } }],
  ['another action', { action: 'sync_sfn', task: 'notify', data: 'x' }],
  ['not an object', ['enqueue']],
];

test('enqueue model (ajv, draft-04): valid bodies pass', () => {
  for (const body of ENQUEUE_VALID) assert.ok(validateEnqueue(body), `${JSON.stringify(body)}: ${draft04.errorsText(validateEnqueue.errors)}`);
});

test('enqueue model (ajv, draft-04): invalid bodies fail', () => {
  for (const [why, body] of ENQUEUE_INVALID) assert.equal(validateEnqueue(body), false, why);
});

test('enqueue model agrees with the envelope schema (draft 2020-12) on every sample\'s task and data', () => {
  // strictTypes off: the envelope schema's `then` branches constrain `data` without restating its type.
  const validateEnvelope = new Ajv2020({ allErrors: true, strictTypes: false }).compile(envelope);
  const samples = [...ENQUEUE_VALID, ...ENQUEUE_INVALID.map(([, body]) => body)]
    .filter((b: any) => b && typeof b === 'object' && !Array.isArray(b) && 'task' in b && 'data' in b && b.task !== 'workflow-result')
    .filter((b: any) => Object.keys(b).length === 3 && b.action === 'enqueue');
  assert.ok(samples.length >= 12);
  for (const body of samples as any[]) {
    // What the enqueue template makes of the body.
    const job = { v: 1, connectionId: 'c1', requestId: 'r1', receivedAt: 1, task: body.task, data: body.data, source: 'route' };
    assert.equal(validateEnqueue(body), validateEnvelope(job), JSON.stringify(body));
  }
});

test('sync_sfn and async_sfn models (ajv, draft-04): action and data required, data any JSON value', () => {
  for (const [routeKey, validate] of [['sync_sfn', validateSync], ['async_sfn', validateAsync]] as const) {
    for (const data of ['123456', { n: 1 }, [1, 2], 7, null]) {
      assert.ok(validate({ action: routeKey, data }), `${routeKey} ${JSON.stringify(data)}`);
    }
    assert.equal(validate({ action: routeKey }), false, `${routeKey}: missing data`);
    assert.equal(validate({ action: routeKey, data: 1, extra: true }), false, `${routeKey}: extra property`);
    assert.equal(validate({ action: routeKey === 'sync_sfn' ? 'async_sfn' : 'sync_sfn', data: 1 }), false, `${routeKey}: other action`);
  }
});

test('the converter refuses what it cannot express in draft-04 instead of dropping it', () => {
  const withData = (data: unknown) => ({ ...envelope, allOf: [{ if: { properties: { task: { const: 'notify' } } }, then: { properties: { data } } }] });
  assert.throws(() => enqueueModel(withData({ if: { type: 'string' }, then: { minLength: 1 } })), /no draft-04 equivalent/);
  assert.throws(() => enqueueModel({ ...envelope, allOf: [{ if: { required: ['data'] }, then: {} }] }), /must select tasks only/);
  assert.throws(() => enqueueModel({ ...envelope, allOf: [...envelope.allOf, envelope.allOf[0]] }), /task notify has two if\/then blocks/);
  // A task without a block gets a branch with unconstrained data.
  const open = enqueueModel({ ...envelope, allOf: [] }).schema;
  assert.deepEqual(open.oneOf, [{ properties: { task: { enum: ['notify', 'store', 'subscribe', 'unsubscribe', 'broadcast'] } } }]);
});
