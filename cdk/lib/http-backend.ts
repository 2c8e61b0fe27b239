import { Duration } from 'aws-cdk-lib';
import {
  WebSocketIntegrationType,
  WebSocketRouteIntegration,
  WebSocketRouteIntegrationConfig,
} from 'aws-cdk-lib/aws-apigatewayv2';

/** The HTTP backend route: context backendUrl, backendRoute and backendNlbArn (config.ts). */
export interface HttpBackend {
  readonly routeKey: string;
  /** `http(s)://host[:port][/path]`. */
  readonly url: string;
  /** The Network Load Balancer of a private backend; "" for one on the internet. */
  readonly nlbArn: string;
}

/** The stage variable that holds the backend's URL (without its scheme). */
export const BACKEND_URL_VARIABLE = 'backendUrl';

/**
 * The integration URI and the stage variable's value for a backend URL. AWS documents stage
 * variables in HTTP integration URIs after a literal scheme, `http://${stageVariables.<name>}`
 * being "a full URI without protocol" ("API Gateway stage variables reference"; the WebSocket
 * stage guide's example is the same), so the scheme stays in the URI and the rest is the variable.
 */
export function backendTarget(url: string): { uri: string; stageVariable: string } {
  const [scheme, rest] = url.split('://');
  return { uri: `${scheme}://\${stageVariables.${BACKEND_URL_VARIABLE}}`, stageVariable: rest };
}

/**
 * What the backend learns besides the message (the request body, passed as it is), as request
 * headers: WebSocket data mapping takes `context.<variable>` sources ("Set up data mapping for
 * WebSocket APIs", API Gateway developer guide). The connection id is what the backend posts
 * replies to; the user id is the authorizer's `userId`, which exists only with the authorizer.
 */
export function backendRequestParameters(withUserId: boolean): Record<string, string> {
  return {
    'integration.request.header.connectionId': 'context.connectionId',
    'integration.request.header.requestId': 'context.requestId',
    ...(withUserId ? { 'integration.request.header.userId': 'context.authorizer.userId' } : {}),
  };
}

/**
 * An HTTP_PROXY integration (POST of the message to the backend). The L2 integration types stop
 * at AWS, AWS_PROXY and MOCK, though AWS::ApiGatewayV2::Integration takes HTTP_PROXY for
 * WebSocket APIs too. A proxy integration has no integration response: API Gateway passes the
 * backend's answer to the client as it is, if the route has a route response ("Set up a
 * WebSocket API integration response", API Gateway developer guide), so the route is two-way.
 */
export class HttpProxyIntegration extends WebSocketRouteIntegration {
  constructor(id: string, private readonly uri: string, private readonly requestParameters: Record<string, string>) {
    super(id);
  }

  bind(): WebSocketRouteIntegrationConfig {
    return {
      type: 'HTTP_PROXY' as WebSocketIntegrationType,
      uri: this.uri,
      method: 'POST',
      requestParameters: this.requestParameters,
      // API Gateway's most for any integration.
      timeout: Duration.millis(29_000),
    };
  }
}
