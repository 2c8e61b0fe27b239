import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { anyOccurrenceAlarm } from './alarms';

export interface JobQueueProps {
  readonly maxReceiveCount: number;
  /** At least 6x the worker's timeout (AWS guidance), so retries of throttled invocations do not redeliver a batch still being worked on. */
  readonly visibilityTimeout: Duration;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The FIFO jobs queue and its FIFO dead-letter queue. Message groups are connection ids, so a
 * connection's jobs run in order; routes and workflows give every message a deduplication id,
 * so content-based deduplication stays off.
 */
export class JobQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: JobQueueProps) {
    super(scope, id);
    const prefix = Stack.of(this).stackName;
    const common = {
      fifo: true,
      contentBasedDeduplication: false,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: props.removalPolicy,
    };

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      ...common,
      queueName: `${prefix}-jobs-dlq.fifo`,
      // The longest SQS allows: dead letters wait for `wsflow dlq` inspection and replay.
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      ...common,
      queueName: `${prefix}-jobs.fifo`,
      visibilityTimeout: props.visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });

    // Fires as soon as one job has been dead-lettered.
    anyOccurrenceAlarm(this, 'DeadLetterAlarm',
      this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      'Jobs reached the dead-letter queue: inspect them with `wsflow dlq peek`, replay with `wsflow dlq replay`.');
  }
}
