import assert from 'node:assert/strict';
import { test } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { readConfig } from '../lib/config';
import { EdgeWebAcl } from '../lib/web-acl';
import { logicalId, onlyResource, resourcesOfType, synth, synthApp, target } from './fixture';

const ACCOUNT = '123456789012';
const distributionOf = (t: Template) => onlyResource(t, 'AWS::CloudFront::Distribution').Properties.DistributionConfig;
const aclOf = (t: Template) => onlyResource(t, 'AWS::WAFv2::WebACL').Properties;
const metrics = (name: string) => ({ CloudWatchMetricsEnabled: true, MetricName: name, SampledRequestsEnabled: true });

test('default web ACL: CloudFront scope, allow by default, per-IP rate limit, known bad inputs, metrics on', () => {
  const { template } = synth();
  const acl = aclOf(template);
  assert.equal(acl.Scope, 'CLOUDFRONT');
  assert.deepEqual(acl.DefaultAction, { Allow: {} });
  assert.deepEqual(acl.VisibilityConfig, metrics('wsflow-edge'));
  assert.deepEqual(acl.Rules, [
    {
      Name: 'RateLimit', Priority: 0, Action: { Block: {} },
      Statement: { RateBasedStatement: { Limit: 2000, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } },
      VisibilityConfig: metrics('RateLimit'),
    },
    {
      Name: 'KnownBadInputs', Priority: 1, OverrideAction: { None: {} },
      Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesKnownBadInputsRuleSet' } },
      VisibilityConfig: metrics('KnownBadInputs'),
    },
  ]);
  assert.deepEqual(Object.keys(resourcesOfType(template, 'AWS::WAFv2::IPSet')), []);
});

test('the distribution is attached to the web ACL by its ARN', () => {
  const { template } = synth();
  assert.deepEqual(distributionOf(template).WebACLId, { 'Fn::GetAtt': [logicalId(template, 'AWS::WAFv2::WebACL', 'WebAcl'), 'Arn'] });
});

test('IP lists: deny first, allow last with default Block; IPv4 and IPv6 in separate IP sets', () => {
  const { template } = synth('secure');
  const sets = resourcesOfType(template, 'AWS::WAFv2::IPSet');
  const byId = (prefix: string) => sets[logicalId(template, 'AWS::WAFv2::IPSet', prefix)].Properties;
  assert.deepEqual(byId('WebAclDenyListIPV4'), { Scope: 'CLOUDFRONT', IPAddressVersion: 'IPV4', Addresses: ['203.0.113.7/32', '192.0.2.0/24'], Description: 'wsflow DenyList IPV4' });
  assert.deepEqual(byId('WebAclDenyListIPV6').Addresses, ['2001:db8:bad::/48']);
  assert.deepEqual(byId('WebAclAllowListIPV4').Addresses, ['198.51.100.0/24']);
  assert.deepEqual(byId('WebAclAllowListIPV6').Addresses, ['2001:db8::/32']);
  assert.equal(Object.keys(sets).length, 4);

  const acl = aclOf(template);
  assert.deepEqual(acl.DefaultAction, { Block: {} });
  assert.deepEqual(acl.Rules.map((r: any) => [r.Priority, r.Name, Object.keys(r.Action ?? r.OverrideAction)[0]]),
    [[0, 'DenyList', 'Block'], [1, 'RateLimit', 'Block'], [2, 'KnownBadInputs', 'None'], [3, 'AllowList', 'Allow']]);
  const refs = (rule: any) => rule.Statement.OrStatement.Statements.map((s: any) => target(s.IPSetReferenceStatement.Arn));
  assert.deepEqual(refs(acl.Rules[0]), [logicalId(template, 'AWS::WAFv2::IPSet', 'WebAclDenyListIPV4'), logicalId(template, 'AWS::WAFv2::IPSet', 'WebAclDenyListIPV6')]);
  assert.deepEqual(refs(acl.Rules[3]), [logicalId(template, 'AWS::WAFv2::IPSet', 'WebAclAllowListIPV4'), logicalId(template, 'AWS::WAFv2::IPSet', 'WebAclAllowListIPV6')]);
  assert.equal(acl.Rules[1].Statement.RateBasedStatement.Limit, 500);
  for (const rule of acl.Rules) assert.deepEqual(rule.VisibilityConfig, metrics(rule.Name));
});

test('a list of one IP version references its one IP set without an OR', () => {
  const { template } = synthApp({ wafDenyIps: ['203.0.113.0/24'] });
  const [deny] = aclOf(template).Rules;
  assert.equal(deny.Name, 'DenyList');
  assert.deepEqual(deny.Statement, { IPSetReferenceStatement: { Arn: { 'Fn::GetAtt': [logicalId(template, 'AWS::WAFv2::IPSet', 'WebAclDenyListIPV4'), 'Arn'] } } });
  assert.deepEqual(aclOf(template).DefaultAction, { Allow: {} });
});

test('waf=false: no web ACL, no region rule, no attachment', () => {
  const { template } = synth('custom');
  assert.deepEqual(Object.keys(resourcesOfType(template, 'AWS::WAFv2::WebACL')), []);
  assert.equal(distributionOf(template).WebACLId, undefined);
  assert.deepEqual(Object.keys(template.toJSON().Rules ?? {}), ['CheckBootstrapVersion']);
});

test('environment-agnostic template (make synth): one stack, and a rule that refuses regions other than us-east-1', () => {
  const { template, webAcl } = synthApp({});
  assert.equal(webAcl, undefined);
  const rule = template.toJSON().Rules.WebAclRegion;
  assert.deepEqual(rule.Assertions[0].Assert, { 'Fn::Contains': [['us-east-1'], { Ref: 'AWS::Region' }] });
  assert.match(rule.Assertions[0].AssertDescription, /only us-east-1 can hold: deploy it in us-east-1, or synthesize with -c region=<region>/);
});

test('region us-east-1: one stack bound to it, web ACL inside, no rule needed', () => {
  const { stack, template, webAcl } = synthApp({ region: 'us-east-1' }, ACCOUNT);
  assert.equal(webAcl, undefined);
  assert.deepEqual([stack.region, stack.account], ['us-east-1', ACCOUNT]);
  assert.ok(aclOf(template));
  assert.equal(template.toJSON().Rules.WebAclRegion, undefined);
});

test('another region: the web ACL goes to its own us-east-1 stack and reaches CloudFront by a cross-region reference', () => {
  const { stack, template, webAcl } = synthApp({ region: 'eu-west-1' }, ACCOUNT);
  assert.ok(webAcl);
  assert.deepEqual([stack.region, stack.account, webAcl.region, webAcl.account], ['eu-west-1', ACCOUNT, 'us-east-1', ACCOUNT]);
  assert.equal(webAcl.stackName, 'wsflow-web-acl');
  assert.ok(stack.dependencies.includes(webAcl), 'deployed after the web ACL stack');
  assert.deepEqual(Object.keys(resourcesOfType(template, 'AWS::WAFv2::WebACL')), []);
  assert.equal(template.toJSON().Rules.WebAclRegion, undefined);
  const aclTemplate = Template.fromStack(webAcl);
  assert.equal(aclOf(aclTemplate).Scope, 'CLOUDFRONT');
  assert.equal(aclTemplate.toJSON().Rules.WebAclRegion, undefined);
  // The ARN is read from the export the us-east-1 stack writes (crossRegionReferences).
  const reader = logicalId(template, 'Custom::CrossRegionExportReader', 'ExportsReader');
  const webAclId = distributionOf(template).WebACLId['Fn::GetAtt'];
  assert.equal(webAclId[0], reader);
  assert.match(webAclId[1], /^\/cdk\/exports\/wsflow\/.*WebAcl.*Arn/);
  assert.deepEqual(Object.keys(resourcesOfType(aclTemplate, 'Custom::CrossRegionExportWriter')).length, 1);
});

test('another region without WAF: a single stack', () => {
  const { webAcl, template } = synthApp({ region: 'eu-west-1', waf: 'false' }, ACCOUNT);
  assert.equal(webAcl, undefined);
  assert.deepEqual(Object.keys(resourcesOfType(template, 'AWS::WAFv2::WebACL')), []);
});

test('a web ACL in a stack bound to another region is refused at synth', () => {
  const stack = new Stack(new App(), 'Elsewhere', { env: { region: 'eu-west-1' } });
  assert.throws(() => new EdgeWebAcl(stack, 'WebAcl', { rateLimit: 100, allowIps: [], denyIps: [] }),
    /a CloudFront web ACL must be in us-east-1, not eu-west-1/);
});

test('WAF settings: CIDR lists from cdk.json or -c, checked; rate limit within WAF\'s bounds; region names', () => {
  const config = (context: Record<string, unknown>) => readConfig(new App({ context }).node);
  assert.deepEqual(config({ wafAllowIps: ['10.0.0.0/8'] }).wafAllowIps, ['10.0.0.0/8']);
  assert.deepEqual(config({ wafAllowIps: '10.0.0.0/8, 2001:db8::/32' }).wafAllowIps, ['10.0.0.0/8', '2001:db8::/32']);
  assert.deepEqual(config({ wafDenyIps: '["192.0.2.1/32"]' }).wafDenyIps, ['192.0.2.1/32']);
  assert.deepEqual(config({ wafDenyIps: '' }).wafDenyIps, []);
  assert.throws(() => config({ wafDenyIps: '192.0.2.1' }), /context wafDenyIps: expected CIDR blocks .* got "192\.0\.2\.1"/);
  assert.throws(() => config({ wafAllowIps: '10.0.0.0/33' }), /context wafAllowIps/);
  assert.throws(() => config({ wafAllowIps: '0.0.0.0/0' }), /context wafAllowIps/);
  assert.throws(() => config({ wafAllowIps: 'example.com/24' }), /context wafAllowIps/);
  assert.throws(() => config({ wafRateLimit: '5' }), /context wafRateLimit: expected an integer in 10\.\.2000000000/);
  assert.throws(() => config({ waf: 'on' }), /context waf: expected true or false/);
  assert.throws(() => config({ region: 'Europe' }), /context region/);
  assert.equal(config({ region: 'ap-southeast-2' }).region, 'ap-southeast-2');
});
