import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { logicalId, onlyResource, resourcesOfType, synth, target } from './fixture';

const { template } = synth();
const routes = Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Route'));
const integrations = resourcesOfType(template, 'AWS::ApiGatewayV2::Integration');

function routeNamed(routeKey: string) {
  const route = routes.find((r) => r.Properties.RouteKey === routeKey);
  assert.ok(route, `route ${routeKey} exists`);
  const integrationId = target(route.Properties.Target['Fn::Join'][1][1]);
  return { route, integrationId, integration: integrations[integrationId].Properties };
}

/** An Fn::Join of strings and pseudo parameters, rendered as `${AWS::Region}` etc. */
function joined(value: any): string {
  if (typeof value === 'string') return value;
  return value['Fn::Join'][1].map((part: any) => (typeof part === 'string' ? part : `\${${part.Ref ?? part['Fn::GetAtt'].join('.')}}`)).join('');
}

test('the API selects routes by $request.body.action', () => {
  template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
    ProtocolType: 'WEBSOCKET',
    RouteSelectionExpression: '$request.body.action',
  });
});

test('exactly the six routes exist', () => {
  assert.deepEqual(routes.map((r) => r.Properties.RouteKey).sort(),
    ['$connect', '$default', '$disconnect', 'async_sfn', 'enqueue', 'sync_sfn']);
});

// Integration URIs, with pseudo parameters and attributes written as ${...}.
const expected: Record<string, { type: string; uri: string }> = {
  $connect: { type: 'AWS', uri: 'arn:${AWS::Partition}:apigateway:${AWS::Region}:dynamodb:action/PutItem' },
  $disconnect: { type: 'AWS', uri: 'arn:${AWS::Partition}:apigateway:${AWS::Region}:dynamodb:action/DeleteItem' },
  enqueue: { type: 'AWS', uri: 'arn:${AWS::Partition}:apigateway:${AWS::Region}:sqs:path/${AWS::AccountId}/${JobsQueue24944186.QueueName}' },
  sync_sfn: { type: 'AWS', uri: 'arn:${AWS::Partition}:apigateway:${AWS::Region}:states:action/StartSyncExecution' },
  async_sfn: { type: 'AWS', uri: 'arn:${AWS::Partition}:apigateway:${AWS::Region}:states:action/StartExecution' },
};
for (const [routeKey, want] of Object.entries(expected)) {
  test(`${routeKey} is an ${want.type} integration with its own role`, () => {
    const { integration } = routeNamed(routeKey);
    assert.equal(integration.IntegrationType, want.type);
    assert.equal(integration.IntegrationMethod, 'POST');
    assert.equal(joined(integration.IntegrationUri), want.uri);
    assert.equal(integration.TemplateSelectionExpression, '\\$default');
    assert.deepEqual(Object.keys(integration.RequestTemplates), ['$default']);
    assert.equal(integration.PassthroughBehavior, 'NEVER');
    assert.ok(integration.CredentialsArn, 'has a credentials role');
  });
}

test('$default is a Lambda proxy to the default-route function', () => {
  const { integration } = routeNamed('$default');
  assert.equal(integration.IntegrationType, 'AWS_PROXY');
  const fnId = logicalId(template, 'AWS::Lambda::Function', 'GatewayDefaultRoute');
  assert.match(JSON.stringify(integration.IntegrationUri), new RegExp(`"${fnId}","Arn"`));
  template.hasResourceProperties('AWS::Lambda::Permission', {
    Action: 'lambda:InvokeFunction',
    Principal: 'apigateway.amazonaws.com',
    FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
  });
});

test('two-way routes return the integration response, one-way routes do not', () => {
  for (const routeKey of ['enqueue', 'sync_sfn', 'async_sfn', '$default']) {
    assert.equal(routeNamed(routeKey).route.Properties.RouteResponseSelectionExpression, '$default', routeKey);
  }
  for (const routeKey of ['$connect', '$disconnect']) {
    assert.equal(routeNamed(routeKey).route.Properties.RouteResponseSelectionExpression, undefined, routeKey);
  }
  assert.equal(Object.keys(resourcesOfType(template, 'AWS::ApiGatewayV2::RouteResponse')).length, 4);
});

test('two-way service routes answer success (2xx) and failure with their own templates', () => {
  const responses = Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::IntegrationResponse'));
  for (const [routeKey, reply] of [['enqueue', '"type":"queued"'], ['sync_sfn', '"type": "sync_sfn"'], ['async_sfn', '"type":"async_sfn"']]) {
    const { integrationId } = routeNamed(routeKey);
    const mine = responses.filter((r) => target(r.Properties.IntegrationId) === integrationId);
    const byKey = Object.fromEntries(mine.map((r) => [r.Properties.IntegrationResponseKey, r.Properties]));
    assert.deepEqual(Object.keys(byKey).sort(), ['$default', '/2\\d\\d/'], routeKey);
    assert.ok(byKey['/2\\d\\d/'].ResponseTemplates.$default.includes(reply), `${routeKey} success reply`);
    assert.ok(byKey.$default.ResponseTemplates.$default.includes('"type":"error"'), `${routeKey} error reply`);
  }
});

test('$connect stores the connection record with path, headers, query and a 24 h ttl', () => {
  const vtl = joined(routeNamed('$connect').integration.RequestTemplates.$default);
  for (const fragment of [
    '"connectionId": {"S": "$context.connectionId"}',
    '"sk": {"S": "conn"}',
    "$input.params('ws-uri')",
    '#set($path = "/")',
    '"headers": {"S": ',
    '"query": {"S": ',
    '"connectedAt": {"N": "$context.connectedAt"}',
    '#set($ttl = $context.requestTimeEpoch / 1000 + 86400)',
    '"ttl": {"N": "$ttl"}',
    '"sourceIp": {"S": "$context.identity.sourceIp"}',
    // Behind CloudFront sourceIp is CloudFront's; the viewer's address comes in a header.
    "#set($viewer = \"$!input.params('CloudFront-Viewer-Address')\")",
    '"viewerAddress": {"S": ',
    '"TableName": "${ConnectionsTable916FDB22}"',
  ]) assert.ok(vtl.includes(fragment), `missing ${fragment}`);
});

test('$disconnect deletes the connection record', () => {
  const vtl = joined(routeNamed('$disconnect').integration.RequestTemplates.$default);
  assert.ok(vtl.includes('"Key": {\n    "connectionId": {"S": "$context.connectionId"},\n    "sk": {"S": "conn"}'));
});

test('enqueue sends a job envelope to the FIFO queue, grouped by connection, deduplicated by request', () => {
  const { integration } = routeNamed('enqueue');
  assert.deepEqual(integration.RequestParameters, { 'integration.request.header.Content-Type': "'application/x-www-form-urlencoded'" });
  const vtl: string = integration.RequestTemplates.$default;
  assert.ok(!vtl.includes('\n'), 'a form body is one line');
  const [action, group, dedup, body] = vtl.split('&');
  assert.equal(action, 'Action=SendMessage');
  assert.equal(group, 'MessageGroupId=$util.urlEncode($context.connectionId)');
  assert.equal(dedup, 'MessageDeduplicationId=$util.urlEncode($context.requestId)');
  // The envelope with each VTL value replaced by a sample is the JSON the worker expects.
  const sample = body.replace(/^MessageBody=/, '')
    .replace(/\$util\.urlEncode\(\$input\.json\('\$\.data'\)\)/, '{"k":"v"}')
    .replace(/\$util\.urlEncode\(\$input\.json\('\$\.task'\)\)/, '"store"')
    .replace('$context.requestTimeEpoch', '1732240000000')
    .replace(/\$util\.urlEncode\(\$context\.(\w+)\)/g, 'sample-$1');
  assert.deepEqual(JSON.parse(sample), {
    v: 1, connectionId: 'sample-connectionId', requestId: 'sample-requestId', receivedAt: 1732240000000,
    task: 'store', data: { k: 'v' }, source: 'route',
  });
});

test('the workflow routes pass connectionId, requestId, receivedAt and data as the execution input', () => {
  for (const [routeKey, machine] of [['sync_sfn', 'WorkflowsSync'], ['async_sfn', 'WorkflowsAsync']]) {
    const vtl = joined(routeNamed(routeKey).integration.RequestTemplates.$default);
    assert.ok(vtl.includes(`"stateMachineArn": "\${${logicalId(template, 'AWS::StepFunctions::StateMachine', machine)}}"`), routeKey);
    assert.ok(vtl.includes(String.raw`"input": "{\"connectionId\":\"$context.connectionId\",\"requestId\":\"$context.requestId\",\"receivedAt\":$context.requestTimeEpoch,\"data\":$util.escapeJavaScript($input.json('$.data'))`), routeKey);
  }
});

test('the stage is named from context, deploys itself and is throttled', () => {
  template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
    StageName: 'api',
    AutoDeploy: true,
    DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 50 },
    AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('connectionId') },
  });
});

test('context sets stage name and throttling; access logs can be turned off', () => {
  const custom = synth('custom').template;
  const stage = onlyResource(custom, 'AWS::ApiGatewayV2::Stage').Properties;
  assert.equal(stage.StageName, 'dev');
  assert.deepEqual(stage.DefaultRouteSettings, { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 10 });
  assert.equal(stage.AccessLogSettings, undefined);
  custom.hasResourceProperties('AWS::CloudFront::Distribution', {
    DistributionConfig: { Origins: [Match.objectLike({ OriginPath: '/dev' })] },
  });
});

test('$connect and $disconnect answer through a /200/ integration response', () => {
  // Non-proxy integrations need at least one integration response; AWS's WebSocket samples
  // give these two routes `/200/` ("Set up integration responses", API Gateway developer guide).
  const responses = Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::IntegrationResponse'));
  for (const routeKey of ['$connect', '$disconnect']) {
    const { integrationId } = routeNamed(routeKey);
    const keys = responses
      .filter((r) => r.Properties.IntegrationId.Ref === integrationId)
      .map((r) => r.Properties.IntegrationResponseKey);
    assert.deepEqual(keys, ['/200/'], routeKey);
  }
});
