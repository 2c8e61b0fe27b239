import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CfnIntegrationResponse,
  LogGroupLogDestination,
  PassthroughBehavior,
  WebSocketApi,
  WebSocketIntegration,
  WebSocketRoute,
  WebSocketStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketAwsIntegration, WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { IQueue } from 'aws-cdk-lib/aws-sqs';
import { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { RustLambda } from './rust-lambda';
import * as vtl from './templates';

export interface WebSocketGatewayProps {
  readonly stage: string;
  readonly throttleRate: number;
  readonly throttleBurst: number;
  readonly accessLogs: boolean;
  readonly connections: ITable;
  readonly queue: IQueue;
  readonly syncWorkflow: IStateMachine;
  readonly asyncWorkflow: IStateMachine;
}

/** A route that calls an AWS service API directly (integration type AWS) with a VTL template. */
interface ServiceRoute {
  readonly routeKey: string;
  /** `service:action/Name` or `service:path/...`, as in `arn:aws:apigateway:{region}:{uri}`. */
  readonly uri: string;
  /** The one IAM action the integration's role may perform, on `resource` only. */
  readonly action: string;
  readonly resource: string;
  readonly requestTemplate: string;
  readonly requestParameters?: Record<string, string>;
  /** Two-way routes: the template that turns the service's reply into the client's reply. */
  readonly responseTemplate?: string;
}

/** cdk-nag's AwsSolutions-APIG4 (no authorization) for one route, with the reason that applies to it. */
function acknowledgeOpenRoute(route: WebSocketRoute): void {
  Validations.of(route).acknowledge({
    id: 'AwsSolutions-APIG4',
    reason: route.routeKey === '$connect'
      ? 'The API is deliberately open: clients are identified only by their connection id, and the stage is '
        + 'throttled. A deployment that serves user data adds a REQUEST authorizer to $connect.'
      : 'API Gateway authorizes WebSocket clients once, on $connect; other routes cannot have an authorizer.',
  });
}

/** VTL template selection: there is one template per integration, under the key `$default`. */
const ONE_TEMPLATE = '\\$default';

/**
 * The WebSocket API (route selection `$request.body.action`), its stage and its routes. Every
 * service integration has a role of its own that may do one action on one resource.
 */
export class WebSocketGateway extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;

  constructor(scope: Construct, id: string, props: WebSocketGatewayProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.api = new WebSocketApi(this, 'Api', {
      apiName: `${stack.stackName}-ws`,
      description: 'wsflow: event-driven workflows over WebSocket',
      routeSelectionExpression: '$request.body.action',
    });

    const table = props.connections;
    this.serviceRoute({
      routeKey: '$connect',
      uri: 'dynamodb:action/PutItem',
      action: 'dynamodb:PutItem',
      resource: table.tableArn,
      requestTemplate: vtl.connectRequest(table.tableName),
    });
    this.serviceRoute({
      routeKey: '$disconnect',
      uri: 'dynamodb:action/DeleteItem',
      action: 'dynamodb:DeleteItem',
      resource: table.tableArn,
      requestTemplate: vtl.disconnectRequest(table.tableName),
    });
    this.serviceRoute({
      routeKey: 'enqueue',
      uri: `sqs:path/${stack.account}/${props.queue.queueName}`,
      action: 'sqs:SendMessage',
      resource: props.queue.queueArn,
      requestParameters: { 'integration.request.header.Content-Type': "'application/x-www-form-urlencoded'" },
      requestTemplate: vtl.enqueueRequest(),
      responseTemplate: vtl.queuedResponse,
    });
    this.serviceRoute({
      routeKey: 'sync_sfn',
      uri: 'states:action/StartSyncExecution',
      action: 'states:StartSyncExecution',
      resource: props.syncWorkflow.stateMachineArn,
      requestTemplate: vtl.startExecutionRequest(props.syncWorkflow.stateMachineArn),
      responseTemplate: vtl.syncExecutionResponse,
    });
    this.serviceRoute({
      routeKey: 'async_sfn',
      uri: 'states:action/StartExecution',
      action: 'states:StartExecution',
      resource: props.asyncWorkflow.stateMachineArn,
      requestTemplate: vtl.startExecutionRequest(props.asyncWorkflow.stateMachineArn),
      responseTemplate: vtl.asyncExecutionResponse,
    });

    // $default answers anything else; the Lambda proxy's response body is the reply.
    const defaultFunction = new RustLambda(this, 'DefaultRoute', {
      binary: 'default-route',
      description: 'wsflow $default route: echoes the message and lists the routes',
      timeout: Duration.seconds(10),
      memorySize: 128,
    });
    const defaultRoute = this.api.addRoute('$default', {
      integration: new WebSocketLambdaIntegration('DefaultIntegration', defaultFunction.function),
      returnResponse: true,
    });
    acknowledgeOpenRoute(defaultRoute);

    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: props.stage,
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRate, burstLimit: props.throttleBurst },
      accessLogSettings: props.accessLogs ? {
        destination: new LogGroupLogDestination(new LogGroup(this, 'AccessLogs', {
          retention: RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        })),
        format: AccessLogFormat.custom(JSON.stringify({
          requestId: '$context.requestId',
          connectionId: '$context.connectionId',
          eventType: '$context.eventType',
          routeKey: '$context.routeKey',
          status: '$context.status',
          integrationStatus: '$context.integration.status',
          integrationError: '$context.integration.error',
          sourceIp: '$context.identity.sourceIp',
          requestTime: '$context.requestTimeEpoch',
        })),
      } : undefined,
    });
  }

  private serviceRoute(route: ServiceRoute): void {
    const stack = Stack.of(this);
    const name = route.routeKey.replace('$', '');
    const role = new Role(this, `${name}Role`, {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      description: `API Gateway ${route.routeKey} route: ${route.action} only`,
      inlinePolicies: {
        [route.action.replace(':', '-')]: new PolicyDocument({
          statements: [new PolicyStatement({ actions: [route.action], resources: [route.resource] })],
        }),
      },
    });
    const integrationId = `${name}Integration`;
    const wsRoute = this.api.addRoute(route.routeKey, {
      integration: new WebSocketAwsIntegration(integrationId, {
        integrationUri: `arn:${stack.partition}:apigateway:${stack.region}:${route.uri}`,
        integrationMethod: 'POST',
        credentialsRole: role,
        requestParameters: route.requestParameters,
        templateSelectionExpression: ONE_TEMPLATE,
        requestTemplates: { $default: route.requestTemplate },
        passthroughBehavior: PassthroughBehavior.NEVER,
      }),
      returnResponse: route.responseTemplate !== undefined,
    });
    acknowledgeOpenRoute(wsRoute);
    if (route.responseTemplate === undefined) return;

    // WebSocketAwsIntegration has no integration responses; the integration it creates is the
    // route's child of the same id.
    const integration = wsRoute.node.findChild(integrationId) as WebSocketIntegration;
    const respond = (id: string, key: string, template: string) =>
      new CfnIntegrationResponse(this, `${name}${id}`, {
        apiId: this.api.apiId,
        integrationId: integration.integrationId,
        integrationResponseKey: key,
        templateSelectionExpression: ONE_TEMPLATE,
        responseTemplates: { $default: template },
      });
    respond('Ok', '/2\\d\\d/', route.responseTemplate);
    respond('Error', '$default', vtl.errorResponse(route.routeKey));
  }
}
