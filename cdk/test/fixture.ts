import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { WsflowStack } from '../lib/wsflow-stack';

/**
 * Context that changes every setting from its default (strings, as `-c key=value` gives them),
 * so one synthesis covers all the "context is honoured" tests.
 */
export const CUSTOM_CONTEXT = {
  stage: 'dev',
  throttleRate: '20',
  throttleBurst: '10',
  batchSize: '4',
  maxConcurrency: '7',
  maxReceiveCount: '5',
  waitSeconds: '1',
  accessLogs: 'false',
  retainData: 'true',
};

const synthesized = new Map<string, { stack: Stack; template: Template }>();

/**
 * The stack synthesized without building the Rust functions, with the defaults or with
 * CUSTOM_CONTEXT. Synthesis takes seconds, so each variant is made once per process.
 */
export function synth(variant: 'defaults' | 'custom' = 'defaults'): { stack: Stack; template: Template } {
  let result = synthesized.get(variant);
  if (!result) {
    const context = variant === 'custom' ? CUSTOM_CONTEXT : {};
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
    const stack = new WsflowStack(app, 'Wsflow', { stackName: 'wsflow' });
    result = { stack, template: Template.fromStack(stack) };
    synthesized.set(variant, result);
  }
  return result;
}

type Resources = Record<string, { Type: string; Properties: Record<string, any>; Metadata?: Record<string, unknown> }>;

/** The template's resources of one type, by logical id. */
export function resourcesOfType(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}

/** The only resource of a type, failing when there is not exactly one. */
export function onlyResource(template: Template, type: string) {
  const found = Object.values(resourcesOfType(template, type));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0];
}

/** `{"Ref": id}` or `{"Fn::GetAtt": [id, "Arn"]}` to the logical id they point at. */
export function target(ref: any): string {
  return ref?.Ref ?? ref?.['Fn::GetAtt']?.[0];
}

/** The logical id of the only resource of a type whose logical id starts with `prefix`. */
export function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(resourcesOfType(template, type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one ${type} named ${prefix}*, found ${ids.join(', ') || 'none'}`);
  return ids[0];
}
