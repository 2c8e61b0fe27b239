import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { logicalId, onlyResource, resourcesOfType, synth, target } from './fixture';

const { template } = synth();
const queues = resourcesOfType(template, 'AWS::SQS::Queue');
const queueId = logicalId(template, 'AWS::SQS::Queue', 'JobsQueue');
const dlqId = logicalId(template, 'AWS::SQS::Queue', 'JobsDeadLetterQueue');
const functions = resourcesOfType(template, 'AWS::Lambda::Function');
const workerId = logicalId(template, 'AWS::Lambda::Function', 'QueueWorker');
const worker = functions[workerId].Properties;

test('the jobs queue and its DLQ are FIFO, named *-jobs.fifo and *-jobs-dlq.fifo, without content-based dedup', () => {
  for (const [id, name] of [[queueId, 'wsflow-jobs.fifo'], [dlqId, 'wsflow-jobs-dlq.fifo']]) {
    const q = queues[id].Properties;
    assert.equal(q.FifoQueue, true, id);
    assert.equal(q.ContentBasedDeduplication, false, id);
    assert.equal(q.QueueName, name);
    assert.equal(q.SqsManagedSseEnabled, true, id);
  }
});

test('the jobs queue dead-letters to the DLQ after maxReceiveCount receives', () => {
  const redrive = queues[queueId].Properties.RedrivePolicy;
  assert.equal(target(redrive.deadLetterTargetArn), dlqId);
  // "Set the maxReceiveCount on the source queue's redrive policy to at least 5" (Lambda
  // developer guide, "Using Lambda with Amazon SQS"): a batch that fails for one throttled
  // invocation must not dead-letter a job that never ran.
  assert.equal(redrive.maxReceiveCount, 5);
  const custom = synth('custom').template;
  custom.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'wsflow-jobs.fifo', RedrivePolicy: Match.objectLike({ maxReceiveCount: 7 }) });
});

test('the visibility timeout is at least 6x the worker timeout', () => {
  assert.ok(queues[queueId].Properties.VisibilityTimeout >= 6 * worker.Timeout);
});

test('the event source reports batch item failures, with batch size and concurrency from context', () => {
  const mapping = onlyResource(template, 'AWS::Lambda::EventSourceMapping').Properties;
  assert.equal(target(mapping.EventSourceArn), queueId);
  assert.equal(target(mapping.FunctionName), workerId);
  assert.deepEqual(mapping.FunctionResponseTypes, ['ReportBatchItemFailures']);
  assert.equal(mapping.BatchSize, 10);
  assert.deepEqual(mapping.ScalingConfig, { MaximumConcurrency: 5 });
  const custom = synth('custom').template;
  custom.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 4, ScalingConfig: { MaximumConcurrency: 7 } });
});

test('every function is an arm64 custom runtime built from its named cargo binary', () => {
  const byBinary: Record<string, (typeof functions)[string]> =
    Object.fromEntries(Object.values(functions).map((f) => [String(f.Metadata?.['wsflow:binary']), f]));
  assert.deepEqual(Object.keys(byBinary).sort(), ['authorizer', 'default-route', 'queue-worker']);
  for (const fn of Object.values(byBinary)) {
    assert.deepEqual(fn.Properties.Architectures, ['arm64']);
    assert.equal(fn.Properties.Runtime, 'provided.al2023');
    assert.equal(fn.Properties.Handler, 'bootstrap');
    assert.equal(fn.Metadata?.['wsflow:manifest'], 'Cargo.toml');
  }
});

test('the worker gets its configuration from the environment', () => {
  const env = worker.Environment.Variables;
  assert.deepEqual(Object.keys(env).sort(),
    ['CALLBACK_URL', 'CONNECTIONS_TABLE', 'DLQ_URL', 'IDEMPOTENCY_TABLE', 'RESULTS_TABLE', 'RUST_LOG']);
  assert.equal(target(env.CONNECTIONS_TABLE), logicalId(template, 'AWS::DynamoDB::Table', 'ConnectionsTable'));
  assert.equal(target(env.RESULTS_TABLE), logicalId(template, 'AWS::DynamoDB::Table', 'QueueWorkerResults'));
  assert.equal(target(env.IDEMPOTENCY_TABLE), logicalId(template, 'AWS::DynamoDB::Table', 'QueueWorkerIdempotency'));
  assert.equal(target(env.DLQ_URL), dlqId);
  const callback = env.CALLBACK_URL['Fn::Join'][1];
  assert.deepEqual(callback.map((p: any) => (typeof p === 'string' ? p : `{${p.Ref}}`)).join(''),
    `https://{${logicalId(template, 'AWS::ApiGatewayV2::Api', 'GatewayApi')}}.execute-api.{AWS::Region}.{AWS::URLSuffix}/api`);
});

test('the tables: keys, the byTopic index, TTL, on-demand and point-in-time recovery', () => {
  const tables = resourcesOfType(template, 'AWS::DynamoDB::Table');
  const key = (id: string) => tables[id].Properties.KeySchema.map((k: any) => `${k.AttributeName}:${k.KeyType}`);
  const connections = logicalId(template, 'AWS::DynamoDB::Table', 'ConnectionsTable');
  const results = logicalId(template, 'AWS::DynamoDB::Table', 'QueueWorkerResults');
  const idempotency = logicalId(template, 'AWS::DynamoDB::Table', 'QueueWorkerIdempotency');
  assert.deepEqual(key(connections), ['connectionId:HASH', 'sk:RANGE']);
  assert.deepEqual(key(results), ['requestId:HASH']);
  assert.deepEqual(key(idempotency), ['id:HASH']);
  assert.deepEqual(tables[connections].Properties.GlobalSecondaryIndexes, [{
    IndexName: 'byTopic',
    KeySchema: [{ AttributeName: 'topic', KeyType: 'HASH' }, { AttributeName: 'connectionId', KeyType: 'RANGE' }],
    Projection: { ProjectionType: 'KEYS_ONLY' },
  }]);
  for (const id of [connections, idempotency]) {
    assert.deepEqual(tables[id].Properties.TimeToLiveSpecification, { AttributeName: 'ttl', Enabled: true });
  }
  for (const table of Object.values(tables)) {
    assert.equal(table.Properties.BillingMode, 'PAY_PER_REQUEST');
    assert.ok(table.Properties.AttributeDefinitions.every((a: any) => a.AttributeType === 'S'));
  }
  // Point-in-time recovery is billed continuously by table size: on for the results clients
  // store, off for the tables whose items expire within hours.
  const recovery = (id: string) => tables[id].Properties.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled;
  assert.equal(recovery(connections), false);
  assert.equal(recovery(idempotency), false);
  assert.equal(recovery(results), true);
});

test('alarms: DLQ messages visible, worker errors, worker throttles', () => {
  const alarms = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties);
  const find = (metric: string) => alarms.find((a) => a.MetricName === metric)!;
  assert.equal(alarms.length, 3);
  const dlq = find('ApproximateNumberOfMessagesVisible');
  assert.deepEqual(dlq.Dimensions, [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }]);
  for (const metric of ['Errors', 'Throttles']) {
    assert.equal(target(find(metric).Dimensions[0].Value), workerId, metric);
  }
  for (const alarm of alarms) {
    assert.equal(alarm.Threshold, 1);
    assert.equal(alarm.ComparisonOperator, 'GreaterThanOrEqualToThreshold');
  }
});
