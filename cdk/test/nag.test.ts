import assert from 'node:assert/strict';
import { test } from 'node:test';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { synth } from './fixture';

const { stack } = synth();

/** Every acknowledged (suppressed) rule in the construct tree, with where and why. */
function acknowledgments(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((c) => c.node.metadata
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((m) => Object.entries(m.data as Record<string, string>)
      .map(([id, reason]) => ({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason }))));
}

test('cdk-nag AwsSolutions: no unacknowledged errors or warnings', () => {
  const report = new AwsSolutionsChecks().validateScope(stack);
  const findings = report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
  assert.deepEqual(findings, []);
  assert.equal(report.success, true);
});

test('every acknowledged cdk-nag rule has a written reason', () => {
  const acks = acknowledgments(stack);
  assert.ok(acks.length > 0);
  for (const { path, id, reason } of acks) {
    assert.match(id, /^AwsSolutions-/, path);
    assert.ok(reason.length >= 40, `${path} ${id}: reason too short: ${reason}`);
  }
  // A list to review when it changes: which rules are acknowledged, and how often.
  const counts: Record<string, number> = {};
  for (const { id } of acks) {
    const rule = id.replace(/\[.*/, '');
    counts[rule] = (counts[rule] ?? 0) + 1;
  }
  assert.deepEqual(counts, {
    'AwsSolutions-APIG4': 6,
    'AwsSolutions-CFR1': 1,
    'AwsSolutions-CFR2': 1,
    'AwsSolutions-CFR3': 1,
    'AwsSolutions-CFR4': 1,
    'AwsSolutions-IAM5': 3,
  });
});

test('the checks do report problems (a queue that allows plain HTTP)', () => {
  const scratch = new Stack(new App(), 'Scratch');
  new Queue(scratch, 'Plain');
  const rules = new AwsSolutionsChecks().validateScope(scratch).violations.map((v) => v.ruleName);
  assert.ok(rules.includes('AwsSolutions-SQS4'), rules.join(', '));
});
