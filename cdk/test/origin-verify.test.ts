import assert from 'node:assert/strict';
import { test } from 'node:test';
import { App } from 'aws-cdk-lib';
import { readConfig } from '../lib/config';
import { CERTIFICATE_ARN, logicalId, onlyResource, resourcesOfType, synth } from './fixture';

const originOf = (variant: 'defaults' | 'custom' | 'secure') =>
  onlyResource(synth(variant).template, 'AWS::CloudFront::Distribution').Properties.DistributionConfig.Origins[0];
const outputs = (variant: 'defaults' | 'edgeless' | 'custom') =>
  synth(variant).template.toJSON().Outputs as Record<string, { Value: any; Description: string }>;

// "Custom headers that CloudFront can't add to origin requests", CloudFront developer guide.
const CLOUDFRONT_REFUSES = ['cache-control', 'connection', 'content-length', 'cookie', 'host', 'if-match',
  'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since', 'max-forwards', 'pragma',
  'proxy-authorization', 'proxy-connection', 'range', 'request-range', 'te', 'trailer', 'transfer-encoding',
  'upgrade', 'via', 'x-real-ip'];

test('CloudFront sends the origin secret as X-Origin-Verify, a dynamic reference to the generated secret', () => {
  const secretId = logicalId(synth().template, 'AWS::SecretsManager::Secret', 'AuthorizerOriginVerify');
  assert.deepEqual(originOf('defaults').OriginCustomHeaders, [{
    HeaderName: 'X-Origin-Verify',
    HeaderValue: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secretId }, ':SecretString}}']] },
  }]);
});

test('X-Origin-Verify is a header CloudFront may add', () => {
  const [{ HeaderName: name }] = originOf('defaults').OriginCustomHeaders;
  assert.ok(!CLOUDFRONT_REFUSES.includes(name.toLowerCase()), name);
  assert.doesNotMatch(name, /^x-(amz|edge)-/i);
});

test('with a custom domain and API keys the origin header is there as well', () => {
  assert.equal(originOf('secure').OriginCustomHeaders[0].HeaderName, 'X-Origin-Verify');
});

test('auth=none has no authorizer to check it: no origin secret and no origin header', () => {
  assert.equal(originOf('custom').OriginCustomHeaders, undefined);
  assert.deepEqual(Object.keys(resourcesOfType(synth('custom').template, 'AWS::SecretsManager::Secret')), []);
});

test('without the edge: no distribution, CloudFront function, web ACL or origin header', () => {
  const edgeless = synth('edgeless').template;
  for (const type of ['AWS::CloudFront::Distribution', 'AWS::CloudFront::Function', 'AWS::WAFv2::WebACL', 'AWS::WAFv2::IPSet']) {
    assert.deepEqual(Object.keys(resourcesOfType(edgeless, type)), [], type);
  }
  assert.ok(!JSON.stringify(edgeless.toJSON()).includes('X-Origin-Verify'));
});

test('ApiUrl: behind CloudFront it says the endpoint refuses clients without the origin header', () => {
  assert.match(outputs('defaults').ApiUrl.Description, /refuses handshakes without CloudFront's X-Origin-Verify header \(401\); clients use CloudFrontUrl/);
  for (const variant of ['edgeless', 'custom'] as const) {
    assert.equal(outputs(variant).ApiUrl.Description, 'WebSocket URL of the API stage', variant);
  }
  assert.equal(outputs('edgeless').CloudFrontUrl, undefined);
});

test('context edge: true or false; without the edge there is no WAF and no custom domain', () => {
  const config = (context: Record<string, unknown>) => readConfig(new App({ context }).node);
  assert.deepEqual([config({}).edge, config({}).waf], [true, true]);
  assert.deepEqual([config({ edge: 'false' }).edge, config({ edge: 'false' }).waf], [false, false]);
  assert.throws(() => config({ edge: 'no' }), /context edge: expected true or false/);
  assert.throws(() => config({ edge: 'false', domainName: 'ws.example.com', certificateArn: CERTIFICATE_ARN }),
    /context domainName: the custom domain is the CloudFront distribution's; it needs edge=true/);
});
