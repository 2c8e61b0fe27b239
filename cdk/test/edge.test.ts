import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { logicalId, onlyResource, synth, target } from './fixture';

const { template } = synth();
const distribution = onlyResource(template, 'AWS::CloudFront::Distribution').Properties.DistributionConfig;
const behavior = distribution.DefaultCacheBehavior;

test('the CloudFront function is ws-uri.js on cloudfront-js-2.0, on viewer-request', () => {
  const fn = onlyResource(template, 'AWS::CloudFront::Function').Properties;
  assert.equal(fn.FunctionConfig.Runtime, 'cloudfront-js-2.0');
  assert.equal(fn.FunctionCode, readFileSync(join(__dirname, '..', 'functions', 'ws-uri.js'), 'utf8'));
  assert.deepEqual(behavior.FunctionAssociations.map((a: any) => [a.EventType, target(a.FunctionARN)]),
    [['viewer-request', logicalId(template, 'AWS::CloudFront::Function', 'EdgeWsUriFunction')]]);
});

test('the origin is the API stage, over TLS 1.2 only', () => {
  const [origin] = distribution.Origins;
  assert.equal(origin.OriginPath, '/api');
  assert.equal(origin.CustomOriginConfig.OriginProtocolPolicy, 'https-only');
  assert.deepEqual(origin.CustomOriginConfig.OriginSSLProtocols, ['TLSv1.2']);
  const domain = origin.DomainName['Fn::Join'][1];
  assert.equal(target(domain[0]), logicalId(template, 'AWS::ApiGatewayV2::Api', 'GatewayApi'));
  assert.equal(behavior.ViewerProtocolPolicy, 'https-only');
});

test('caching is disabled and the handshake headers and all query strings reach the origin', () => {
  assert.equal(behavior.CachePolicyId, '4135ea2d-6df8-44a3-9df3-4b5a84be39ad'); // managed CachingDisabled
  assert.equal(target(behavior.OriginRequestPolicyId), logicalId(template, 'AWS::CloudFront::OriginRequestPolicy', 'EdgeHandshakePolicy'));
  const policy = onlyResource(template, 'AWS::CloudFront::OriginRequestPolicy').Properties.OriginRequestPolicyConfig;
  assert.deepEqual(policy.HeadersConfig, {
    HeaderBehavior: 'whitelist',
    Headers: ['Sec-WebSocket-Key', 'Sec-WebSocket-Version', 'Sec-WebSocket-Protocol', 'Sec-WebSocket-Extensions', 'ws-uri'],
  });
  assert.deepEqual(policy.QueryStringsConfig, { QueryStringBehavior: 'all' });
  assert.deepEqual(policy.CookiesConfig, { CookieBehavior: 'none' });
});
