import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ORIGIN_HEADER, OriginVerification } from './origin-verify';
import { RustLambda } from './rust-lambda';

export interface JwtAuthorizerProps {
  /** The `aud` claim tokens must carry. */
  readonly audience: string;
  /** The `iss` claim tokens must carry; "" accepts any. */
  readonly issuer: string;
  /** JWKS URL whose RS256 keys are accepted too; "" for HS256 only. */
  readonly jwksUrl: string;
  /** Clients come through CloudFront: handshakes must carry its origin secret (origin-verify.ts). */
  readonly verifyOrigin: boolean;
}

/**
 * Identity source of the $connect authorizer. Clients send their token either as
 * `Authorization: Bearer …` or, from browsers (which cannot set WebSocket headers), as the
 * `token` query parameter. API Gateway answers 401 without calling the authorizer when any
 * listed identity source is missing, so listing both would require both. Sec-WebSocket-Key is
 * part of every WebSocket handshake (RFC 6455), so this check always passes and the function
 * decides. (CloudFront forwards the header: see edge.ts.)
 */
export const IDENTITY_SOURCE = ['route.request.header.Sec-WebSocket-Key'];

/**
 * The identity source added behind CloudFront. Because identity sources are all required, API
 * Gateway itself answers 401 to a handshake without CloudFront's origin header, before the
 * function runs (and is billed); the function then compares the value.
 */
export const ORIGIN_IDENTITY_SOURCE = `route.request.header.${ORIGIN_HEADER}`;

/**
 * The $connect authorizer: a Rust function that verifies the client's JWT (HS256 with the key in
 * a Secrets Manager secret, or RS256 from a JWKS when configured) and returns the principal and
 * a `userId` context value, which the $connect template stores with the connection. Behind
 * CloudFront it first checks the origin secret, so that no client can skip the edge.
 */
export class JwtAuthorizer extends Construct {
  readonly secret: Secret;
  /** The origin secret CloudFront must send (props.verifyOrigin). */
  readonly origin?: OriginVerification;
  readonly handler: RustLambda;
  readonly authorizer: WebSocketLambdaAuthorizer;

  constructor(scope: Construct, id: string, props: JwtAuthorizerProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // The raw HS256 key (no JSON template): the secret string is the key.
    this.secret = new Secret(this, 'SigningKey', {
      secretName: `${stack.stackName}/jwt-signing-key`,
      description: 'wsflow: HS256 key that signs and verifies client tokens',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Rotating an HS256 signing key invalidates every token signed with it, so it is rotated by hand, when '
        + 'the token issuer is ready: aws secretsmanager put-secret-value with a new random 64-character key, then '
        + 'issue new tokens; tokens signed with the old key are refused from then on.',
    });

    this.origin = props.verifyOrigin ? new OriginVerification(this, 'OriginVerify') : undefined;

    this.handler = new RustLambda(this, 'Function', {
      binary: 'authorizer',
      description: 'wsflow $connect authorizer: verifies the client JWT',
      timeout: Duration.seconds(10),
      memorySize: 128,
      environment: {
        JWT_SECRET_ID: this.secret.secretArn,
        JWT_AUDIENCE: props.audience,
        ...(props.issuer ? { JWT_ISSUER: props.issuer } : {}),
        ...(props.jwksUrl ? { JWKS_URL: props.jwksUrl } : {}),
        ...(this.origin ? { ORIGIN_SECRET_ID: this.origin.secret.secretArn } : {}),
      },
    });
    this.allowReading(this.secret);
    if (this.origin) this.allowReading(this.origin.secret);

    this.authorizer = new WebSocketLambdaAuthorizer('JwtAuthorizer', this.handler.function, {
      authorizerName: `${stack.stackName}-jwt`,
      identitySource: this.origin ? [...IDENTITY_SOURCE, ORIGIN_IDENTITY_SOURCE] : IDENTITY_SOURCE,
    });
  }

  /** Reading a secret's value is all the function does with it (grantRead would add DescribeSecret). */
  private allowReading(secret: ISecret): void {
    this.handler.function.addToRolePolicy(new PolicyStatement({
      actions: ['secretsmanager:GetSecretValue'],
      resources: [secret.secretArn],
    }));
  }
}
