import assert from 'node:assert/strict';
import { test } from 'node:test';
import { App } from 'aws-cdk-lib';
import { readConfig } from '../lib/config';
import { logicalId, onlyResource, resourcesOfType, synth, target } from './fixture';

const secure = synth('secure').template;
const defaults = synth().template;
const route = (t: typeof defaults, key: string) =>
  Object.values(resourcesOfType(t, 'AWS::ApiGatewayV2::Route')).find((r) => r.Properties.RouteKey === key)!.Properties;

test('by default there are no API keys: no selection expression, no key, plan or required key', () => {
  assert.equal(onlyResource(defaults, 'AWS::ApiGatewayV2::Api').Properties.ApiKeySelectionExpression, undefined);
  for (const type of ['AWS::ApiGateway::ApiKey', 'AWS::ApiGateway::UsagePlan', 'AWS::ApiGateway::UsagePlanKey']) {
    assert.deepEqual(Object.keys(resourcesOfType(defaults, type)), [], type);
  }
  for (const r of Object.values(resourcesOfType(defaults, 'AWS::ApiGatewayV2::Route'))) {
    assert.equal(r.Properties.ApiKeyRequired, undefined, r.Properties.RouteKey);
  }
});

test('apiKeys=true: the API selects keys by the x-api-key header, and $connect requires one', () => {
  assert.equal(onlyResource(secure, 'AWS::ApiGatewayV2::Api').Properties.ApiKeySelectionExpression, '$request.header.x-api-key');
  assert.equal(route(secure, '$connect').ApiKeyRequired, true);
  for (const key of ['$disconnect', '$default', 'enqueue', 'sync_sfn', 'async_sfn']) {
    assert.equal(route(secure, key).ApiKeyRequired, undefined, key);
  }
});

test('the key is enabled and has no value in the template (API Gateway generates it)', () => {
  const key = onlyResource(secure, 'AWS::ApiGateway::ApiKey').Properties;
  assert.equal(key.Enabled, true);
  assert.equal(key.Value, undefined);
  assert.equal(key.GenerateDistinctId, undefined);
});

test('the usage plan binds this API\'s stage, with throttle and daily quota from context, after the stage exists', () => {
  const plans = resourcesOfType(secure, 'AWS::ApiGateway::UsagePlan');
  const [[planId, plan]] = Object.entries(plans);
  assert.equal(Object.keys(plans).length, 1);
  const stageId = logicalId(secure, 'AWS::ApiGatewayV2::Stage', 'GatewayStage');
  assert.deepEqual(plan.Properties.ApiStages, [{ ApiId: { Ref: logicalId(secure, 'AWS::ApiGatewayV2::Api', 'GatewayApi') }, Stage: 'api' }]);
  assert.deepEqual(plan.Properties.Throttle, { RateLimit: 5, BurstLimit: 3 });
  assert.deepEqual(plan.Properties.Quota, { Limit: 1000, Period: 'DAY' });
  assert.ok((secure.toJSON().Resources[planId].DependsOn as string[]).includes(stageId), 'DependsOn the stage');
});

test('the usage plan key joins the key to the plan', () => {
  const planKey = onlyResource(secure, 'AWS::ApiGateway::UsagePlanKey').Properties;
  assert.equal(target(planKey.KeyId), logicalId(secure, 'AWS::ApiGateway::ApiKey', 'ApiKeysKey'));
  assert.equal(target(planKey.UsagePlanId), logicalId(secure, 'AWS::ApiGateway::UsagePlan', 'ApiKeysPlan'));
  assert.equal(planKey.KeyType, 'API_KEY');
});

test('usage plan defaults: 50 requests/s, burst 25, 100000 a day', () => {
  const config = readConfig(new App({ context: { apiKeys: 'true' } }).node);
  assert.deepEqual([config.apiKeyRateLimit, config.apiKeyBurstLimit, config.apiKeyQuota], [50, 25, 100000]);
  assert.throws(() => readConfig(new App({ context: { apiKeyQuota: '0' } }).node), /context apiKeyQuota: expected an integer/);
  assert.throws(() => readConfig(new App({ context: { apiKeyRateLimit: '-1' } }).node), /context apiKeyRateLimit: expected a positive number/);
});

/** Every string in a JSON value, with its path. */
function strings(value: unknown, path: string, out: [string, string][] = []): [string, string][] {
  if (typeof value === 'string') out.push([path, value]);
  else if (Array.isArray(value)) value.forEach((v, i) => strings(v, `${path}[${i}]`, out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) strings(v, `${path}.${k}`, out);
  return out;
}

test('no key value anywhere: outputs and properties refer to the key by id, nothing reads its value', () => {
  const json = secure.toJSON();
  const keyId = logicalId(secure, 'AWS::ApiGateway::ApiKey', 'ApiKeysKey');
  assert.deepEqual(json.Outputs.ApiKeyId.Value, { Ref: keyId });
  // The key is only ever referenced by Ref (its id): by the output and by the usage plan key.
  const references = strings(json, '').filter(([, s]) => s === keyId).map(([path]) => path);
  assert.deepEqual(references.sort(), ['.Outputs.ApiKeyId.Value.Ref', `.Resources.${logicalId(secure, 'AWS::ApiGateway::UsagePlanKey', 'ApiKeysPlan')}.Properties.KeyId.Ref`]);
  // Nothing reads an attribute of the key (CloudFormation has none that holds the value), the
  // key has no Value, and no parameter could carry one in.
  assert.ok(!JSON.stringify(json).includes(`"Fn::GetAtt":["${keyId}"`));
  assert.deepEqual(Object.keys(json.Parameters ?? {}), ['BootstrapVersion']);
  assert.equal(onlyResource(secure, 'AWS::ApiGateway::ApiKey').Properties.Value, undefined);
});

test('the access log records no API key ($context.identity.apiKey would write it to the logs)', () => {
  const stage = onlyResource(secure, 'AWS::ApiGatewayV2::Stage').Properties;
  assert.doesNotMatch(stage.AccessLogSettings.Format, /apiKey/i);
});
