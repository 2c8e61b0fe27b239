import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { App } from 'aws-cdk-lib';
import { readConfig } from '../lib/config';
import { CERTIFICATE_ARN, logicalId, onlyResource, synth, synthApp, target } from './fixture';

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

test('the handshake headers, x-api-key and all query strings reach the origin', () => {
  assert.equal(target(behavior.OriginRequestPolicyId), logicalId(template, 'AWS::CloudFront::OriginRequestPolicy', 'EdgeHandshakePolicy'));
  const policy = onlyResource(template, 'AWS::CloudFront::OriginRequestPolicy').Properties.OriginRequestPolicyConfig;
  assert.deepEqual(policy.HeadersConfig, {
    HeaderBehavior: 'whitelist',
    Headers: ['Sec-WebSocket-Key', 'Sec-WebSocket-Version', 'Sec-WebSocket-Protocol', 'Sec-WebSocket-Extensions', 'ws-uri', 'CloudFront-Viewer-Address', 'x-api-key'],
  });
  assert.deepEqual(policy.QueryStringsConfig, { QueryStringBehavior: 'all' });
  assert.deepEqual(policy.CookiesConfig, { CookieBehavior: 'none' });
});

test('Authorization reaches the origin through a cache key of (almost) no caching, never an origin request policy', () => {
  assert.equal(target(behavior.CachePolicyId), logicalId(template, 'AWS::CloudFront::CachePolicy', 'EdgeAuthorizationCachePolicy'));
  const cache = onlyResource(template, 'AWS::CloudFront::CachePolicy').Properties.CachePolicyConfig;
  assert.deepEqual([cache.MinTTL, cache.DefaultTTL, cache.MaxTTL], [0, 0, 1]);
  const key = cache.ParametersInCacheKeyAndForwardedToOrigin;
  assert.deepEqual(key.HeadersConfig, { HeaderBehavior: 'whitelist', Headers: ['Authorization'] });
  assert.deepEqual(key.QueryStringsConfig, { QueryStringBehavior: 'all' });
  assert.deepEqual(key.CookiesConfig, { CookieBehavior: 'none' });
  // CloudFront answers HTTP 400 to an origin request policy that forwards Authorization.
  const policy = onlyResource(template, 'AWS::CloudFront::OriginRequestPolicy').Properties.OriginRequestPolicyConfig;
  assert.ok(!policy.HeadersConfig.Headers.some((h: string) => h.toLowerCase() === 'authorization'));
});

test('no error response is cached (a refused handshake must not answer the next client)', () => {
  const errors = distribution.CustomErrorResponses;
  assert.deepEqual(errors.map((e: any) => e.ErrorCode), [400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504]);
  for (const e of errors) assert.deepEqual(e, { ErrorCode: e.ErrorCode, ErrorCachingMinTTL: 0 });
});

test('viewers connect over HTTPS only', () => {
  for (const variant of ['defaults', 'custom', 'secure'] as const) {
    const config = onlyResource(synth(variant).template, 'AWS::CloudFront::Distribution').Properties.DistributionConfig;
    assert.equal(config.DefaultCacheBehavior.ViewerProtocolPolicy, 'https-only', variant);
  }
});

test('without a custom domain the distribution uses its *.cloudfront.net name and certificate', () => {
  assert.equal(distribution.Aliases, undefined);
  assert.equal(distribution.ViewerCertificate, undefined);
});

test('a custom domain gets its ACM certificate, SNI and TLS 1.2 at least', () => {
  const config = onlyResource(synth('secure').template, 'AWS::CloudFront::Distribution').Properties.DistributionConfig;
  assert.deepEqual(config.Aliases, ['ws.example.com']);
  assert.deepEqual(config.ViewerCertificate, {
    AcmCertificateArn: CERTIFICATE_ARN,
    MinimumProtocolVersion: 'TLSv1.2_2021',
    SslSupportMethod: 'sni-only',
  });
});

test('a custom domain needs a certificate from us-east-1, and both settings', () => {
  const config = (context: Record<string, unknown>) => readConfig(new App({ context }).node);
  assert.throws(() => config({ domainName: 'ws.example.com', certificateArn: CERTIFICATE_ARN.replace('us-east-1', 'eu-west-1') }),
    /context certificateArn: CloudFront only uses ACM certificates from us-east-1; this one is in eu-west-1/);
  assert.throws(() => config({ domainName: 'ws.example.com' }), /give both/);
  assert.throws(() => config({ certificateArn: CERTIFICATE_ARN }), /give both/);
  assert.throws(() => config({ domainName: 'WS example', certificateArn: CERTIFICATE_ARN }), /context domainName/);
  assert.throws(() => config({ domainName: 'ws.example.com', certificateArn: 'arn:aws:iam::123456789012:role/x' }), /context certificateArn/);
  assert.throws(() => synthApp({ domainName: 'ws.example.com', certificateArn: CERTIFICATE_ARN.replace('us-east-1', 'eu-west-1') }),
    /us-east-1/);
});
