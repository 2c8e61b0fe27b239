import { isIPv4 } from 'node:net';
import { Aws, CfnRule, Fn, Stack, StackProps, Token } from 'aws-cdk-lib';
import { CfnIPSet, CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { readConfig } from './config';

/** CloudFront takes web ACLs of scope CLOUDFRONT only, and those exist only in us-east-1. */
export const WEB_ACL_REGION = 'us-east-1';

export interface EdgeWebAclProps {
  /** Requests one IP address may make in 5 minutes. */
  readonly rateLimit: number;
  /** CIDR blocks that may connect; when not empty, all others are blocked. */
  readonly allowIps: readonly string[];
  /** CIDR blocks that are always blocked. */
  readonly denyIps: readonly string[];
}

const visibility = (metricName: string): CfnWebACL.VisibilityConfigProperty => ({
  cloudWatchMetricsEnabled: true,
  metricName,
  sampledRequestsEnabled: true,
});

/**
 * The WAF web ACL of the CloudFront distribution. Rules in order: the deny list (Block), a
 * per-IP rate limit (Block), AWS's known-bad-inputs rule group, then the allow list (Allow).
 * With an allow list the default action is Block, else Allow; allowed addresses are still rate
 * limited and inspected, because the Allow rule comes last. WAF sees the WebSocket handshake
 * only; the stage throttles the messages after it.
 *
 * It must live in us-east-1. In a stack of unknown region (an environment-agnostic template) a
 * template rule makes a deployment elsewhere fail with an explanation.
 */
export class EdgeWebAcl extends Construct {
  readonly acl: CfnWebACL;

  constructor(scope: Construct, id: string, props: EdgeWebAclProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (Token.isUnresolved(stack.region)) {
      new CfnRule(stack, 'WebAclRegion', {
        assertions: [{
          assert: Fn.conditionContains([WEB_ACL_REGION], Aws.REGION),
          assertDescription: `This template contains the WAF web ACL of a CloudFront distribution, which only `
            + `${WEB_ACL_REGION} can hold: deploy it in ${WEB_ACL_REGION}, or synthesize with -c region=<region> `
            + `(the web ACL then goes to a stack of its own in ${WEB_ACL_REGION}), or with -c waf=false.`,
        }],
      });
    } else if (stack.region !== WEB_ACL_REGION) {
      throw new Error(`${this.node.path}: a CloudFront web ACL must be in ${WEB_ACL_REGION}, not ${stack.region}`);
    }

    const ipSets = (name: string, blocks: readonly string[]): CfnIPSet[] =>
      (['IPV4', 'IPV6'] as const).flatMap((version) => {
        const addresses = blocks.filter((b) => isIPv4(b.split('/')[0]) === (version === 'IPV4'));
        return addresses.length === 0 ? [] : [new CfnIPSet(this, `${name}${version}`, {
          scope: 'CLOUDFRONT',
          ipAddressVersion: version,
          addresses,
          description: `wsflow ${name} ${version}`,
        })];
      });
    /** Matches any of the IP sets (WAF wants IPv4 and IPv6 in separate sets; OR needs two or more). */
    const matchAny = (sets: CfnIPSet[]): CfnWebACL.StatementProperty => {
      const statements = sets.map((set) => ({ ipSetReferenceStatement: { arn: set.attrArn } }));
      return statements.length === 1 ? statements[0] : { orStatement: { statements } };
    };

    const rules: Omit<CfnWebACL.RuleProperty, 'priority'>[] = [];
    const denied = ipSets('DenyList', props.denyIps);
    if (denied.length > 0) {
      rules.push({ name: 'DenyList', action: { block: {} }, statement: matchAny(denied), visibilityConfig: visibility('DenyList') });
    }
    rules.push({
      name: 'RateLimit',
      action: { block: {} },
      statement: { rateBasedStatement: { limit: props.rateLimit, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
      visibilityConfig: visibility('RateLimit'),
    });
    rules.push({
      name: 'KnownBadInputs',
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: 'AWSManagedRulesKnownBadInputsRuleSet' } },
      visibilityConfig: visibility('KnownBadInputs'),
    });
    const allowed = ipSets('AllowList', props.allowIps);
    if (allowed.length > 0) {
      rules.push({ name: 'AllowList', action: { allow: {} }, statement: matchAny(allowed), visibilityConfig: visibility('AllowList') });
    }

    this.acl = new CfnWebACL(this, 'Acl', {
      scope: 'CLOUDFRONT',
      description: `${stack.stackName}: WebSocket handshakes through CloudFront`,
      defaultAction: allowed.length > 0 ? { block: {} } : { allow: {} },
      rules: rules.map((rule, priority) => ({ ...rule, priority })),
      visibilityConfig: visibility(`${stack.stackName}-edge`),
    });
  }
}

/**
 * A small stack in us-east-1 that holds only the web ACL, for deployments of the main stack to
 * another region (it reads the ACL's ARN through a cross-region reference).
 */
export class EdgeWebAclStack extends Stack {
  readonly webAcl: EdgeWebAcl;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, { ...props, env: { ...props.env, region: WEB_ACL_REGION }, crossRegionReferences: true });
    const config = readConfig(this.node);
    this.webAcl = new EdgeWebAcl(this, 'WebAcl', {
      rateLimit: config.wafRateLimit,
      allowIps: config.wafAllowIps,
      denyIps: config.wafDenyIps,
    });
  }
}
