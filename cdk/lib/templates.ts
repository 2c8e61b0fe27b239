/**
 * VTL mapping templates of the WebSocket routes. Besides API Gateway, the local gateway renders
 * them (`wsflow dev`), so they stay within its subset: #set, #if/#else, #foreach, $input,
 * $context, $util.escapeJavaScript/urlEncode and String methods.
 */

/**
 * A VTL expression's value escaped for a JSON string. escapeJavaScript also escapes `'` as
 * `\'`, which JSON does not allow, so that one is undone.
 */
const jsonString = (expr: string) => String.raw`$util.escapeJavaScript(${expr}).replaceAll("\\'", "'")`;

/**
 * Credentials a client may present on $connect: the JWT (Authorization header or `token` query
 * parameter) and the API key. The connection record keeps the other headers and parameters, so
 * these are left out of it: a token or key must not sit in a table.
 */
export const CREDENTIAL_HEADERS = ['Authorization', 'x-api-key'];
export const CREDENTIAL_QUERY_PARAMETERS = ['token'];

/**
 * Collects a parameter map (header or querystring) into `$<into>` as the members of a JSON
 * object, without the named parameters (compared ignoring case).
 */
const jsonMembers = (map: string, into: string, without: string[]) => String.raw`#set($${into} = "")
#set($sep = "")
#foreach($name in $input.params().${map}.keySet())
#if(${without.map((n) => `!$name.equalsIgnoreCase("${n}")`).join(' && ')})
#set($key = ${jsonString('$name')})
#set($value = ${jsonString(`$input.params().${map}.get($name)`)})
#set($${into} = "$${into}$sep$q$key$q:$q$value$q")
#set($sep = ",")
#end
#end`;

/**
 * $connect: DynamoDB PutItem of the connection record, kept for 24 hours. With the JWT
 * authorizer the record also holds the principal and the user id the authorizer returned;
 * without one (context auth=none) both are empty and the attributes are left out.
 */
export function connectRequest(table: string): string {
  return String.raw`## The CloudFront function moved the client's path into ws-uri; without CloudFront it is "/".
#set($path = $input.params('ws-uri'))
#if("$!path" == "")#set($path = "/")#end
#set($ttl = $context.requestTimeEpoch / 1000 + 86400)
#set($q = '"')
## Set by the $connect authorizer (context auth=jwt); empty without one.
#set($principalId = "$!context.authorizer.principalId")
## The viewer's "ip:port" as CloudFront saw it; empty without CloudFront.
#set($viewer = "$!input.params('CloudFront-Viewer-Address')")
#set($userId = "$!context.authorizer.userId")
${jsonMembers('header', 'headers', CREDENTIAL_HEADERS)}
${jsonMembers('querystring', 'query', CREDENTIAL_QUERY_PARAMETERS)}
{
  "TableName": "${table}",
  "Item": {
#if($principalId != "")
    "principalId": {"S": "${jsonString('$principalId')}"},
#end
#if($userId != "")
    "userId": {"S": "${jsonString('$userId')}"},
#end
#if($viewer != "")
    "viewerAddress": {"S": "${jsonString('$viewer')}"},
#end
    "connectionId": {"S": "$context.connectionId"},
    "sk": {"S": "conn"},
    "path": {"S": "${jsonString('$path')}"},
    "headers": {"S": "${jsonString('"{$headers}"')}"},
    "query": {"S": "${jsonString('"{$query}"')}"},
    "connectedAt": {"N": "$context.connectedAt"},
    "ttl": {"N": "$ttl"},
    "sourceIp": {"S": "$context.identity.sourceIp"}
  }
}`;
}

/** $disconnect: DynamoDB DeleteItem of the connection record (subscriptions expire or are pruned). */
export function disconnectRequest(table: string): string {
  return String.raw`{
  "TableName": "${table}",
  "Key": {
    "connectionId": {"S": "$context.connectionId"},
    "sk": {"S": "conn"}
  }
}`;
}

const urlEncode = (expr: string) => `$util.urlEncode(${expr})`;

/**
 * enqueue: SQS SendMessage (form-encoded query API) of a job envelope v1. The client chooses
 * only task and data; identity and time come from the connection. Each value is URL-encoded,
 * so `&`, `+` and `%` in client data cannot break the form; the envelope's own punctuation
 * needs no encoding. One line: a line break would become part of the form.
 */
export function enqueueRequest(): string {
  const envelope = [
    '"v":1',
    `"connectionId":"${urlEncode('$context.connectionId')}"`,
    `"requestId":"${urlEncode('$context.requestId')}"`,
    '"receivedAt":$context.requestTimeEpoch',
    `"task":${urlEncode("$input.json('$.task')")}`,
    `"data":${urlEncode("$input.json('$.data')")}`,
    '"source":"route"',
  ].join(',');
  return [
    'Action=SendMessage',
    `MessageGroupId=${urlEncode('$context.connectionId')}`,
    `MessageDeduplicationId=${urlEncode('$context.requestId')}`,
    `MessageBody={${envelope}}`,
  ].join('&');
}

/**
 * sync_sfn and async_sfn: StartSyncExecution / StartExecution. The execution is named after
 * the request (base64 made name-safe), so a retried request does not start a second Standard
 * execution, and the workflow can use its name as the SQS deduplication id.
 */
export function startExecutionRequest(stateMachineArn: string): string {
  return String.raw`#set($name = $context.requestId.replace("=", "").replace("+", "-").replace("/", "_"))
{
  "stateMachineArn": "${stateMachineArn}",
  "name": "$name",
  "input": "{\"connectionId\":\"$context.connectionId\",\"requestId\":\"$context.requestId\",\"receivedAt\":$context.requestTimeEpoch,\"data\":${jsonString("$input.json('$.data')")}}"
}`;
}

/** Reply to enqueue once SQS has accepted the job. */
export const queuedResponse = '{"type":"queued","requestId":"$context.requestId"}';

/** Reply to sync_sfn: the finished Express execution, with its output parsed (not a string). */
export const syncExecutionResponse = String.raw`#set($status = $input.path('$.status'))
{
  "type": "sync_sfn",
  "status": "$status",
  "executionArn": "$input.path('$.executionArn')",
#if($status == "SUCCEEDED")
  "output": $input.path('$.output')
#else
  "error": $input.json('$.error'),
  "cause": $input.json('$.cause')
#end
}`;

/** Reply to async_sfn as soon as the Standard execution has started. */
export const asyncExecutionResponse =
  String.raw`{"type":"async_sfn","executionArn":"$input.path('$.executionArn')","startDate":$input.json('$.startDate')}`;

/** Reply to any two-way route whose service call failed (details are in the access log). */
export function errorResponse(action: string): string {
  return `{"type":"error","action":"${action}","requestId":"$context.requestId"}`;
}
