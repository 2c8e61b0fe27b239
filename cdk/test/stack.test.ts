import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { App } from 'aws-cdk-lib';
import { DEFAULTS, readConfig } from '../lib/config';
import { logicalId, synth, Variant } from './fixture';

const ALWAYS = [
  'ApiUrl', 'AsyncStateMachineArn', 'ConnectionsTableName', 'DlqUrl',
  'IdempotencyTableName', 'QueueUrl', 'ResultsTableName', 'SyncStateMachineArn',
];
const outputs = (variant: Variant) => synth(variant).template.toJSON().Outputs as Record<string, { Value: any }>;

test('the outputs keep their names; the optional ones come with their features', () => {
  assert.deepEqual(Object.keys(outputs('defaults')).sort(), [...ALWAYS, 'CloudFrontUrl', 'JwtSecretArn'].sort());
  assert.deepEqual(Object.keys(outputs('custom')).sort(), [...ALWAYS, 'CloudFrontUrl'].sort());
  assert.deepEqual(Object.keys(outputs('secure')).sort(), [...ALWAYS, 'ApiKeyId', 'CloudFrontUrl', 'CustomDomainUrl', 'JwtSecretArn'].sort());
  assert.deepEqual(Object.keys(outputs('edgeless')).sort(), [...ALWAYS, 'JwtSecretArn'].sort());
});

test('JwtSecretArn, ApiKeyId and CustomDomainUrl: the secret ARN, the key id, the wss:// URL', () => {
  const secure = outputs('secure');
  assert.deepEqual(secure.JwtSecretArn.Value, { Ref: logicalId(synth('secure').template, 'AWS::SecretsManager::Secret', 'AuthorizerSigningKey') });
  assert.deepEqual(secure.ApiKeyId.Value, { Ref: logicalId(synth('secure').template, 'AWS::ApiGateway::ApiKey', 'ApiKeysKey') });
  assert.equal(secure.CustomDomainUrl.Value, 'wss://ws.example.com');
});

test('cdk.json lists the same context defaults as the code', () => {
  const { context } = JSON.parse(readFileSync(join(__dirname, '..', 'cdk.json'), 'utf8'));
  const { 'cli-telemetry': telemetry, stackName, ...rest } = context;
  assert.equal(telemetry, false);
  assert.equal(stackName, 'wsflow');
  const settings = Object.fromEntries(Object.entries(rest).filter(([key]) => !key.startsWith('@aws-cdk/')));
  assert.deepEqual(settings, DEFAULTS);
  // Cross-region references (the web ACL stack) stay strong: the ACL cannot go while in use.
  assert.equal(rest['@aws-cdk/core:defaultCrossStackReferences'], 'strong');
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

test('auth settings are checked: jwt or none, an audience, https JWKS URLs', () => {
  const config = (context: Record<string, unknown>) => readConfig(new App({ context }).node);
  assert.equal(config({ auth: 'none' }).auth, 'none');
  assert.throws(() => config({ auth: 'cognito' }), /context auth: expected jwt or none, got "cognito"/);
  assert.throws(() => config({ jwtAudience: '' }), /context jwtAudience/);
  assert.throws(() => config({ jwksUrl: 'http://issuer.example.com/jwks.json' }), /context jwksUrl: expected an https:\/\/ URL/);
  assert.throws(() => config({ jwtIssuer: 'has space' }), /context jwtIssuer/);
  assert.throws(() => config({ apiKeys: 'yes' }), /context apiKeys: expected true or false/);
});
