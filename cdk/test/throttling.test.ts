import assert from 'node:assert/strict';
import { test } from 'node:test';
import { App } from 'aws-cdk-lib';
import { readConfig, ROUTE_KEYS } from '../lib/config';
import { logicalId, onlyResource, resourcesOfType, synth, synthApp } from './fixture';

const routeSettings = (context: Record<string, unknown>) => readConfig(new App({ context }).node).routeThrottles;

test('by default sync_sfn (StartSyncExecution, the expensive route) is throttled to 20/s, burst 10', () => {
  const stage = onlyResource(synth().template, 'AWS::ApiGatewayV2::Stage').Properties;
  assert.deepEqual(stage.RouteSettings, { sync_sfn: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 10 } });
  assert.deepEqual(stage.DefaultRouteSettings, { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 50 });
});

test('routeThrottles from the command line (a JSON string) replaces the default', () => {
  const stage = onlyResource(synth('custom').template, 'AWS::ApiGatewayV2::Stage').Properties;
  assert.deepEqual(stage.RouteSettings, {
    enqueue: { ThrottlingRateLimit: 1.5, ThrottlingBurstLimit: 2 },
    $connect: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 5 },
  });
});

test('the stage is created after the routes it throttles (API Gateway refuses settings of unknown routes)', () => {
  for (const [variant, keys] of [['defaults', ['sync_sfn']], ['custom', ['enqueue', '$connect']]] as const) {
    const t = synth(variant).template;
    const stageId = logicalId(t, 'AWS::ApiGatewayV2::Stage', 'GatewayStage');
    const dependsOn: string[] = t.toJSON().Resources[stageId].DependsOn;
    const routes = resourcesOfType(t, 'AWS::ApiGatewayV2::Route');
    for (const key of keys) {
      const routeId = Object.keys(routes).find((id) => routes[id].Properties.RouteKey === key)!;
      assert.ok(dependsOn.includes(routeId), `${variant}: stage DependsOn ${key}`);
    }
  }
});

test('an empty routeThrottles object leaves RouteSettings out', () => {
  const stage = onlyResource(synthApp({ routeThrottles: '{}', auth: 'none', waf: 'false' }).template, 'AWS::ApiGatewayV2::Stage').Properties;
  assert.equal(stage.RouteSettings, undefined);
});

test('routeThrottles: objects from cdk.json and JSON strings from -c are read alike', () => {
  const wanted = { sync_sfn: { rate: 10, burst: 5 } };
  assert.deepEqual(routeSettings({ routeThrottles: wanted }), wanted);
  assert.deepEqual(routeSettings({ routeThrottles: JSON.stringify(wanted) }), wanted);
});

test('routeThrottles: only existing route keys, positive numbers, errors name the key', () => {
  assert.throws(() => routeSettings({ routeThrottles: '{"sync":{"rate":1,"burst":1}}' }),
    /context routeThrottles: unknown route key "sync"; the routes are \$connect, \$disconnect, \$default, enqueue, sync_sfn, async_sfn/);
  assert.throws(() => routeSettings({ routeThrottles: '{"enqueue":{"rate":0,"burst":1}}' }),
    /context routeThrottles\.enqueue\.rate: expected a positive number/);
  assert.throws(() => routeSettings({ routeThrottles: '{"enqueue":{"rate":"fast","burst":1}}' }),
    /context routeThrottles\.enqueue\.rate/);
  assert.throws(() => routeSettings({ routeThrottles: '{"enqueue":{"rate":1,"burst":-2}}' }),
    /context routeThrottles\.enqueue\.burst: expected a positive integer/);
  assert.throws(() => routeSettings({ routeThrottles: '{"enqueue":{"rate":1}}' }),
    /context routeThrottles\.enqueue: expected \{"rate": n, "burst": n\}/);
  assert.throws(() => routeSettings({ routeThrottles: '{"enqueue":{"rate":1,"burst":1,"extra":1}}' }), /routeThrottles\.enqueue/);
  assert.throws(() => routeSettings({ routeThrottles: '{nope' }), /context routeThrottles: expected JSON/);
  assert.throws(() => routeSettings({ routeThrottles: '[1]' }), /context routeThrottles: expected an object/);
});

test('the route keys routeThrottles accepts are exactly the API\'s routes', () => {
  const keys = Object.values(resourcesOfType(synth().template, 'AWS::ApiGatewayV2::Route')).map((r) => r.Properties.RouteKey);
  assert.deepEqual(keys.sort(), [...ROUTE_KEYS].sort());
});
