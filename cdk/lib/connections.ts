import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

/** DynamoDB attribute names shared with the Rust side (workers/aws/src/dynamo.rs). */
export const CONNECTION_KEYS = {
  partition: 'connectionId',
  sort: 'sk',
  ttl: 'ttl',
  topicIndex: 'byTopic',
  topic: 'topic',
} as const;

export interface WsflowTableProps {
  readonly partitionKey: string;
  readonly sortKey?: string;
  readonly ttlAttribute?: string;
  readonly removalPolicy: RemovalPolicy;
  /**
   * Why the table needs no point-in-time recovery (its items expire within hours and are
   * rebuilt by the traffic itself); absent: recovery is on.
   */
  readonly ephemeral?: string;
}

/**
 * The settings every wsflow table shares: on-demand capacity, and point-in-time recovery
 * unless the table is ephemeral (recovery is billed by table size, continuously).
 */
export class WsflowTable extends Table {
  constructor(scope: Construct, id: string, props: WsflowTableProps) {
    super(scope, id, {
      partitionKey: { name: props.partitionKey, type: AttributeType.STRING },
      sortKey: props.sortKey ? { name: props.sortKey, type: AttributeType.STRING } : undefined,
      timeToLiveAttribute: props.ttlAttribute,
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: props.ephemeral === undefined },
      removalPolicy: props.removalPolicy,
    });
    if (props.ephemeral !== undefined) {
      Validations.of(this).acknowledge({ id: 'AwsSolutions-DDB3', reason: props.ephemeral });
    }
  }
}

/**
 * Connection records ($connect writes `sk = "conn"`, $disconnect deletes it) and topic
 * subscriptions (`sk = "topic#<name>"` with a `topic` attribute), in one table so that a
 * connection's items are one Query away; `byTopic` finds a topic's subscribers for broadcasts.
 */
export class Connections extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: { removalPolicy: RemovalPolicy }) {
    super(scope, id);
    this.table = new WsflowTable(this, 'Table', {
      partitionKey: CONNECTION_KEYS.partition,
      sortKey: CONNECTION_KEYS.sort,
      ttlAttribute: CONNECTION_KEYS.ttl,
      removalPolicy: props.removalPolicy,
      ephemeral: 'Connection records and subscriptions live as long as a connection (2 h at most, with a TTL); '
        + 'clients reconnect and resubscribe, so a restore would only bring back connections that are gone.',
    });
    this.table.addGlobalSecondaryIndex({
      indexName: CONNECTION_KEYS.topicIndex,
      partitionKey: { name: CONNECTION_KEYS.topic, type: AttributeType.STRING },
      sortKey: { name: CONNECTION_KEYS.partition, type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });
  }
}
