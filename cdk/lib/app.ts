import { App } from 'aws-cdk-lib';
import { readConfig } from './config';
import { EdgeWebAclStack, WEB_ACL_REGION } from './web-acl';
import { WsflowStack } from './wsflow-stack';

/**
 * The app's stacks. Without context `region` the main stack is environment-agnostic: one
 * template (what `make synth` writes and local mode reads) whose web ACL only deploys in
 * us-east-1, which a template rule checks. With a region, the stack is bound to it (and to the
 * account, if known); outside us-east-1 the web ACL goes to a stack of its own in us-east-1
 * and reaches the distribution through a cross-region reference.
 */
export function buildApp(app: App, account = process.env.CDK_DEFAULT_ACCOUNT): { main: WsflowStack; webAcl?: EdgeWebAclStack } {
  const config = readConfig(app.node);
  const stackName: string = app.node.tryGetContext('stackName') ?? 'wsflow';
  const env = config.region ? { account, region: config.region } : undefined;

  const separateAcl = config.waf && config.region !== '' && config.region !== WEB_ACL_REGION;
  const webAcl = separateAcl ? new EdgeWebAclStack(app, 'WsflowWebAcl', {
    stackName: `${stackName}-web-acl`,
    description: `wsflow: WAF web ACL of the ${stackName} CloudFront distribution`,
    env: { account },
  }) : undefined;
  const main = new WsflowStack(app, 'Wsflow', {
    stackName,
    description: 'wsflow: event-driven workflows behind an API Gateway WebSocket API',
    env,
    crossRegionReferences: separateAcl,
    webAclArn: webAcl?.webAcl.acl.attrArn,
  });
  return { main, webAcl };
}
