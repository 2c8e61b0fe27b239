import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logicalId, onlyResource, resourcesOfType, synth, target } from './fixture';

const { template } = synth();
const routes = Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Route'));
const routeNamed = (t: typeof template, key: string) =>
  Object.values(resourcesOfType(t, 'AWS::ApiGatewayV2::Route')).find((r) => r.Properties.RouteKey === key)!.Properties;
const authorizerFunctionId = logicalId(template, 'AWS::Lambda::Function', 'AuthorizerFunction');
const secretId = logicalId(template, 'AWS::SecretsManager::Secret', 'AuthorizerSigningKey');
const originSecretId = logicalId(template, 'AWS::SecretsManager::Secret', 'AuthorizerOriginVerify');
const edgeless = synth('edgeless').template;
const variables = (t: typeof template) => resourcesOfType(t, 'AWS::Lambda::Function')[logicalId(t, 'AWS::Lambda::Function', 'AuthorizerFunction')]
  .Properties.Environment.Variables;

/** An Fn::Join of strings and references, rendered as `${AWS::Region}` / `${Id.Arn}`. */
function joined(value: any): string {
  if (typeof value === 'string') return value;
  return value['Fn::Join'][1].map((part: any) => (typeof part === 'string' ? part : `\${${part.Ref ?? part['Fn::GetAtt'].join('.')}}`)).join('');
}

test('the authorizer is a REQUEST authorizer that calls the authorizer function', () => {
  const authorizer = onlyResource(template, 'AWS::ApiGatewayV2::Authorizer').Properties;
  assert.equal(target(authorizer.ApiId), logicalId(template, 'AWS::ApiGatewayV2::Api', 'GatewayApi'));
  assert.equal(authorizer.AuthorizerType, 'REQUEST');
  assert.equal(authorizer.Name, 'wsflow-jwt');
  assert.equal(joined(authorizer.AuthorizerUri),
    `arn:\${AWS::Partition}:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${${authorizerFunctionId}.Arn}/invocations`);
});

test('identity sources behind CloudFront: Sec-WebSocket-Key (the function finds the token) and the origin header', () => {
  // API Gateway requires every identity source: a handshake without X-Origin-Verify gets 401
  // before the function runs.
  const authorizer = onlyResource(template, 'AWS::ApiGatewayV2::Authorizer').Properties;
  assert.deepEqual(authorizer.IdentitySource, ['route.request.header.Sec-WebSocket-Key', 'route.request.header.X-Origin-Verify']);
});

test('without the edge: Sec-WebSocket-Key only, present on every handshake, so the function decides (header or ?token=)', () => {
  const authorizer = onlyResource(edgeless, 'AWS::ApiGatewayV2::Authorizer').Properties;
  assert.deepEqual(authorizer.IdentitySource, ['route.request.header.Sec-WebSocket-Key']);
});

test('the authorizer protects $connect and only $connect', () => {
  const authorizerId = logicalId(template, 'AWS::ApiGatewayV2::Authorizer', 'GatewayApiJwtAuthorizer');
  for (const route of routes) {
    const p = route.Properties;
    if (p.RouteKey === '$connect') {
      assert.equal(p.AuthorizationType, 'CUSTOM');
      assert.equal(target(p.AuthorizerId), authorizerId);
    } else {
      assert.equal(p.AuthorizationType, 'NONE', p.RouteKey);
      assert.equal(p.AuthorizerId, undefined, p.RouteKey);
    }
  }
});

test('API Gateway may invoke the authorizer function, from this API\'s authorizer only', () => {
  const permissions = Object.values(resourcesOfType(template, 'AWS::Lambda::Permission'))
    .filter((p) => target(p.Properties.FunctionName) === authorizerFunctionId);
  assert.equal(permissions.length, 1);
  const p = permissions[0].Properties;
  assert.equal(p.Action, 'lambda:InvokeFunction');
  assert.equal(p.Principal, 'apigateway.amazonaws.com');
  assert.equal(joined(p.SourceArn), `arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${${logicalId(template, 'AWS::ApiGatewayV2::Api', 'GatewayApi')}}/authorizers/\${${logicalId(template, 'AWS::ApiGatewayV2::Authorizer', 'GatewayApiJwtAuthorizer')}}`);
});

test('the authorizer function is the arm64 `authorizer` binary with its settings in the environment', () => {
  const fn = resourcesOfType(template, 'AWS::Lambda::Function')[authorizerFunctionId];
  assert.equal(fn.Metadata?.['wsflow:binary'], 'authorizer');
  assert.deepEqual(fn.Properties.Architectures, ['arm64']);
  assert.deepEqual(fn.Properties.Environment.Variables,
    { JWT_SECRET_ID: { Ref: secretId }, JWT_AUDIENCE: 'wsflow', ORIGIN_SECRET_ID: { Ref: originSecretId } });
});

test('without the edge the function gets no ORIGIN_SECRET_ID and there is no origin secret', () => {
  assert.deepEqual(Object.keys(variables(edgeless)).sort(), ['JWT_AUDIENCE', 'JWT_SECRET_ID']);
  assert.deepEqual(Object.keys(resourcesOfType(edgeless, 'AWS::SecretsManager::Secret')), [logicalId(edgeless, 'AWS::SecretsManager::Secret', 'AuthorizerSigningKey')]);
});

test('issuer and JWKS URL reach the function when set in context', () => {
  const secure = synth('secure').template;
  assert.deepEqual(variables(secure), {
    JWT_SECRET_ID: { Ref: logicalId(secure, 'AWS::SecretsManager::Secret', 'AuthorizerSigningKey') },
    JWT_AUDIENCE: 'clients',
    JWT_ISSUER: 'https://issuer.example.com/',
    JWKS_URL: 'https://issuer.example.com/.well-known/jwks.json',
    ORIGIN_SECRET_ID: { Ref: logicalId(secure, 'AWS::SecretsManager::Secret', 'AuthorizerOriginVerify') },
  });
});

test('the signing key is a generated 64-character secret named <stack>/jwt-signing-key, no JSON template', () => {
  const secret = resourcesOfType(template, 'AWS::SecretsManager::Secret')[secretId].Properties;
  assert.deepEqual(secret, {
    Name: 'wsflow/jwt-signing-key',
    Description: 'wsflow: HS256 key that signs and verifies client tokens',
    GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
  });
});

test('the origin secret is a generated 64-character string of letters and digits named <stack>/origin-verify', () => {
  const secret = resourcesOfType(template, 'AWS::SecretsManager::Secret')[originSecretId].Properties;
  assert.deepEqual(secret, {
    Name: 'wsflow/origin-verify',
    Description: 'wsflow: the X-Origin-Verify value CloudFront sends; the $connect authorizer refuses handshakes without it',
    GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
  });
});

test('$connect stores principalId and userId from the authorizer, only when they are set', () => {
  const integrations = resourcesOfType(template, 'AWS::ApiGatewayV2::Integration');
  const connect = routeNamed(template, '$connect');
  const vtl = joined(integrations[target(connect.Target['Fn::Join'][1][1])].Properties.RequestTemplates.$default);
  for (const fragment of [
    '#set($principalId = "$!context.authorizer.principalId")',
    '#set($userId = "$!context.authorizer.userId")',
    '#if($principalId != "")\n    "principalId": {"S": "$util.escapeJavaScript($principalId).replaceAll("\\\\\'", "\'")"},\n#end',
    '#if($userId != "")\n    "userId": {"S": "$util.escapeJavaScript($userId).replaceAll("\\\\\'", "\'")"},\n#end',
  ]) assert.ok(vtl.includes(fragment), `missing ${fragment}\n${vtl}`);
});

test('auth=none: no authorizer, secret or authorizer function; $connect is open', () => {
  const open = synth('custom').template;
  for (const type of ['AWS::ApiGatewayV2::Authorizer', 'AWS::SecretsManager::Secret']) {
    assert.deepEqual(Object.keys(resourcesOfType(open, type)), [], type);
  }
  const binaries = Object.values(resourcesOfType(open, 'AWS::Lambda::Function')).map((f) => f.Metadata?.['wsflow:binary']);
  assert.ok(!binaries.includes('authorizer'));
  const connect = routeNamed(open, '$connect');
  assert.equal(connect.AuthorizationType, 'NONE');
  assert.equal(connect.AuthorizerId, undefined);
});

test('the connection record keeps no credentials: Authorization, x-api-key and ?token= are left out', () => {
  const integrations = resourcesOfType(template, 'AWS::ApiGatewayV2::Integration');
  const connect = routeNamed(template, '$connect');
  const vtl = joined(integrations[target(connect.Target['Fn::Join'][1][1])].Properties.RequestTemplates.$default);
  assert.ok(vtl.includes('#foreach($name in $input.params().header.keySet())\n'
    + '#if(!$name.equalsIgnoreCase("Authorization") && !$name.equalsIgnoreCase("x-api-key"))\n'), vtl);
  assert.ok(vtl.includes('#foreach($name in $input.params().querystring.keySet())\n#if(!$name.equalsIgnoreCase("token"))\n'), vtl);
});
