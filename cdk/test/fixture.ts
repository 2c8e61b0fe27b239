import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../lib/app';
import { EdgeWebAclStack } from '../lib/web-acl';

/**
 * Context that changes the plain settings from their defaults (strings, as `-c key=value` gives
 * them), so one synthesis covers the "context is honoured" tests. It also opens the API
 * (auth=none, no WAF): the variant without the security features.
 */
export const CUSTOM_CONTEXT = {
  stage: 'dev',
  throttleRate: '20',
  throttleBurst: '10',
  routeThrottles: '{"enqueue":{"rate":1.5,"burst":2},"$connect":{"rate":5,"burst":5}}',
  batchSize: '4',
  maxConcurrency: '7',
  maxReceiveCount: '7',
  waitSeconds: '1',
  accessLogs: 'false',
  tracing: 'true',
  retainData: 'true',
  auth: 'none',
  waf: 'false',
};

export const CERTIFICATE_ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/0b5c6f1e-1111-2222-3333-444455556666';

/** Every security setting changed from its default (still environment-agnostic). */
export const SECURE_CONTEXT = {
  jwtAudience: 'clients',
  jwtIssuer: 'https://issuer.example.com/',
  jwksUrl: 'https://issuer.example.com/.well-known/jwks.json',
  apiKeys: 'true',
  apiKeyRateLimit: '5',
  apiKeyBurstLimit: '3',
  apiKeyQuota: '1000',
  wafRateLimit: '500',
  wafAllowIps: '198.51.100.0/24,2001:db8::/32',
  wafDenyIps: '["203.0.113.7/32","192.0.2.0/24","2001:db8:bad::/48"]',
  domainName: 'ws.example.com',
  certificateArn: CERTIFICATE_ARN,
};

/** Clients use the execute-api endpoint: no CloudFront, hence no WAF and no origin secret. */
export const EDGELESS_CONTEXT = { edge: 'false' };

export const BACKEND_URL = 'http://backend.example.internal:8080/messages';
export const NLB_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/backend/0123456789abcdef';

/** The HTTP backend route, over the internet, with the default route key (behind the edge, JWT on). */
export const BACKEND_CONTEXT = { backendUrl: BACKEND_URL };

/** The HTTP backend route through a VPC link, under its own key and throttle, on an open API. */
export const PRIVATE_BACKEND_CONTEXT = {
  backendUrl: 'https://backend.example.internal/v1/messages?source=ws',
  backendRoute: 'chat',
  backendNlbArn: NLB_ARN,
  routeThrottles: '{"chat":{"rate":5,"burst":5}}',
  auth: 'none',
};

const VARIANTS = {
  defaults: {},
  custom: CUSTOM_CONTEXT,
  secure: SECURE_CONTEXT,
  edgeless: EDGELESS_CONTEXT,
  backend: BACKEND_CONTEXT,
  privateBackend: PRIVATE_BACKEND_CONTEXT,
};
export type Variant = keyof typeof VARIANTS;

/** The feature flags of cdk.json, which the CLI would pass. */
const FEATURE_FLAGS = Object.fromEntries(Object.entries(JSON.parse(readFileSync(join(__dirname, '..', 'cdk.json'), 'utf8')).context)
  .filter(([key]) => key.startsWith('@aws-cdk/')));

/** The app's stacks synthesized without building the Rust functions. */
export function synthApp(context: Record<string, unknown>, account?: string): { stack: Stack; template: Template; webAcl?: EdgeWebAclStack } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...FEATURE_FLAGS, ...context } });
  const { main, webAcl } = buildApp(app, account);
  return { stack: main, template: Template.fromStack(main), webAcl };
}

const synthesized = new Map<Variant, { stack: Stack; template: Template }>();

/**
 * The main stack of one of the context variants. Synthesis takes seconds, so each variant is
 * made once per process.
 */
export function synth(variant: Variant = 'defaults'): { stack: Stack; template: Template } {
  let result = synthesized.get(variant);
  if (!result) {
    result = synthApp(VARIANTS[variant]);
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
