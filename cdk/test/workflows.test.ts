import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { logicalId, resourcesOfType, synth, target } from './fixture';

const { template } = synth();
const machines = resourcesOfType(template, 'AWS::StepFunctions::StateMachine');
const repo = join(__dirname, '..', '..');

const cases = [
  { prefix: 'WorkflowsSync', file: 'statemachines/sync-express.asl.json', type: 'EXPRESS', placeholders: ['WaitSeconds'] },
  { prefix: 'WorkflowsAsync', file: 'statemachines/async-standard.asl.json', type: 'STANDARD', placeholders: ['QueueUrl', 'WaitSeconds'] },
];

for (const { prefix, file, type, placeholders } of cases) {
  const machine = machines[logicalId(template, 'AWS::StepFunctions::StateMachine', prefix)];

  test(`${file}: inlined verbatim, type ${type}, no S3 asset`, () => {
    assert.equal(machine.Properties.StateMachineType, type);
    assert.equal(machine.Properties.DefinitionS3Location, undefined);
    assert.equal(machine.Properties.DefinitionString, readFileSync(join(repo, file), 'utf8'));
    assert.equal(machine.Metadata?.['wsflow:asl'], file);
  });

  test(`${file}: every placeholder has a definition substitution, and only those`, () => {
    const used = [...new Set([...machine.Properties.DefinitionString.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]))].sort();
    assert.deepEqual(used, placeholders);
    assert.deepEqual(Object.keys(machine.Properties.DefinitionSubstitutions).sort(), placeholders);
    assert.equal(machine.Properties.DefinitionSubstitutions.WaitSeconds, '3');
  });

  test(`${file}: logs its errors to its log group, untraced by default`, () => {
    // ERROR, not ALL: every transition of every execution would be a billed log event.
    assert.deepEqual(machine.Properties.TracingConfiguration, { Enabled: false });
    const logging = machine.Properties.LoggingConfiguration;
    assert.equal(logging.Level, 'ERROR');
    assert.equal(logging.IncludeExecutionData, false);
    assert.equal(target(logging.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn), logicalId(template, 'AWS::Logs::LogGroup', `${prefix}Logs`));
  });
}

test('context tracing=true traces both state machines with X-Ray', () => {
  const traced = resourcesOfType(synth('custom').template, 'AWS::StepFunctions::StateMachine');
  assert.deepEqual(Object.values(traced).map((m) => m.Properties.TracingConfiguration), [{ Enabled: true }, { Enabled: true }]);
});

test('waitSeconds from context reaches both state machines', () => {
  const custom = resourcesOfType(synth('custom').template, 'AWS::StepFunctions::StateMachine');
  assert.deepEqual(Object.values(custom).map((m) => m.Properties.DefinitionSubstitutions.WaitSeconds), ['1', '1']);
});

test('the async workflow reports to the jobs queue', () => {
  const machine = machines[logicalId(template, 'AWS::StepFunctions::StateMachine', 'WorkflowsAsync')];
  assert.equal(target(machine.Properties.DefinitionSubstitutions.QueueUrl), logicalId(template, 'AWS::SQS::Queue', 'JobsQueue'));
});

test('the async workflow sends workflow-result envelopes on success and on failure', () => {
  const asl = JSON.parse(readFileSync(join(repo, 'statemachines/async-standard.asl.json'), 'utf8')
    .replace('${WaitSeconds}', '1'));
  const sends = Object.entries<any>(asl.States).filter(([, s]) => s.Resource === 'arn:aws:states:::sqs:sendMessage');
  assert.deepEqual(sends.map(([name]) => name), ['ReportSuccess', 'ReportFailure']);
  for (const [, state] of sends) {
    const p = state.Parameters;
    assert.equal(p.QueueUrl, '${QueueUrl}');
    assert.equal(p['MessageGroupId.$'], '$.connectionId');
    assert.equal(p['MessageDeduplicationId.$'], '$$.Execution.Name');
    assert.deepEqual(Object.keys(p.MessageBody).sort(),
      ['connectionId.$', 'data', 'receivedAt.$', 'requestId.$', 'source', 'task', 'v']);
    assert.equal(p.MessageBody.task, 'workflow-result');
    assert.equal(p.MessageBody.source, 'workflow');
    assert.equal(p.MessageBody.v, 1);
    assert.equal(p.MessageBody.data['executionArn.$'], '$$.Execution.Id');
  }
  assert.equal(sends[0][1].Parameters.MessageBody.data.status, 'SUCCEEDED');
  assert.deepEqual(sends[0][1].Catch, [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'ReportFailure' }]);
  assert.deepEqual(sends[1][1].Parameters.MessageBody.data,
    { 'executionArn.$': '$$.Execution.Id', status: 'FAILED', 'error.$': '$.error.Error', 'cause.$': '$.error.Cause' });
});
