import assert from 'node:assert/strict';
import { test } from 'node:test';
import { App } from 'aws-cdk-lib';
import AjvDraft04 from 'ajv-draft-04';
import { readConfig } from '../lib/config';
import { backendModel } from '../lib/request-models';
import { BACKEND_URL, logicalId, NLB_ARN, onlyResource, resourcesOfType, synth, target, Variant } from './fixture';

type Template = ReturnType<typeof synth>['template'];

/** A route by key, with its integration and the responses of both. */
function route(t: Template, routeKey: string) {
  const routes = resourcesOfType(t, 'AWS::ApiGatewayV2::Route');
  const [routeId, r] = Object.entries(routes).find(([, candidate]) => candidate.Properties.RouteKey === routeKey)!;
  const integrationId = target(r.Properties.Target['Fn::Join'][1][1]);
  const ofIntegration = (type: string) => Object.values(resourcesOfType(t, type)).filter((x) => target(x.Properties.IntegrationId) === integrationId);
  const ofRoute = (type: string) => Object.values(resourcesOfType(t, type)).filter((x) => target(x.Properties.RouteId) === routeId);
  return {
    routeId,
    route: r.Properties,
    integration: resourcesOfType(t, 'AWS::ApiGatewayV2::Integration')[integrationId].Properties,
    integrationResponses: ofIntegration('AWS::ApiGatewayV2::IntegrationResponse'),
    routeResponses: ofRoute('AWS::ApiGatewayV2::RouteResponse'),
  };
}
const outputs = (variant: Variant) => synth(variant).template.toJSON().Outputs as Record<string, { Value: any }>;
const stageOf = (t: Template) => onlyResource(t, 'AWS::ApiGatewayV2::Stage').Properties;
const backend = synth('backend').template;
const privateBackend = synth('privateBackend').template;

test('without backendUrl: no backend route, stage variables, VPC link, managed policy or output', () => {
  const t = synth().template;
  const keys = Object.values(resourcesOfType(t, 'AWS::ApiGatewayV2::Route')).map((r) => r.Properties.RouteKey);
  assert.ok(!keys.includes('sendmessage'));
  assert.equal(stageOf(t).StageVariables, undefined);
  for (const type of ['AWS::ApiGateway::VpcLink', 'AWS::IAM::ManagedPolicy']) assert.deepEqual(Object.keys(resourcesOfType(t, type)), [], type);
  assert.equal(outputs('defaults').BackendPolicyArn, undefined);
});

test('backendUrl: route sendmessage, HTTP_PROXY POST to ${stageVariables.backendUrl} after the URL\'s scheme, 29 s', () => {
  const { integration } = route(backend, 'sendmessage');
  assert.equal(integration.IntegrationType, 'HTTP_PROXY');
  assert.equal(integration.IntegrationMethod, 'POST');
  assert.equal(integration.IntegrationUri, 'http://${stageVariables.backendUrl}');
  assert.equal(integration.TimeoutInMillis, 29000);
  assert.equal(integration.ConnectionType, undefined, 'INTERNET, the default');
  assert.equal(integration.RequestTemplates, undefined, 'the message is passed as it is');
  assert.deepEqual(stageOf(backend).StageVariables, { backendUrl: BACKEND_URL.replace('http://', '') });
});

test('the backend gets the connection id, the request id and (with the authorizer) the user id as headers', () => {
  assert.deepEqual(route(backend, 'sendmessage').integration.RequestParameters, {
    'integration.request.header.connectionId': 'context.connectionId',
    'integration.request.header.requestId': 'context.requestId',
    'integration.request.header.userId': 'context.authorizer.userId',
  });
  // auth=none: there is no authorizer context to take a user id from.
  assert.deepEqual(Object.keys(route(privateBackend, 'chat').integration.RequestParameters),
    ['integration.request.header.connectionId', 'integration.request.header.requestId']);
});

test('two-way: a $default route response and no integration response (a proxy passes the answer on)', () => {
  for (const [t, key] of [[backend, 'sendmessage'], [privateBackend, 'chat']] as const) {
    const r = route(t, key);
    assert.equal(r.route.RouteResponseSelectionExpression, '$default', key);
    assert.deepEqual(r.routeResponses.map((x) => x.Properties.RouteResponseKey), ['$default'], key);
    assert.deepEqual(r.integrationResponses, [], key);
  }
});

test('the route is open like every route but $connect, and validated against BackendRequest', () => {
  const r = route(backend, 'sendmessage');
  assert.equal(r.route.AuthorizationType, 'NONE');
  assert.equal(r.route.ModelSelectionExpression, '$request.body.action');
  assert.deepEqual(r.route.RequestModels, { $default: 'BackendRequest' });
  const [modelId, model] = Object.entries(resourcesOfType(backend, 'AWS::ApiGatewayV2::Model')).find(([, m]) => m.Properties.Name === 'BackendRequest')!;
  assert.deepEqual(model.Properties.Schema, backendModel('sendmessage').schema);
  assert.ok((backend.toJSON().Resources[r.routeId].DependsOn as string[]).includes(modelId));
});

test('BackendRequest (ajv, draft-04): an object naming the route; its other fields are the backend\'s', () => {
  const validate = new AjvDraft04({ strictSchema: true }).compile(backendModel('chat').schema);
  assert.ok(validate({ action: 'chat' }));
  assert.ok(validate({ action: 'chat', text: 'hi', to: ['bob'] }));
  assert.equal(validate({ action: 'enqueue', text: 'hi' }), false);
  assert.equal(validate({ text: 'hi' }), false);
  assert.equal(validate(['chat']), false);
});

test('backendNlbArn: a REST API VPC link to the NLB, and the integration goes through it', () => {
  const link = onlyResource(privateBackend, 'AWS::ApiGateway::VpcLink').Properties;
  assert.deepEqual(link.TargetArns, [NLB_ARN]);
  assert.equal(link.Name, 'wsflow-backend');
  const { integration } = route(privateBackend, 'chat');
  assert.equal(integration.ConnectionType, 'VPC_LINK');
  assert.equal(target(integration.ConnectionId), logicalId(privateBackend, 'AWS::ApiGateway::VpcLink', 'GatewayBackendVpcLink'));
  assert.equal(integration.IntegrationUri, 'https://${stageVariables.backendUrl}');
  assert.deepEqual(stageOf(privateBackend).StageVariables, { backendUrl: 'backend.example.internal/v1/messages?source=ws' });
  assert.equal(Object.keys(resourcesOfType(privateBackend, 'AWS::ApiGatewayV2::VpcLink')).length, 0);
});

test('backendRoute sets the route key, which routeThrottles may then name', () => {
  assert.deepEqual(stageOf(privateBackend).RouteSettings, { chat: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 5 } });
  const stageId = logicalId(privateBackend, 'AWS::ApiGatewayV2::Stage', 'GatewayStage');
  assert.ok((privateBackend.toJSON().Resources[stageId].DependsOn as string[]).includes(route(privateBackend, 'chat').routeId));
});

test('BackendPolicyArn: a managed policy that may only POST to this API stage\'s @connections, attached to nothing', () => {
  const [[policyId, policy]] = Object.entries(resourcesOfType(backend, 'AWS::IAM::ManagedPolicy'));
  assert.deepEqual(outputs('backend').BackendPolicyArn.Value, { Ref: policyId });
  const { Roles, Users, Groups, PolicyDocument } = policy.Properties;
  assert.deepEqual([Roles, Users, Groups], [undefined, undefined, undefined]);
  assert.equal(PolicyDocument.Statement.length, 1);
  const [statement] = PolicyDocument.Statement;
  assert.equal(statement.Effect, 'Allow');
  assert.equal(statement.Action, 'execute-api:ManageConnections');
  const parts = statement.Resource['Fn::Join'][1];
  assert.deepEqual(parts.filter((p: any) => typeof p !== 'string').map((p: any) => p.Ref),
    ['AWS::Partition', 'AWS::Region', 'AWS::AccountId', logicalId(backend, 'AWS::ApiGatewayV2::Api', 'GatewayApi')]);
  assert.equal(parts.at(-1), '/api/POST/@connections/*');
});

test('backend context is checked: an http(s) URL a stage variable can hold, an NLB, a free route key', () => {
  const config = (context: Record<string, unknown>) => readConfig(new App({ context }).node);
  assert.deepEqual([config({}).backendUrl, config({}).backendRoute, config({}).backendNlbArn], ['', 'sendmessage', '']);
  for (const url of ['ftp://backend/x', 'backend.example.internal/x', 'http://backend/a b', 'http://backend/{id}', 'http://']) {
    assert.throws(() => config({ backendUrl: url }), /context backendUrl: expected an http\(s\) URL/, url);
  }
  assert.throws(() => config({ backendUrl: BACKEND_URL, backendRoute: 'enqueue' }), /context backendRoute: expected a route key other than/);
  assert.throws(() => config({ backendUrl: BACKEND_URL, backendRoute: '$connect' }), /context backendRoute/);
  assert.throws(() => config({ backendNlbArn: NLB_ARN }), /context backendNlbArn: the VPC link serves the HTTP backend route; set backendUrl too/);
  assert.throws(() => config({ backendUrl: BACKEND_URL, backendNlbArn: NLB_ARN.replace('/net/', '/app/') }), /Network Load Balancer ARN/);
  assert.throws(() => config({ routeThrottles: '{"sendmessage":{"rate":1,"burst":1}}' }), /unknown route key "sendmessage"/);
  assert.deepEqual(Object.keys(config({ backendUrl: BACKEND_URL, routeThrottles: '{"sendmessage":{"rate":1,"burst":1}}' }).routeThrottles), ['sendmessage']);
});
