import { resolve } from 'node:path';
import { Stack, Validations } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  Function as CloudFrontFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  OriginProtocolPolicy,
  OriginRequestCookieBehavior,
  OriginRequestHeaderBehavior,
  OriginRequestPolicy,
  OriginRequestQueryStringBehavior,
  OriginSslPolicy,
  PriceClass,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { Construct } from 'constructs';

/** The header the viewer-request function fills with the client's path. */
export const WS_URI_HEADER = 'ws-uri';

export interface EdgeProps {
  readonly apiId: string;
  readonly stage: string;
}

/**
 * CloudFront in front of the API's stage, so that clients may connect on any path
 * (wss://{domain}/any/path?q=1): the viewer-request function moves the path into a header and
 * connects to the stage root, which is the only path API Gateway accepts.
 */
export class Edge extends Construct {
  readonly distribution: Distribution;

  constructor(scope: Construct, id: string, props: EdgeProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const wsUri = new CloudFrontFunction(this, 'WsUriFunction', {
      comment: 'Moves the request path into the ws-uri header and connects to /',
      runtime: FunctionRuntime.JS_2_0,
      code: FunctionCode.fromFile({ filePath: resolve(__dirname, '..', 'functions', 'ws-uri.js') }),
    });

    const handshake = new OriginRequestPolicy(this, 'HandshakePolicy', {
      comment: 'WebSocket handshake headers, the client path and the query string',
      // Sec-WebSocket-Key and -Version are required for CloudFront to pass the upgrade on;
      // Host must not be forwarded (API Gateway routes on its own host name).
      headerBehavior: OriginRequestHeaderBehavior.allowList(
        'Sec-WebSocket-Key',
        'Sec-WebSocket-Version',
        'Sec-WebSocket-Protocol',
        'Sec-WebSocket-Extensions',
        WS_URI_HEADER,
      ),
      queryStringBehavior: OriginRequestQueryStringBehavior.all(),
      cookieBehavior: OriginRequestCookieBehavior.none(),
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: `${stack.stackName} WebSocket API`,
      priceClass: PriceClass.PRICE_CLASS_100,
      defaultBehavior: {
        origin: new HttpOrigin(`${props.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`, {
          originPath: `/${props.stage}`,
          protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
          originSslProtocols: [OriginSslPolicy.TLS_V1_2],
        }),
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_DISABLED,
        originRequestPolicy: handshake,
        functionAssociations: [{ function: wsUri, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
    });
    const acknowledge = (id: string, reason: string) => Validations.of(this.distribution).acknowledge({ id, reason });
    acknowledge('AwsSolutions-CFR1', 'The service is not restricted by country; a deployment that must be adds a geo '
      + 'restriction to the distribution.');
    acknowledge('AwsSolutions-CFR2', 'WAF inspects only the WebSocket handshake, never the frames after it; the API '
      + 'stage throttles connections and messages instead.');
    acknowledge('AwsSolutions-CFR3', 'CloudFront standard logs would record only handshakes; the API stage access log '
      + 'records every connect, message and disconnect (context accessLogs).');
    acknowledge('AwsSolutions-CFR4', 'With the default *.cloudfront.net certificate CloudFront does not let the minimum '
      + 'TLS version be chosen; it needs a custom domain and certificate, which this stack does not manage.');
  }
}
