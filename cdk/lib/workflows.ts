import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { IQueue } from 'aws-cdk-lib/aws-sqs';
import { CfnStateMachine, DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

const REPO_ROOT = resolve(__dirname, '..', '..');

export interface WorkflowsProps {
  /** The FIFO jobs queue the async workflow reports its result to. */
  readonly queue: IQueue;
  readonly waitSeconds: number;
  /** X-Ray tracing (context `tracing`). */
  readonly tracing: boolean;
}

/**
 * The two state machines behind the sync_sfn and async_sfn routes, defined by the ASL files in
 * statemachines/. The definitions are inlined (not S3 assets), so the synthesized template is
 * self-contained for local mode, and their permissions are granted explicitly here.
 */
export class Workflows extends Construct {
  /** Express; the sync_sfn route waits for its output (StartSyncExecution). */
  readonly sync: StateMachine;
  /** Standard; async_sfn starts it, and it reports back through the jobs queue. */
  readonly async: StateMachine;
  private readonly tracing: boolean;

  constructor(scope: Construct, id: string, props: WorkflowsProps) {
    super(scope, id);
    const waitSeconds = String(props.waitSeconds);
    this.tracing = props.tracing;
    this.sync = this.stateMachine('Sync', 'statemachines/sync-express.asl.json', StateMachineType.EXPRESS, {
      WaitSeconds: waitSeconds,
    });
    this.async = this.stateMachine('Async', 'statemachines/async-standard.asl.json', StateMachineType.STANDARD, {
      WaitSeconds: waitSeconds,
      QueueUrl: props.queue.queueUrl,
    });
    this.async.addToRolePolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [props.queue.queueArn] }));
  }

  private stateMachine(id: string, aslFile: string, type: StateMachineType, substitutions: Record<string, string>) {
    const stateMachine = new StateMachine(this, id, {
      stateMachineType: type,
      definitionBody: DefinitionBody.fromString(readFileSync(resolve(REPO_ROOT, aslFile), 'utf8')),
      definitionSubstitutions: substitutions,
      tracingEnabled: this.tracing,
      logs: {
        destination: new LogGroup(this, `${id}Logs`, {
          retention: RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        // Failures only: ALL logs every state transition of every execution, billed per event.
        level: LogLevel.ERROR,
        // Inputs and outputs carry client data; keep them out of the logs.
        includeExecutionData: false,
      },
    });
    (stateMachine.node.defaultChild as CfnStateMachine).addMetadata('wsflow:asl', aslFile);
    Validations.of(stateMachine).acknowledge({
      id: 'AwsSolutions-SF1',
      reason: 'Errors are logged (level ERROR); every state transition (ALL) would be billed per event for each message.',
    });
    if (!this.tracing) {
      Validations.of(stateMachine).acknowledge({
        id: 'AwsSolutions-SF2',
        reason: 'X-Ray tracing is off by default (billed per trace); context tracing=true turns it on.',
      });
    }
    Validations.of(stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Only the X-Ray actions (PutTraceSegments, PutTelemetryRecords, GetSamplingRules/Targets) and the '
        + 'CloudWatch Logs log-delivery actions that state machine logging needs are granted on "*": they have no '
        + 'resource-level permissions. Tested in iam.test.ts.',
    });
    return stateMachine;
  }
}
