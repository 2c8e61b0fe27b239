import { resolve } from 'node:path';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CacheCookieBehavior,
  CacheHeaderBehavior,
  CachePolicy,
  CacheQueryStringBehavior,
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
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { Construct } from 'constructs';

/** The header the viewer-request function fills with the client's path. */
export const WS_URI_HEADER = 'ws-uri';
/**
 * The viewer's IP address and port, which CloudFront adds to origin requests whose policy names
 * it ("Add CloudFront request headers", CloudFront developer guide): behind CloudFront,
 * `$context.identity.sourceIp` is CloudFront's own address.
 */
export const VIEWER_ADDRESS_HEADER = 'CloudFront-Viewer-Address';

/** The header that carries an API key (the API's key selection expression). */
export const API_KEY_HEADER = 'x-api-key';

/** Status codes CloudFront would otherwise cache for 10 s (its default error caching TTL). */
const CACHEABLE_ERRORS = [400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504];

export interface EdgeProps {
  readonly apiId: string;
  readonly stage: string;
  /** ARN of a WAF web ACL (scope CLOUDFRONT) to attach. */
  readonly webAclArn?: string;
  /** Custom domain, with its ACM certificate (us-east-1). */
  readonly domain?: { readonly name: string; readonly certificateArn: string };
  /** A header CloudFront adds to every origin request: the origin secret (origin-verify.ts). */
  readonly originHeader?: { readonly name: string; readonly value: string };
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
        VIEWER_ADDRESS_HEADER,
        // Forwarded whether or not the API requires keys, so turning them on needs no CloudFront change.
        API_KEY_HEADER,
      ),
      queryStringBehavior: OriginRequestQueryStringBehavior.all(),
      cookieBehavior: OriginRequestCookieBehavior.none(),
    });

    // CloudFront refuses origin request policies that forward Authorization (HTTP 400): it must
    // be part of a cache key, so that a cached response never answers another caller. A policy
    // that disables caching (max TTL 0) cannot name headers, hence a 1 s maximum; the default TTL
    // of 0 caches nothing the origin does not ask to cache, and WebSocket upgrades are never
    // cached. Query strings (the `token` of browsers) are in the key for the same reason.
    const authorization = new CachePolicy(this, 'AuthorizationCachePolicy', {
      comment: 'Authorization header and query strings in the cache key (forwards them); effectively no caching',
      headerBehavior: CacheHeaderBehavior.allowList('Authorization'),
      queryStringBehavior: CacheQueryStringBehavior.all(),
      cookieBehavior: CacheCookieBehavior.none(),
      defaultTtl: Duration.seconds(0),
      minTtl: Duration.seconds(0),
      maxTtl: Duration.seconds(1),
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: `${stack.stackName} WebSocket API`,
      priceClass: PriceClass.PRICE_CLASS_100,
      webAclId: props.webAclArn,
      domainNames: props.domain ? [props.domain.name] : undefined,
      certificate: props.domain ? Certificate.fromCertificateArn(this, 'Certificate', props.domain.certificateArn) : undefined,
      minimumProtocolVersion: props.domain ? SecurityPolicyProtocol.TLS_V1_2_2021 : undefined,
      // A refused handshake (403 from the authorizer or a missing API key) must not be served to
      // the next client with the same cache key, e.g. one that differs only in x-api-key.
      errorResponses: CACHEABLE_ERRORS.map((httpStatus) => ({ httpStatus, ttl: Duration.seconds(0) })),
      defaultBehavior: {
        origin: new HttpOrigin(`${props.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`, {
          originPath: `/${props.stage}`,
          protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
          originSslProtocols: [OriginSslPolicy.TLS_V1_2],
          customHeaders: props.originHeader ? { [props.originHeader.name]: props.originHeader.value } : undefined,
        }),
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: authorization,
        originRequestPolicy: handshake,
        functionAssociations: [{ function: wsUri, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
    });
    const acknowledge = (id: string, reason: string) => Validations.of(this.distribution).acknowledge({ id, reason });
    acknowledge('AwsSolutions-CFR1', 'The service is not restricted by country; a deployment that must be adds a geo '
      + 'restriction to the distribution.');
    if (!props.webAclArn) {
      acknowledge('AwsSolutions-CFR2', 'WAF is turned off (context waf=false); it would inspect only the WebSocket '
        + 'handshake anyway, and the API stage throttles connections and messages.');
    }
    acknowledge('AwsSolutions-CFR3', 'CloudFront standard logs would record only handshakes; the API stage access log '
      + 'records every connect, message and disconnect (context accessLogs).');
    if (!props.domain) {
      acknowledge('AwsSolutions-CFR4', 'With the default *.cloudfront.net certificate CloudFront does not let the minimum '
        + 'TLS version be chosen; a custom domain (context domainName and certificateArn) gets TLS 1.2 (TLSv1.2_2021).');
    }
  }
}
