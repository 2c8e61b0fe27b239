import { CfnDynamicReference, CfnDynamicReferenceService, SecretValue, Stack, Validations } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/**
 * The origin custom header CloudFront adds to every request it sends to the API. CloudFront may
 * add any header but a short deny list (Cache-Control, Host, Upgrade, X-Amz-*, X-Edge-*, …), and
 * overwrites a header of the same name that a viewer sent ("Add custom headers to origin
 * requests", CloudFront developer guide), so a client cannot pass its own value through it.
 */
export const ORIGIN_HEADER = 'X-Origin-Verify';

/**
 * The origin secret: a random value only CloudFront and the $connect authorizer know, proof that
 * a handshake came through the distribution (and so past its WAF web ACL, IP lists and rate rule,
 * and its viewer-request function, which sets ws-uri) rather than to the execute-api endpoint
 * directly.
 */
export class OriginVerification extends Construct {
  readonly secret: Secret;
  /**
   * The header's value in the template: a CloudFormation dynamic reference, which CloudFormation
   * resolves at deploy time without storing or logging it. Secrets Manager dynamic references
   * work in any resource property ("Get a secret or secret value from Secrets Manager",
   * CloudFormation user guide), but the value is then part of the distribution's configuration.
   */
  readonly headerValue: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    // Letters and digits only: a header value needs no escaping.
    this.secret = new Secret(this, 'Secret', {
      secretName: `${stack.stackName}/origin-verify`,
      description: `wsflow: the ${ORIGIN_HEADER} value CloudFront sends; the $connect authorizer refuses handshakes without it`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'CloudFront reads the value only when CloudFormation updates the distribution (a changed secret does '
        + 'not update a dynamic reference by itself), and running authorizers keep the value they read: a rotation '
        + 'is a put-secret-value followed by a stack update that changes the distribution, and handshakes fail '
        + 'with 401 until CloudFront and every authorizer hold the same value.',
    });
    this.headerValue = SecretValue.cfnDynamicReference(
      new CfnDynamicReference(CfnDynamicReferenceService.SECRETS_MANAGER, `${this.secret.secretArn}:SecretString`),
    ).unsafeUnwrap();
  }
}
