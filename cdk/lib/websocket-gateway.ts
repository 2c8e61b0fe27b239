import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat, CfnVpcLink } from 'aws-cdk-lib/aws-apigateway';
import {
  CfnIntegration,
  CfnIntegrationResponse,
  CfnModel,
  CfnRoute,
  CfnStage,
  IWebSocketRouteAuthorizer,
  LogGroupLogDestination,
  PassthroughBehavior,
  WebSocketApi,
  WebSocketApiKeySelectionExpression,
  WebSocketIntegration,
  WebSocketRoute,
  WebSocketStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketAwsIntegration, WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { ManagedPolicy, PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { IQueue } from 'aws-cdk-lib/aws-sqs';
import { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { RouteThrottle } from './config';
import { BACKEND_URL_VARIABLE, backendRequestParameters, backendTarget, HttpBackend, HttpProxyIntegration } from './http-backend';
import { replyStatement } from './manage-connections';
import { backendModel, enqueueModel, RequestModel, workflowModel } from './request-models';
import { RustLambda } from './rust-lambda';
import * as vtl from './templates';

export interface WebSocketGatewayProps {
  readonly stage: string;
  readonly throttleRate: number;
  readonly throttleBurst: number;
  /** Stage throttling of single routes, by route key. */
  readonly routeThrottles: Readonly<Record<string, RouteThrottle>>;
  readonly accessLogs: boolean;
  /** Authorizer of $connect; without one the API is open. */
  readonly connectAuthorizer?: IWebSocketRouteAuthorizer;
  /** $connect requires an API key (header x-api-key). */
  readonly apiKeys: boolean;
  readonly connections: ITable;
  readonly queue: IQueue;
  readonly syncWorkflow: IStateMachine;
  readonly asyncWorkflow: IStateMachine;
  /** A route whose messages go to an HTTP backend (context backendUrl). */
  readonly backend?: HttpBackend;
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
  /** The model API Gateway validates the message against before calling the service. */
  readonly requestModel?: RequestModel;
  readonly authorizer?: IWebSocketRouteAuthorizer;
  /** The client must present an API key (API Gateway checks keys on $connect only). */
  readonly apiKeyRequired?: boolean;
}

/** cdk-nag's AwsSolutions-APIG4 (no authorization) for one route, with the reason that applies to it. */
function acknowledgeOpenRoute(route: WebSocketRoute): void {
  Validations.of(route).acknowledge({
    id: 'AwsSolutions-APIG4',
    reason: route.routeKey === '$connect'
      ? 'The API is deliberately open (context auth=none): clients are identified only by their connection id, and '
        + 'the stage is throttled. The default, auth=jwt, puts a JWT authorizer on $connect.'
      : 'API Gateway authorizes WebSocket clients once, on $connect; other routes cannot have an authorizer.',
  });
}

/** VTL template selection: there is one template per integration, under the key `$default`. */
const ONE_TEMPLATE = '\\$default';

/**
 * The WebSocket API (route selection `$request.body.action`), its stage and its routes. Every
 * service integration has a role of its own that may do one action on one resource. $connect
 * takes the authorizer and, with API keys, requires one; the custom routes validate messages
 * against their request models; the stage throttles by default and per route.
 */
export class WebSocketGateway extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;
  /** The routes, by route key. */
  readonly routes: Record<string, WebSocketRoute> = {};
  /** What the HTTP backend needs to answer clients later (props.backend). */
  readonly backendPolicy?: ManagedPolicy;

  constructor(scope: Construct, id: string, props: WebSocketGatewayProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.api = new WebSocketApi(this, 'Api', {
      apiName: `${stack.stackName}-ws`,
      description: 'wsflow: event-driven workflows over WebSocket',
      routeSelectionExpression: '$request.body.action',
      apiKeySelectionExpression: props.apiKeys ? WebSocketApiKeySelectionExpression.HEADER_X_API_KEY : undefined,
    });

    const table = props.connections;
    this.serviceRoute({
      routeKey: '$connect',
      uri: 'dynamodb:action/PutItem',
      action: 'dynamodb:PutItem',
      resource: table.tableArn,
      requestTemplate: vtl.connectRequest(table.tableName),
      authorizer: props.connectAuthorizer,
      apiKeyRequired: props.apiKeys,
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
      requestModel: enqueueModel(),
    });
    this.serviceRoute({
      routeKey: 'sync_sfn',
      uri: 'states:action/StartSyncExecution',
      action: 'states:StartSyncExecution',
      resource: props.syncWorkflow.stateMachineArn,
      requestTemplate: vtl.startExecutionRequest(props.syncWorkflow.stateMachineArn),
      responseTemplate: vtl.syncExecutionResponse,
      requestModel: workflowModel('sync_sfn'),
    });
    this.serviceRoute({
      routeKey: 'async_sfn',
      uri: 'states:action/StartExecution',
      action: 'states:StartExecution',
      resource: props.asyncWorkflow.stateMachineArn,
      requestTemplate: vtl.startExecutionRequest(props.asyncWorkflow.stateMachineArn),
      responseTemplate: vtl.asyncExecutionResponse,
      requestModel: workflowModel('async_sfn'),
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
    this.routes.$default = defaultRoute;
    if (props.backend) this.backendRoute(props.backend, props.connectAuthorizer !== undefined);

    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: props.stage,
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRate, burstLimit: props.throttleBurst },
      stageVariables: props.backend ? { [BACKEND_URL_VARIABLE]: backendTarget(props.backend.url).stageVariable } : undefined,
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
    if (!props.accessLogs) {
      Validations.of(this.stage).acknowledge({
        id: 'AwsSolutions-APIG1',
        reason: 'Access logs are turned off by context (accessLogs=false), for accounts whose region has no API Gateway '
          + 'CloudWatch role; the default turns them on.',
      });
    }
    this.throttleRoutes(props.routeThrottles);
    if (props.backend) this.backendPolicy = this.replyPolicy(props.stage);
  }

  /**
   * The HTTP backend's route: HTTP_PROXY to the stage variable's URL, two-way (the backend's
   * answer is the reply), validated against a model that only names the route.
   */
  private backendRoute(backend: HttpBackend, withUserId: boolean): void {
    const integrationId = 'BackendIntegration';
    const { uri } = backendTarget(backend.url);
    const route = this.api.addRoute(backend.routeKey, {
      integration: new HttpProxyIntegration(integrationId, uri, backendRequestParameters(withUserId)),
      returnResponse: true,
    });
    acknowledgeOpenRoute(route);
    this.validate(route, backendModel(backend.routeKey));
    this.routes[backend.routeKey] = route;
    if (backend.nlbArn) this.throughVpcLink(route.node.findChild(integrationId) as WebSocketIntegration, backend.nlbArn);
  }

  /**
   * A private integration. WebSocket APIs reach a VPC through the VPC links of REST APIs
   * (AWS::ApiGateway::VpcLink, "Private integration using VPC links V1", API Gateway developer
   * guide), which target Network Load Balancers in the API's account; AWS::ApiGatewayV2::VpcLink
   * (VPC links V2) serves HTTP and REST APIs, not WebSocket ones. The integration URI's host then
   * names the backend (Host header, TLS server name) while the NLB carries the traffic.
   */
  private throughVpcLink(integration: WebSocketIntegration, nlbArn: string): void {
    const link = new CfnVpcLink(this, 'BackendVpcLink', {
      name: `${Stack.of(this).stackName}-backend`,
      description: 'wsflow: the HTTP backend route to its Network Load Balancer',
      targetArns: [nlbArn],
    });
    const cfn = integration.node.defaultChild as CfnIntegration;
    cfn.connectionType = 'VPC_LINK';
    cfn.connectionId = link.ref;
  }

  /** A managed policy for the backend's own role: reply to this stage's clients over @connections. */
  private replyPolicy(stage: string): ManagedPolicy {
    const policy = new ManagedPolicy(this, 'BackendReplies', {
      description: `wsflow HTTP backend: reply to the clients of stage ${stage} (POST @connections)`,
    });
    policy.addStatements(replyStatement(policy, this.api.apiId, stage));
    return policy;
  }

  /** Per-route stage throttling (the L2 stage sets only the default route settings). */
  private throttleRoutes(throttles: Readonly<Record<string, RouteThrottle>>): void {
    const entries = Object.entries(throttles);
    if (entries.length === 0) return;
    (this.stage.node.defaultChild as CfnStage).routeSettings = Object.fromEntries(entries.map(([key, { rate, burst }]) =>
      [key, { ThrottlingRateLimit: rate, ThrottlingBurstLimit: burst }]));
    // API Gateway refuses route settings for routes that do not exist yet.
    for (const [key] of entries) this.stage.node.addDependency(this.routes[key]);
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
      authorizer: route.authorizer,
    });
    this.routes[route.routeKey] = wsRoute;
    // addRoute takes no apiKeyRequired (only `new WebSocketRoute` does): set it on the resource.
    if (route.apiKeyRequired) (wsRoute.node.defaultChild as CfnRoute).apiKeyRequired = true;
    if (!route.authorizer) acknowledgeOpenRoute(wsRoute);
    if (route.requestModel) this.validate(wsRoute, route.requestModel);

    // WebSocketAwsIntegration has no integration responses; the integration it creates is the
    // route's child of the same id.
    const integration = wsRoute.node.findChild(integrationId) as WebSocketIntegration;
    if (route.responseTemplate === undefined) {
      // A non-proxy integration needs an integration response, even one that sends nothing back
      // ("Set up integration responses", API Gateway developer guide); AWS's own WebSocket
      // samples give $connect and $disconnect `/200/`.
      new CfnIntegrationResponse(this, `${name}Ok`, {
        apiId: this.api.apiId,
        integrationId: integration.integrationId,
        integrationResponseKey: '/200/',
      });
      return;
    }
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

  /**
   * Request validation: the model is selected by the message's action, so the route's own model
   * is the `$default` entry. API Gateway answers an invalid message itself ("Invalid request
   * body") and never calls the service.
   */
  private validate(route: WebSocketRoute, model: RequestModel): void {
    const cfnModel = new CfnModel(this, model.name, {
      apiId: this.api.apiId,
      name: model.name,
      contentType: 'application/json',
      schema: model.schema,
    });
    const cfnRoute = route.node.defaultChild as CfnRoute;
    cfnRoute.modelSelectionExpression = '$request.body.action';
    cfnRoute.requestModels = { $default: model.name };
    // The route names the model, it does not reference it: order them explicitly.
    cfnRoute.node.addDependency(cfnModel);
  }
}
