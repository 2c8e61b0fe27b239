import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ApiKeys } from './api-keys';
import { JwtAuthorizer } from './authorizer';
import { readConfig } from './config';
import { Connections } from './connections';
import { Edge } from './edge';
import { JobQueue } from './job-queue';
import { ORIGIN_HEADER } from './origin-verify';
import { QueueWorker, WORKER_TIMEOUT } from './queue-worker';
import { EdgeWebAcl } from './web-acl';
import { WebSocketGateway } from './websocket-gateway';
import { Workflows } from './workflows';

export interface WsflowStackProps extends StackProps {
  /**
   * ARN of a web ACL made elsewhere (a us-east-1 stack, when this one deploys to another
   * region); without it, and with context waf=true, the stack makes its own.
   */
  readonly webAclArn?: string;
}

/**
 * wsflow: a WebSocket API whose routes call DynamoDB, SQS and Step Functions directly, a FIFO
 * jobs queue worked by a Rust Lambda function that replies over @connections, and CloudFront
 * in front. By default $connect requires a JWT, WAF guards CloudFront and handshakes must come
 * through CloudFront; API keys and a custom domain are optional. Settings come from CDK context (see config.ts).
 */
export class WsflowStack extends Stack {
  constructor(scope: Construct, id: string, props: WsflowStackProps = {}) {
    super(scope, id, props);
    const config = readConfig(this.node);
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    const connections = new Connections(this, 'Connections', { removalPolicy });
    const jobs = new JobQueue(this, 'Jobs', {
      maxReceiveCount: config.maxReceiveCount,
      visibilityTimeout: Duration.seconds(6 * WORKER_TIMEOUT.toSeconds()),
      removalPolicy,
    });
    const workflows = new Workflows(this, 'Workflows', {
      queue: jobs.queue,
      waitSeconds: config.waitSeconds,
      tracing: config.tracing,
    });
    const jwt = config.auth === 'jwt' ? new JwtAuthorizer(this, 'Authorizer', {
      audience: config.jwtAudience,
      issuer: config.jwtIssuer,
      jwksUrl: config.jwksUrl,
      verifyOrigin: config.edge,
    }) : undefined;
    const gateway = new WebSocketGateway(this, 'Gateway', {
      stage: config.stage,
      throttleRate: config.throttleRate,
      throttleBurst: config.throttleBurst,
      routeThrottles: config.routeThrottles,
      accessLogs: config.accessLogs,
      connectAuthorizer: jwt?.authorizer,
      apiKeys: config.apiKeys,
      connections: connections.table,
      queue: jobs.queue,
      syncWorkflow: workflows.sync,
      asyncWorkflow: workflows.async,
      backend: config.backendUrl
        ? { routeKey: config.backendRoute, url: config.backendUrl, nlbArn: config.backendNlbArn }
        : undefined,
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
    const apiKeys = config.apiKeys ? new ApiKeys(this, 'ApiKeys', {
      api: gateway.api,
      stage: gateway.stage,
      rateLimit: config.apiKeyRateLimit,
      burstLimit: config.apiKeyBurstLimit,
      quotaPerDay: config.apiKeyQuota,
    }) : undefined;
    // The web ACL: given (from the us-east-1 stack, see app.ts), made here, or none.
    const webAclArn = !config.waf ? undefined : props.webAclArn ?? new EdgeWebAcl(this, 'WebAcl', {
      rateLimit: config.wafRateLimit,
      allowIps: config.wafAllowIps,
      denyIps: config.wafDenyIps,
    }).acl.attrArn;
    const domain = config.domainName ? { name: config.domainName, certificateArn: config.certificateArn } : undefined;
    const origin = jwt?.origin;
    const edge = config.edge ? new Edge(this, 'Edge', {
      apiId: gateway.api.apiId,
      stage: config.stage,
      webAclArn,
      domain,
      originHeader: origin ? { name: ORIGIN_HEADER, value: origin.headerValue } : undefined,
    }) : undefined;

    // Output names are an interface: scripts and the CLI read them.
    const outputs: Record<string, [string, string]> = {
      // Kept behind CloudFront too (local mode and operators read it), but not as the URL to use.
      ApiUrl: [gateway.stage.url, origin
        ? `The API stage directly: refuses handshakes without CloudFront's ${ORIGIN_HEADER} header (401); clients use CloudFrontUrl`
        : 'WebSocket URL of the API stage'],
      QueueUrl: [jobs.queue.queueUrl, 'FIFO jobs queue'],
      DlqUrl: [jobs.deadLetterQueue.queueUrl, 'FIFO dead-letter queue of the jobs queue'],
      ConnectionsTableName: [connections.table.tableName, 'Connections and subscriptions'],
      ResultsTableName: [worker.results.tableName, 'Results of store jobs'],
      IdempotencyTableName: [worker.idempotency.tableName, 'Processed-job records'],
      SyncStateMachineArn: [workflows.sync.stateMachineArn, 'Express state machine of sync_sfn'],
      AsyncStateMachineArn: [workflows.async.stateMachineArn, 'Standard state machine of async_sfn'],
    };
    if (edge) outputs.CloudFrontUrl = [`wss://${edge.distribution.distributionDomainName}`, 'WebSocket URL through CloudFront (any path)'];
    if (jwt) outputs.JwtSecretArn = [jwt.secret.secretArn, 'Secret holding the HS256 key of client tokens'];
    // The key's id only: its value never leaves API Gateway (get-api-key --include-value).
    if (apiKeys) outputs.ApiKeyId = [apiKeys.key.keyId, 'API key id (x-api-key); read its value with the AWS CLI'];
    if (gateway.backendPolicy) {
      outputs.BackendPolicyArn = [gateway.backendPolicy.managedPolicyArn,
        'Managed policy for the HTTP backend\'s role: reply to clients (POST @connections of this stage)'];
    }
    if (domain) outputs.CustomDomainUrl = [`wss://${domain.name}`, 'WebSocket URL on the custom domain (point its DNS at CloudFront)'];
    for (const [name, [value, description]] of Object.entries(outputs)) {
      new CfnOutput(this, name, { value, description });
    }
  }
}
