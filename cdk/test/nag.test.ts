import assert from 'node:assert/strict';
import { test } from 'node:test';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { synth, synthApp, Variant } from './fixture';

const { stack } = synth();

/** Every acknowledged (suppressed) rule in the construct tree, with where and why. */
function acknowledgments(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((c) => c.node.metadata
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((m) => Object.entries(m.data as Record<string, string>)
      .map(([id, reason]) => ({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason }))));
}

/** Unacknowledged cdk-nag findings of a stack, as "LEVEL rule: paths". */
function findings(root: Stack): string[] {
  const report = new AwsSolutionsChecks().validateScope(root);
  return report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
}

/** Acknowledged rules and how often, e.g. {"AwsSolutions-APIG4": 5}. */
function ruleCounts(root: IConstruct): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { id } of acknowledgments(root)) {
    const rule = id.replace(/\[.*/, '');
    counts[rule] = (counts[rule] ?? 0) + 1;
  }
  return counts;
}

for (const variant of ['defaults', 'custom', 'secure', 'edgeless', 'backend', 'privateBackend'] as Variant[]) {
  test(`cdk-nag AwsSolutions (${variant}): no unacknowledged errors or warnings`, () => {
    assert.deepEqual(findings(synth(variant).stack), []);
  });
}

test('cdk-nag AwsSolutions: clean in both stacks of a deployment outside us-east-1', () => {
  const { stack: main, webAcl } = synthApp({ region: 'eu-west-1' }, '123456789012');
  assert.deepEqual(findings(main), []);
  assert.deepEqual(findings(webAcl!), []);
});

test('every acknowledged cdk-nag rule has a written reason', () => {
  for (const variant of ['defaults', 'custom', 'secure', 'edgeless', 'backend', 'privateBackend'] as Variant[]) {
    const acks = acknowledgments(synth(variant).stack);
    assert.ok(acks.length > 0);
    for (const { path, id, reason } of acks) {
      assert.match(id, /^AwsSolutions-/, path);
      assert.ok(reason.length >= 40, `${path} ${id}: reason too short: ${reason}`);
    }
  }
  // A list to review when it changes: which rules are acknowledged, and how often. With the
  // JWT authorizer $connect is authorized (APIG4 only for the other five routes, which cannot
  // have an authorizer); the WAF satisfies CFR2.
  assert.deepEqual(ruleCounts(stack), {
    'AwsSolutions-APIG4': 5,
    'AwsSolutions-CFR1': 1,
    'AwsSolutions-CFR3': 1,
    'AwsSolutions-CFR4': 1,
    'AwsSolutions-DDB3': 2,
    'AwsSolutions-IAM5': 3,
    'AwsSolutions-SF1': 2,
    'AwsSolutions-SF2': 2,
    'AwsSolutions-SMG4': 2,
  });
});

test('auth=none acknowledges the open $connect; waf=false acknowledges CFR2', () => {
  const acks = acknowledgments(synth('custom').stack);
  assert.ok(acks.some((a) => a.id === 'AwsSolutions-APIG4' && a.path.endsWith('$connect-Route') && /auth=none/.test(a.reason)));
  assert.ok(acks.some((a) => a.id === 'AwsSolutions-CFR2' && /waf=false/.test(a.reason)));
  const counts = ruleCounts(synth('custom').stack);
  assert.equal(counts['AwsSolutions-APIG4'], 6);
  assert.equal(counts['AwsSolutions-SMG4'], undefined);
});

test('the JWT authorizer removes the $connect acknowledgement; a custom domain removes CFR4', () => {
  const acks = acknowledgments(stack);
  assert.ok(!acks.some((a) => a.path.endsWith('$connect-Route')), 'no acknowledgement on $connect');
  const secure = ruleCounts(synth('secure').stack);
  assert.equal(secure['AwsSolutions-CFR4'], undefined);
  assert.equal(secure['AwsSolutions-CFR2'], undefined);
});

test('the secret rotation acknowledgements say why and how to rotate by hand', () => {
  const smg4 = acknowledgments(stack).filter((a) => a.id === 'AwsSolutions-SMG4');
  const signingKey = smg4.find((a) => a.path.includes('SigningKey'))!;
  assert.match(signingKey.reason, /invalidates every token/);
  assert.match(signingKey.reason, /put-secret-value/);
  const origin = smg4.find((a) => a.path.includes('OriginVerify'))!;
  assert.match(origin.reason, /put-secret-value followed by a stack update/);
});

test('the checks do report problems (a queue that allows plain HTTP)', () => {
  const scratch = new Stack(new App(), 'Scratch');
  new Queue(scratch, 'Plain');
  const rules = new AwsSolutionsChecks().validateScope(scratch).violations.map((v) => v.ruleName);
  assert.ok(rules.includes('AwsSolutions-SQS4'), rules.join(', '));
});
