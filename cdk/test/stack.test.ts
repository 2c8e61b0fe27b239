import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { App } from 'aws-cdk-lib';
import { DEFAULTS, readConfig } from '../lib/config';
import { synth } from './fixture';

test('the outputs keep their names', () => {
  const { template } = synth();
  assert.deepEqual(Object.keys(template.toJSON().Outputs).sort(), [
    'ApiUrl', 'AsyncStateMachineArn', 'CloudFrontUrl', 'ConnectionsTableName', 'DlqUrl',
    'IdempotencyTableName', 'QueueUrl', 'ResultsTableName', 'SyncStateMachineArn',
  ]);
});

test('cdk.json lists the same context defaults as the code', () => {
  const { context } = JSON.parse(readFileSync(join(__dirname, '..', 'cdk.json'), 'utf8'));
  const { 'cli-telemetry': telemetry, stackName, ...settings } = context;
  assert.equal(telemetry, false);
  assert.equal(stackName, 'wsflow');
  assert.deepEqual(settings, DEFAULTS);
});

test('context values from the command line (strings) are parsed and checked', () => {
  const config = (context: Record<string, unknown>) => readConfig(new App({ context }).node);
  assert.deepEqual(config({}), DEFAULTS);
  assert.equal(config({ batchSize: '7', retainData: 'true' }).batchSize, 7);
  assert.equal(config({ retainData: 'true' }).retainData, true);
  assert.throws(() => config({ batchSize: '11' }), /batchSize: expected an integer in 1\.\.10/);
  assert.throws(() => config({ waitSeconds: '60' }), /waitSeconds/);
  assert.throws(() => config({ maxConcurrency: 'many' }), /maxConcurrency/);
  assert.throws(() => config({ accessLogs: 'yes' }), /accessLogs: expected true or false/);
  assert.throws(() => config({ stage: 'my stage' }), /stage/);
});

test('data is destroyed with the stack unless retainData is set', () => {
  const policies = (variant: 'defaults' | 'custom') => Object.values(synth(variant).template.toJSON().Resources as Record<string, any>)
    .filter((r) => ['AWS::DynamoDB::Table', 'AWS::SQS::Queue'].includes(r.Type))
    .map((r) => r.DeletionPolicy);
  assert.deepEqual([...new Set(policies('defaults'))], ['Delete']);
  assert.deepEqual([...new Set(policies('custom'))], ['Retain']);
});
