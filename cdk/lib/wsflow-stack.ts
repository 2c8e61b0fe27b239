import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { readConfig } from './config';
import { Connections } from './connections';
import { Edge } from './edge';
import { JobQueue } from './job-queue';
import { QueueWorker, WORKER_TIMEOUT } from './queue-worker';
import { WebSocketGateway } from './websocket-gateway';
import { Workflows } from './workflows';

/**
 * wsflow: a WebSocket API whose routes call DynamoDB, SQS and Step Functions directly, a FIFO
 * jobs queue worked by a Rust Lambda function that replies over @connections, and CloudFront
 * in front. Settings come from CDK context (see config.ts).
 */
export class WsflowStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const config = readConfig(this.node);
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    const connections = new Connections(this, 'Connections', { removalPolicy });
    const jobs = new JobQueue(this, 'Jobs', {
      maxReceiveCount: config.maxReceiveCount,
      visibilityTimeout: Duration.seconds(6 * WORKER_TIMEOUT.toSeconds()),
      removalPolicy,
    });
    const workflows = new Workflows(this, 'Workflows', { queue: jobs.queue, waitSeconds: config.waitSeconds });
    const gateway = new WebSocketGateway(this, 'Gateway', {
      stage: config.stage,
      throttleRate: config.throttleRate,
      throttleBurst: config.throttleBurst,
      accessLogs: config.accessLogs,
      connections: connections.table,
      queue: jobs.queue,
      syncWorkflow: workflows.sync,
      asyncWorkflow: workflows.async,
    });
    const worker = new QueueWorker(this, 'QueueWorker', {
      queue: jobs.queue,
      deadLetterQueue: jobs.deadLetterQueue,
      connections: connections.table,
      apiId: gateway.api.apiId,
      stage: config.stage,
      batchSize: config.batchSize,
      maxConcurrency: config.maxConcurrency,
      removalPolicy,
    });
    const edge = new Edge(this, 'Edge', { apiId: gateway.api.apiId, stage: config.stage });

    // Output names are an interface: scripts and the CLI read them.
    const outputs: Record<string, [string, string]> = {
      ApiUrl: [gateway.stage.url, 'WebSocket URL of the API stage'],
      CloudFrontUrl: [`wss://${edge.distribution.distributionDomainName}`, 'WebSocket URL through CloudFront (any path)'],
      QueueUrl: [jobs.queue.queueUrl, 'FIFO jobs queue'],
      DlqUrl: [jobs.deadLetterQueue.queueUrl, 'FIFO dead-letter queue of the jobs queue'],
      ConnectionsTableName: [connections.table.tableName, 'Connections and subscriptions'],
      ResultsTableName: [worker.results.tableName, 'Results of store jobs'],
      IdempotencyTableName: [worker.idempotency.tableName, 'Processed-job records'],
      SyncStateMachineArn: [workflows.sync.stateMachineArn, 'Express state machine of sync_sfn'],
      AsyncStateMachineArn: [workflows.async.stateMachineArn, 'Standard state machine of async_sfn'],
    };
    for (const [name, [value, description]] of Object.entries(outputs)) {
      new CfnOutput(this, name, { value, description });
    }
  }
}
