import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Request models of the custom routes, in API Gateway's JSON Schema dialect (draft-04). The
 * enqueue model is derived from schema/job-envelope.schema.json (draft 2020-12) at synth time,
 * so the route and the workers cannot drift apart on what a task's data must be.
 */

export const ENVELOPE_SCHEMA_FILE = resolve(__dirname, '..', '..', 'schema', 'job-envelope.schema.json');
const DRAFT_04 = 'http://json-schema.org/draft-04/schema#';

/** Tasks only the workflows produce; a client cannot enqueue them. */
const WORKFLOW_ONLY_TASKS = ['workflow-result'];

type Schema = Record<string, any>;

/** A request model: its name (API Gateway wants it alphanumeric) and its schema. */
export interface RequestModel {
  readonly name: string;
  readonly schema: Schema;
}

/**
 * Rewrites draft 2020-12 keywords into their draft-04 equivalents: `const` becomes a
 * one-value `enum`, and a `$defs` reference is replaced by the definition itself, because API
 * Gateway takes `$ref` only to another model's URL ("Working with models", API Gateway
 * developer guide), not to a local `#/definitions/…`. Keywords draft-04 lacks and that have no
 * equivalent (if/then/else, dependentSchemas, …) are refused rather than dropped.
 */
function toDraft04(schema: unknown, where: string, defs: Schema, inlining: string[] = []): unknown {
  const recurse = (s: unknown, at: string) => toDraft04(s, at, defs, inlining);
  if (Array.isArray(schema)) return schema.map((s, i) => recurse(s, `${where}[${i}]`));
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (['if', 'then', 'else', 'dependentSchemas', 'dependentRequired', 'prefixItems', 'unevaluatedProperties',
      '$anchor', '$dynamicRef'].includes(key)) {
      throw new Error(`${ENVELOPE_SCHEMA_FILE}: ${where}.${key} has no draft-04 equivalent; extend request-models.ts`);
    }
    if (key === 'const') out.enum = [value];
    else if (key === '$ref') Object.assign(out, inlined(value, where, defs, inlining));
    else if (key === 'properties') {
      out[key] = Object.fromEntries(
        Object.entries(value as Schema).map(([name, s]) => [name, recurse(s, `${where}.${key}.${name}`)]));
    } else out[key] = recurse(value, `${where}.${key}`);
  }
  return out;
}

/** The draft-04 form of the definition `#/$defs/{name}` names; refuses cycles and other refs. */
function inlined(ref: unknown, where: string, defs: Schema, inlining: string[]): Schema {
  const name = typeof ref === 'string' ? ref.match(/^#\/\$defs\/(\w+)$/)?.[1] : undefined;
  if (name === undefined || defs[name] === undefined) {
    throw new Error(`${ENVELOPE_SCHEMA_FILE}: ${where}.$ref must name one of $defs (#/$defs/<name>)`);
  }
  if (inlining.includes(name)) throw new Error(`${ENVELOPE_SCHEMA_FILE}: $defs.${name} refers to itself; it cannot be inlined`);
  return toDraft04(defs[name], `$defs.${name}`, defs, [...inlining, name]) as Schema;
}

/** The tasks an `if` block of the envelope schema selects: `{"properties": {"task": {"const"|"enum": …}}}`. */
function tasksOf(condition: Schema, where: string): string[] {
  const task = condition?.properties?.task;
  if (Object.keys(condition ?? {}).join() !== 'properties' || Object.keys(condition.properties).join() !== 'task'
    || (task?.const === undefined && !Array.isArray(task?.enum))) {
    throw new Error(`${ENVELOPE_SCHEMA_FILE}: ${where}.if must select tasks only ({"properties": {"task": {"const" or "enum"}}})`);
  }
  return task.const !== undefined ? [task.const] : task.enum;
}

/**
 * enqueue: `{"action": "enqueue", "task": …, "data": …}`. The envelope's `allOf` of
 * `if task ∈ T then data ∈ D` blocks becomes a `oneOf` of branches `task ∈ T and data ∈ D`
 * (plus one branch, data unconstrained, for the tasks no block mentions), so exactly one branch
 * applies to any task.
 */
export function enqueueModel(envelope: Schema = JSON.parse(readFileSync(ENVELOPE_SCHEMA_FILE, 'utf8'))): RequestModel {
  const defs: Schema = envelope.$defs ?? {};
  const tasks: string[] = envelope.properties.task.enum.filter((t: string) => !WORKFLOW_ONLY_TASKS.includes(t));
  const branches: Schema[] = [];
  const covered = new Set<string>();
  (envelope.allOf ?? []).forEach((block: Schema, i: number) => {
    const where = `allOf[${i}]`;
    const blockTasks = tasksOf(block.if, where).filter((t) => !WORKFLOW_ONLY_TASKS.includes(t));
    if (blockTasks.length === 0) return;
    const data = block.then?.properties?.data;
    if (Object.keys(block.then ?? {}).join() !== 'properties' || Object.keys(block.then.properties).join() !== 'data') {
      throw new Error(`${ENVELOPE_SCHEMA_FILE}: ${where}.then must constrain data only`);
    }
    for (const task of blockTasks) {
      if (covered.has(task)) throw new Error(`${ENVELOPE_SCHEMA_FILE}: task ${task} has two if/then blocks`);
      covered.add(task);
    }
    branches.push({ properties: { task: { enum: blockTasks }, data: toDraft04(data, `${where}.then.properties.data`, defs) } });
  });
  const free = tasks.filter((t) => !covered.has(t));
  if (free.length > 0) branches.push({ properties: { task: { enum: free } } });

  const schema: Schema = {
    $schema: DRAFT_04,
    title: 'enqueue',
    description: `Generated from schema/job-envelope.schema.json (tasks a client may enqueue; ${WORKFLOW_ONLY_TASKS.join(', ')} comes from workflows only).`,
    type: 'object',
    required: ['action', 'task', 'data'],
    additionalProperties: false,
    properties: {
      action: { enum: ['enqueue'] },
      task: { enum: tasks },
      data: {},
    },
    oneOf: branches,
  };
  return { name: 'EnqueueRequest', schema };
}

/**
 * sync_sfn and async_sfn: `{"action": <route>, "data": …}`. The route's template passes data
 * into the execution input as `$input.json('$.data')`, which must exist; the state machines only
 * echo it, so any JSON value will do (the route catalogue's examples send a string).
 */
export function workflowModel(routeKey: 'sync_sfn' | 'async_sfn'): RequestModel {
  const name = routeKey === 'sync_sfn' ? 'SyncSfnRequest' : 'AsyncSfnRequest';
  return {
    name,
    schema: {
      $schema: DRAFT_04,
      title: routeKey,
      type: 'object',
      required: ['action', 'data'],
      additionalProperties: false,
      properties: { action: { enum: [routeKey] }, data: {} },
    },
  };
}

/**
 * The HTTP backend's route: `{"action": <route>, …}`. The backend owns its message format, so
 * this model only asks for a JSON object naming the route, and the backend validates the rest:
 * restating its fields here would let the two drift apart.
 */
export function backendModel(routeKey: string): RequestModel {
  return {
    name: 'BackendRequest',
    schema: {
      $schema: DRAFT_04,
      title: routeKey,
      type: 'object',
      required: ['action'],
      properties: { action: { enum: [routeKey] } },
    },
  };
}
