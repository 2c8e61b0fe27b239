import { Stack, Token, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';

/**
 * execute-api:ManageConnections on POST @connections/* of one API stage: what replying to a
 * client (PostToConnection) takes, and nothing else. The connection id is known only at run
 * time, so the wildcard stays; cdk-nag's finding on it is acknowledged on `holder`, the role or
 * managed policy the statement goes to.
 */
export function replyStatement(holder: IConstruct, apiId: string, stage: string): PolicyStatement {
  const stack = Stack.of(holder);
  const connectionsPath = `${stage}/POST/@connections/*`;
  // cdk-nag names this finding after the ARN, with references shown as <LogicalId> (and the
  // region and account as they are: pseudo parameters, or literals in a stack bound to them).
  const apiLogicalId: string = stack.resolve(apiId).Ref;
  const shown = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<${pseudo}>` : value);
  const arn = `arn:${shown(stack.partition, 'AWS::Partition')}:execute-api:${shown(stack.region, 'AWS::Region')}`
    + `:${shown(stack.account, 'AWS::AccountId')}:<${apiLogicalId}>/${connectionsPath}`;
  Validations.of(holder).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${arn}]`,
    reason: 'The connection a reply goes to is known only at run time; the wildcard covers just the connection id, '
      + 'on POST to this API stage\'s @connections.',
  });
  return new PolicyStatement({
    actions: ['execute-api:ManageConnections'],
    resources: [stack.formatArn({ service: 'execute-api', resource: apiId, resourceName: connectionsPath })],
  });
}
