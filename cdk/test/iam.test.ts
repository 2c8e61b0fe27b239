import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logicalId, resourcesOfType, synth, target } from './fixture';

const { template } = synth();

interface Statement { Effect: string; Action: string | string[]; Resource: any; Principal?: any; Condition?: any }
const actionsOf = (s: Statement) => ([] as string[]).concat(s.Action);
const resourcesOf = (s: Statement) => ([] as any[]).concat(s.Resource);

/** Every policy statement in the template, with the resource that holds it. */
function allStatements(): { holder: string; statement: Statement }[] {
  const found: { holder: string; statement: Statement }[] = [];
  const add = (holder: string, doc: any) => doc.Statement.forEach((statement: Statement) => found.push({ holder, statement }));
  for (const [id, r] of Object.entries(resourcesOfType(template, 'AWS::IAM::Role'))) {
    (r.Properties.Policies ?? []).forEach((p: any) => add(id, p.PolicyDocument));
  }
  for (const type of ['AWS::IAM::Policy', 'AWS::SQS::QueuePolicy']) {
    for (const [id, r] of Object.entries(resourcesOfType(template, type))) add(id, r.Properties.PolicyDocument);
  }
  return found;
}

/** The statements of a role's inline policies and of the policies attached to it. */
function roleStatements(roleId: string): Statement[] {
  const role = resourcesOfType(template, 'AWS::IAM::Role')[roleId];
  const inline = (role.Properties.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement);
  const attached = Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))
    .filter((p) => p.Properties.Roles.some((r: any) => target(r) === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
  return [...inline, ...attached];
}

const integrationRoles: Record<string, [string, string]> = {
  '$connect': ['dynamodb:PutItem', 'ConnectionsTable916FDB22'],
  '$disconnect': ['dynamodb:DeleteItem', 'ConnectionsTable916FDB22'],
  enqueue: ['sqs:SendMessage', 'JobsQueue24944186'],
  sync_sfn: ['states:StartSyncExecution', 'WorkflowsSyncEC2035CE'],
  async_sfn: ['states:StartExecution', 'WorkflowsAsyncB0763BCB'],
};

for (const [routeKey, [action, resource]] of Object.entries(integrationRoles)) {
  test(`the ${routeKey} integration role may only ${action} on its one resource`, () => {
    const route = Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Route')).find((r) => r.Properties.RouteKey === routeKey)!;
    const integration = resourcesOfType(template, 'AWS::ApiGatewayV2::Integration')[target(route.Properties.Target['Fn::Join'][1][1])];
    const roleId = target(integration.Properties.CredentialsArn);
    const role = resourcesOfType(template, 'AWS::IAM::Role')[roleId].Properties;
    assert.deepEqual(role.AssumeRolePolicyDocument.Statement.map((s: Statement) => s.Principal), [{ Service: 'apigateway.amazonaws.com' }]);
    assert.equal(role.ManagedPolicyArns, undefined);
    const statements = roleStatements(roleId);
    assert.equal(statements.length, 1);
    assert.equal(statements[0].Effect, 'Allow');
    assert.deepEqual(actionsOf(statements[0]), [action]);
    assert.deepEqual(resourcesOf(statements[0]).map(target), [resource]);
  });
}

test('no role uses a managed policy', () => {
  for (const [id, role] of Object.entries(resourcesOfType(template, 'AWS::IAM::Role'))) {
    assert.equal(role.Properties.ManagedPolicyArns, undefined, id);
  }
});

test('no Allow statement anywhere has a wildcard action', () => {
  for (const { holder, statement } of allStatements()) {
    if (statement.Effect !== 'Allow') continue;
    for (const action of actionsOf(statement)) assert.doesNotMatch(action, /\*/, `${holder}: ${action}`);
  }
});

test('the only Deny statements are the queues refusing requests without TLS', () => {
  const denies = allStatements().filter(({ statement }) => statement.Effect === 'Deny');
  assert.equal(denies.length, 2);
  for (const { statement } of denies) {
    assert.deepEqual(statement.Condition, { Bool: { 'aws:SecureTransport': 'false' } });
  }
});

// Actions that AWS only grants on resource "*": X-Ray tracing and the log delivery of
// state machines (CloudWatch Logs vended-log APIs have no resource-level permissions).
const STAR_RESOURCE_ACTIONS = [
  ['logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery',
    'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups'],
  ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
];

test('resource "*" is granted only for X-Ray and log delivery, to the two state machines', () => {
  const star = allStatements().filter(({ statement }) => statement.Effect === 'Allow' && resourcesOf(statement).includes('*'));
  // Log delivery for each state machine; X-Ray only with context tracing=true.
  assert.equal(star.length, 2);
  for (const { holder, statement } of star) {
    assert.match(holder, /^Workflows(Sync|Async)RoleDefaultPolicy/);
    assert.ok(STAR_RESOURCE_ACTIONS.some((list) => JSON.stringify(list) === JSON.stringify(actionsOf(statement))), holder);
  }
});

test('the async workflow may send to the jobs queue and nothing else beyond logs and traces', () => {
  const roleId = logicalId(template, 'AWS::IAM::Role', 'WorkflowsAsyncRole');
  const own = roleStatements(roleId).filter((s) => !resourcesOf(s).includes('*'));
  assert.deepEqual(own.map((s) => [actionsOf(s), resourcesOf(s).map(target)]), [[['sqs:SendMessage'], ['JobsQueue24944186']]]);
  const syncOwn = roleStatements(logicalId(template, 'AWS::IAM::Role', 'WorkflowsSyncRole')).filter((s) => !resourcesOf(s).includes('*'));
  assert.deepEqual(syncOwn, []);
});

test('the queue worker has exactly the permissions its code uses', () => {
  const roleId = logicalId(template, 'AWS::IAM::Role', 'QueueWorkerRole');
  const grants = roleStatements(roleId).map((s) => {
    const resource = resourcesOf(s)[0];
    const name = target(resource) ?? JSON.stringify(resource).replace(/.*"(\/index\/[^"]+|\/[^"]*@connections[^"]*)".*/, '$1');
    return `${actionsOf(s).join(',')} -> ${name}`;
  });
  assert.deepEqual(grants, [
    'logs:CreateLogStream,logs:PutLogEvents -> QueueWorkerLogs9C04B8BC',
    'sqs:ReceiveMessage,sqs:ChangeMessageVisibility,sqs:GetQueueUrl,sqs:DeleteMessage,sqs:GetQueueAttributes -> JobsQueue24944186',
    'dynamodb:PutItem,dynamodb:DeleteItem,dynamodb:Query -> ConnectionsTable916FDB22',
    'dynamodb:Query -> /index/byTopic',
    'dynamodb:PutItem -> QueueWorkerResults739DB621',
    'dynamodb:GetItem,dynamodb:PutItem,dynamodb:DeleteItem -> QueueWorkerIdempotency33EDB67D',
    'sqs:SendMessage -> JobsDeadLetterQueue8CC426EE',
    'execute-api:ManageConnections -> /api/POST/@connections/*',
  ]);
});

test('ManageConnections is limited to this API and stage', () => {
  const roleId = logicalId(template, 'AWS::IAM::Role', 'QueueWorkerRole');
  const manage = roleStatements(roleId).find((s) => actionsOf(s).includes('execute-api:ManageConnections'))!;
  const parts = manage.Resource['Fn::Join'][1];
  assert.deepEqual(parts.filter((p: any) => typeof p !== 'string').map((p: any) => p.Ref),
    ['AWS::Partition', 'AWS::Region', 'AWS::AccountId', logicalId(template, 'AWS::ApiGatewayV2::Api', 'GatewayApi')]);
  assert.equal(parts.at(-1), '/api/POST/@connections/*');
});

test('the default-route function may only write its own logs', () => {
  const roleId = logicalId(template, 'AWS::IAM::Role', 'GatewayDefaultRouteRole');
  assert.deepEqual(roleStatements(roleId).map((s) => [actionsOf(s), resourcesOf(s).map(target)]),
    [[['logs:CreateLogStream', 'logs:PutLogEvents'], [logicalId(template, 'AWS::Logs::LogGroup', 'GatewayDefaultRouteLogs')]]]);
});

test('the authorizer function may write its own logs and read its two secrets, nothing else', () => {
  const roleId = logicalId(template, 'AWS::IAM::Role', 'AuthorizerFunctionRole');
  const role = resourcesOfType(template, 'AWS::IAM::Role')[roleId].Properties;
  assert.deepEqual(role.AssumeRolePolicyDocument.Statement.map((s: Statement) => s.Principal), [{ Service: 'lambda.amazonaws.com' }]);
  assert.deepEqual(roleStatements(roleId).map((s) => [actionsOf(s), resourcesOf(s).map(target)]), [
    [['logs:CreateLogStream', 'logs:PutLogEvents'], [logicalId(template, 'AWS::Logs::LogGroup', 'AuthorizerFunctionLogs')]],
    [['secretsmanager:GetSecretValue'], [logicalId(template, 'AWS::SecretsManager::Secret', 'AuthorizerSigningKey')]],
    [['secretsmanager:GetSecretValue'], [logicalId(template, 'AWS::SecretsManager::Secret', 'AuthorizerOriginVerify')]],
  ]);
});

test('no other role may touch the signing key, the origin secret or any other secret', () => {
  const grants = allStatements().filter(({ statement }) => actionsOf(statement).some((a) => /^secretsmanager:/.test(a)));
  const authorizerStatements = roleStatements(logicalId(template, 'AWS::IAM::Role', 'AuthorizerFunctionRole'));
  assert.equal(grants.length, 2);
  for (const { statement } of grants) assert.ok(authorizerStatements.includes(statement));
});

for (const variant of ['custom', 'secure'] as const) {
  test(`${variant}: no wildcard action and no managed policy either`, () => {
    const t = synth(variant).template;
    for (const type of ['AWS::IAM::Role', 'AWS::IAM::Policy']) {
      for (const [id, r] of Object.entries(resourcesOfType(t, type))) {
        assert.equal(r.Properties.ManagedPolicyArns, undefined, id);
        const docs = type === 'AWS::IAM::Role' ? (r.Properties.Policies ?? []).map((p: any) => p.PolicyDocument) : [r.Properties.PolicyDocument];
        for (const s of docs.flatMap((d: any) => d.Statement) as Statement[]) {
          for (const action of actionsOf(s)) assert.doesNotMatch(action, /\*/, `${id}: ${action}`);
        }
      }
    }
  });
}
