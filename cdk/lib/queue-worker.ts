import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { ITable, Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ALARM_PERIOD, anyOccurrenceAlarm } from './alarms';
import { CONNECTION_KEYS, WsflowTable } from './connections';
import { replyStatement } from './manage-connections';
import { RustLambda } from './rust-lambda';

/** The worker's timeout; the jobs queue's visibility timeout is six times this. */
export const WORKER_TIMEOUT = Duration.seconds(30);

export interface QueueWorkerProps {
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly connections: ITable;
  /** WebSocket API id and stage, for the @connections endpoint and its permission. */
  readonly apiId: string;
  readonly stage: string;
  readonly batchSize: number;
  readonly maxConcurrency: number;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The queue-worker Lambda function with the tables only it uses (results, idempotency), its
 * SQS event source and its alarms. Each permission below is one the worker's code uses.
 */
export class QueueWorker extends Construct {
  readonly results: Table;
  readonly idempotency: Table;

  constructor(scope: Construct, id: string, props: QueueWorkerProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.results = new WsflowTable(this, 'Results', {
      partitionKey: 'requestId',
      removalPolicy: props.removalPolicy,
    });
    this.idempotency = new WsflowTable(this, 'Idempotency', {
      partitionKey: 'id',
      ttlAttribute: 'ttl',
      removalPolicy: props.removalPolicy,
      ephemeral: 'Idempotency records expire with their TTL; they only guard redeliveries in flight.',
    });

    const worker = new RustLambda(this, 'Worker', {
      binary: 'queue-worker',
      description: 'Runs wsflow jobs from the FIFO jobs queue and replies on the WebSocket',
      timeout: WORKER_TIMEOUT,
      memorySize: 256,
      environment: {
        CONNECTIONS_TABLE: props.connections.tableName,
        RESULTS_TABLE: this.results.tableName,
        IDEMPOTENCY_TABLE: this.idempotency.tableName,
        DLQ_URL: props.deadLetterQueue.queueUrl,
        CALLBACK_URL: `https://${props.apiId}.execute-api.${stack.region}.${stack.urlSuffix}/${props.stage}`,
        RUST_LOG: 'info',
      },
    });
    const fn = worker.function;

    fn.addEventSource(new SqsEventSource(props.queue, {
      batchSize: props.batchSize,
      maxConcurrency: props.maxConcurrency,
      // Failed messages (and the rest of their FIFO group) are retried; the others are not.
      reportBatchItemFailures: true,
    }));

    const allow = (actions: string[], resources: string[]) =>
      fn.addToRolePolicy(new PolicyStatement({ actions, resources }));
    // Subscriptions, gone connections and broadcasts (Query on byTopic).
    allow(['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query'], [props.connections.tableArn]);
    allow(['dynamodb:Query'], [`${props.connections.tableArn}/index/${CONNECTION_KEYS.topicIndex}`]);
    allow(['dynamodb:PutItem'], [this.results.tableArn]);
    // Claim (conditional put), look up, complete and release of processed-job records.
    allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'], [this.idempotency.tableArn]);
    // Permanent failures are forwarded to the DLQ by the worker itself.
    allow(['sqs:SendMessage'], [props.deadLetterQueue.queueArn]);
    // Replies go to this API's own connections only (PostToConnection).
    fn.addToRolePolicy(replyStatement(worker.role, props.apiId, props.stage));

    anyOccurrenceAlarm(this, 'ErrorsAlarm', fn.metricErrors({ period: ALARM_PERIOD }),
      'The queue worker failed invocations (job failures are reported per message and are not counted here).');
    anyOccurrenceAlarm(this, 'ThrottlesAlarm', fn.metricThrottles({ period: ALARM_PERIOD }),
      'The queue worker was throttled: raise the account concurrency or lower maxConcurrency.');
  }
}
