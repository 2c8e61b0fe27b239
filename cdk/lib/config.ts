import { isIP } from 'node:net';
import { Node } from 'constructs';

/** The WebSocket API's own route keys (websocket-gateway.ts creates these, plus the HTTP backend's). */
export const ROUTE_KEYS = ['$connect', '$disconnect', '$default', 'enqueue', 'sync_sfn', 'async_sfn'] as const;

/** Stage throttling of one route. */
export interface RouteThrottle {
  /** Steady-state requests per second. */
  readonly rate: number;
  /** Burst capacity (requests). */
  readonly burst: number;
}

/**
 * Deployment settings, read from CDK context (`cdk deploy -c stage=dev -c batchSize=5`).
 * The defaults here are the ones cdk.json lists; a test keeps the two in step. Optional text
 * settings are "" when unset (cdk.json cannot hold `undefined`).
 */
export interface WsflowConfig {
  /** API Gateway stage name; CloudFront's origin path is `/{stage}`. */
  readonly stage: string;
  /** Stage-wide steady-state request rate (requests per second). */
  readonly throttleRate: number;
  /** Stage-wide burst capacity (requests). */
  readonly throttleBurst: number;
  /** Per-route stage throttling, by route key (JSON object; on the command line a JSON string). */
  readonly routeThrottles: Readonly<Record<string, RouteThrottle>>;
  /** SQS messages per worker invocation (FIFO event sources allow at most 10). */
  readonly batchSize: number;
  /** Upper bound of concurrent worker invocations the event source starts. */
  readonly maxConcurrency: number;
  /** Receives before SQS moves a job to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** The state machines' Wait state, in seconds; sync_sfn must answer within API Gateway's 29 s. */
  readonly waitSeconds: number;
  /** Stage access logs; they need API Gateway's account-level CloudWatch role in the region. */
  readonly accessLogs: boolean;
  /** X-Ray tracing of the state machines (billed per trace). */
  readonly tracing: boolean;
  /** Keep tables and queues when the stack is deleted. */
  readonly retainData: boolean;
  /**
   * The region to deploy to; "" synthesizes an environment-agnostic template (what `make synth`
   * and local mode use). A region other than us-east-1 puts the WAF web ACL in a second stack in
   * us-east-1, because CloudFront only takes web ACLs from there.
   */
  readonly region: string;
  /** `jwt`: a Lambda authorizer verifies a JWT on $connect; `none`: the API is open. */
  readonly auth: 'jwt' | 'none';
  /** The `aud` claim tokens must carry. */
  readonly jwtAudience: string;
  /** The `iss` claim tokens must carry; "" accepts any issuer. */
  readonly jwtIssuer: string;
  /** A JWKS URL (https) whose RS256 keys are accepted besides the HS256 secret; "" for none. */
  readonly jwksUrl: string;
  /** API keys: $connect requires an `x-api-key` header that belongs to the usage plan. */
  readonly apiKeys: boolean;
  /** Usage plan steady-state rate per key (requests per second). */
  readonly apiKeyRateLimit: number;
  /** Usage plan burst per key (requests). */
  readonly apiKeyBurstLimit: number;
  /** Usage plan quota per key and day (requests). */
  readonly apiKeyQuota: number;
  /**
   * CloudFront in front of the API (any path, WAF); with the JWT authorizer, handshakes must then
   * come through it. false: clients use the execute-api endpoint, no distribution, no WAF.
   */
  readonly edge: boolean;
  /** A WAF web ACL in front of CloudFront; always false without the edge (nothing to attach it to). */
  readonly waf: boolean;
  /** Requests one IP address may make in 5 minutes before WAF blocks it. */
  readonly wafRateLimit: number;
  /** CIDR blocks that may connect; when not empty, every other address is blocked. */
  readonly wafAllowIps: readonly string[];
  /** CIDR blocks that are always blocked. */
  readonly wafDenyIps: readonly string[];
  /** Custom domain of the distribution ("" for the *.cloudfront.net name); needs certificateArn. */
  readonly domainName: string;
  /** ACM certificate (in us-east-1) for domainName. */
  readonly certificateArn: string;
  /**
   * The HTTP backend route's target, `http(s)://host[:port][/path]`; "" for no such route. It
   * becomes a stage variable, whose values API Gateway limits to letters, digits and -._~:/?#&=,
   */
  readonly backendUrl: string;
  /** The HTTP backend route's key (the messages' `action`). */
  readonly backendRoute: string;
  /** A Network Load Balancer the backend sits behind: the route then goes through a VPC link. */
  readonly backendNlbArn: string;
}

export const DEFAULTS: WsflowConfig = {
  stage: 'api',
  throttleRate: 100,
  throttleBurst: 50,
  routeThrottles: { sync_sfn: { rate: 20, burst: 10 } },
  batchSize: 10,
  maxConcurrency: 5,
  maxReceiveCount: 5,
  waitSeconds: 3,
  accessLogs: true,
  tracing: false,
  retainData: false,
  region: '',
  auth: 'jwt',
  jwtAudience: 'wsflow',
  jwtIssuer: '',
  jwksUrl: '',
  apiKeys: false,
  apiKeyRateLimit: 50,
  apiKeyBurstLimit: 25,
  apiKeyQuota: 100_000,
  edge: true,
  waf: true,
  wafRateLimit: 2000,
  wafAllowIps: [],
  wafDenyIps: [],
  domainName: '',
  certificateArn: '',
  backendUrl: '',
  backendRoute: 'sendmessage',
  backendNlbArn: '',
};

type Key = keyof WsflowConfig;

function fail(key: string, expected: string, got: unknown): never {
  throw new Error(`context ${key}: expected ${expected}, got ${JSON.stringify(got)}`);
}

/** A JSON value from context: cdk.json gives objects and lists, `-c key=value` gives strings. */
function structured(key: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return fail(key, 'JSON', value);
  }
}

function routeThrottles(value: unknown, routeKeys: readonly string[]): Record<string, RouteThrottle> {
  const key = 'routeThrottles';
  const parsed = structured(key, value);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return fail(key, 'an object {"<route key>": {"rate": n, "burst": n}}', parsed);
  }
  const result: Record<string, RouteThrottle> = {};
  for (const [route, settings] of Object.entries(parsed)) {
    if (!routeKeys.includes(route)) {
      throw new Error(`context ${key}: unknown route key ${JSON.stringify(route)}; the routes are ${routeKeys.join(', ')}`);
    }
    const names = typeof settings === 'object' && settings !== null ? Object.keys(settings).sort().join(',') : '';
    if (names !== 'burst,rate') fail(`${key}.${route}`, '{"rate": n, "burst": n}', settings);
    const { rate, burst } = settings as { rate: unknown; burst: unknown };
    if (typeof rate !== 'number' || !(rate > 0) || rate > 10_000) fail(`${key}.${route}.rate`, 'a positive number up to 10000', rate);
    if (!Number.isInteger(burst) || (burst as number) < 1 || (burst as number) > 5_000) {
      fail(`${key}.${route}.burst`, 'a positive integer up to 5000', burst);
    }
    result[route] = { rate: rate as number, burst: burst as number };
  }
  return result;
}

/** A list of CIDR blocks: a JSON list, or on the command line `a/n,b/n`. */
function cidrList(key: string, value: unknown): string[] {
  const list = typeof value === 'string' && !value.trim().startsWith('[')
    ? value.split(',').map((s) => s.trim()).filter((s) => s !== '')
    : structured(key, value);
  if (!Array.isArray(list)) return fail(key, 'a list of CIDR blocks', list);
  return list.map((block) => {
    const match = typeof block === 'string' ? /^([^/]+)\/(\d{1,3})$/.exec(block) : null;
    const version = match ? isIP(match[1]) : 0;
    const bits = Number(match?.[2]);
    // WAF takes every prefix length except /0.
    if (version === 0 || bits < 1 || bits > (version === 4 ? 32 : 128)) {
      fail(key, 'CIDR blocks such as 203.0.113.0/24 or 2001:db8::/32 (one address: /32 or /128)', block);
    }
    return block as string;
  });
}

/** Reads every setting from context, falling back to DEFAULTS; rejects values AWS would reject. */
export function readConfig(node: Node): WsflowConfig {
  const raw = (key: Key): unknown => node.tryGetContext(key) ?? DEFAULTS[key];
  const int = (key: Key, min: number, max: number): number => {
    const value = Number(raw(key));
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`context ${key}: expected an integer in ${min}..${max}, got ${JSON.stringify(raw(key))}`);
    }
    return value;
  };
  const positive = (key: Key, max: number): number => {
    const value = Number(raw(key));
    if (!(value > 0) || value > max) fail(key, `a positive number up to ${max}`, raw(key));
    return value;
  };
  const bool = (key: Key): boolean => {
    const value = String(raw(key));
    if (value !== 'true' && value !== 'false') {
      throw new Error(`context ${key}: expected true or false, got ${JSON.stringify(raw(key))}`);
    }
    return value === 'true';
  };
  const text = (key: Key, pattern: RegExp, expected: string): string => {
    const value = String(raw(key));
    if (value !== '' && !pattern.test(value)) fail(key, expected, value);
    return value;
  };

  const stage = String(raw('stage'));
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(stage) || stage === '$default') {
    throw new Error(`context stage: expected letters, digits, - or _, got ${JSON.stringify(stage)}`);
  }
  const auth = String(raw('auth'));
  if (auth !== 'jwt' && auth !== 'none') fail('auth', 'jwt or none', auth);
  const jwtAudience = String(raw('jwtAudience'));
  if (!/^\S{1,256}$/.test(jwtAudience)) fail('jwtAudience', 'a non-empty audience without spaces', jwtAudience);

  const domainName = text('domainName', /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    'a lower-case host name such as ws.example.com');
  const certificateArn = text('certificateArn', /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/,
    'an ACM certificate ARN (arn:aws:acm:us-east-1:<account>:certificate/<id>)');
  const certificateRegion = certificateArn.split(':')[3];
  if (certificateArn !== '' && certificateRegion !== 'us-east-1') {
    throw new Error(`context certificateArn: CloudFront only uses ACM certificates from us-east-1; this one is in ${certificateRegion}`);
  }
  if ((domainName === '') !== (certificateArn === '')) {
    throw new Error('context domainName and certificateArn: give both (a custom domain needs its certificate) or neither');
  }
  const backend = backendSettings(text);
  const edge = bool('edge');
  if (!edge && domainName !== '') {
    throw new Error('context domainName: the custom domain is the CloudFront distribution\'s; it needs edge=true');
  }

  return {
    stage,
    throttleRate: int('throttleRate', 1, 10_000),
    throttleBurst: int('throttleBurst', 0, 5_000),
    routeThrottles: routeThrottles(raw('routeThrottles'), backend.backendUrl ? [...ROUTE_KEYS, backend.backendRoute] : ROUTE_KEYS),
    batchSize: int('batchSize', 1, 10),
    maxConcurrency: int('maxConcurrency', 2, 1_000),
    maxReceiveCount: int('maxReceiveCount', 1, 1_000),
    waitSeconds: int('waitSeconds', 0, 25),
    accessLogs: bool('accessLogs'),
    tracing: bool('tracing'),
    retainData: bool('retainData'),
    region: text('region', /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'a region name such as eu-west-1, or "" (any region)'),
    auth,
    jwtAudience,
    jwtIssuer: text('jwtIssuer', /^\S{1,1024}$/, 'an issuer without spaces'),
    jwksUrl: text('jwksUrl', /^https:\/\/[^\s/]+(\/\S*)?$/, 'an https:// URL'),
    apiKeys: bool('apiKeys'),
    apiKeyRateLimit: positive('apiKeyRateLimit', 10_000),
    apiKeyBurstLimit: int('apiKeyBurstLimit', 1, 5_000),
    apiKeyQuota: int('apiKeyQuota', 1, 1_000_000_000),
    edge,
    waf: edge && bool('waf'),
    // WAF's bounds for a rate-based rule over a 5-minute window.
    wafRateLimit: int('wafRateLimit', 10, 2_000_000_000),
    wafAllowIps: cidrList('wafAllowIps', raw('wafAllowIps')),
    wafDenyIps: cidrList('wafDenyIps', raw('wafDenyIps')),
    domainName,
    certificateArn,
    ...backend,
  };
}

type Text = (key: Key, pattern: RegExp, expected: string) => string;

/** backendUrl, backendRoute and backendNlbArn, checked against each other and against API Gateway's limits. */
function backendSettings(text: Text): Pick<WsflowConfig, 'backendUrl' | 'backendRoute' | 'backendNlbArn'> {
  const backendUrl = text('backendUrl', /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?([/?#][A-Za-z0-9._~:/?#&=,-]*)?$/,
    'an http(s) URL of letters, digits and -._~:/?#&=, (what a stage variable may hold), such as http://backend.example.internal:8080/messages');
  const backendRoute = text('backendRoute', /^[A-Za-z0-9_.-]{1,128}$/, 'a route key of letters, digits, _ . or -');
  if ((ROUTE_KEYS as readonly string[]).includes(backendRoute) || backendRoute === '') {
    fail('backendRoute', `a route key other than ${ROUTE_KEYS.join(', ')}`, backendRoute);
  }
  const backendNlbArn = text('backendNlbArn', /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer\/net\/[A-Za-z0-9-]+\/[0-9a-f]+$/,
    'a Network Load Balancer ARN (…:loadbalancer/net/<name>/<id>); WebSocket APIs reach VPCs through NLBs only');
  if (backendNlbArn !== '' && backendUrl === '') {
    throw new Error('context backendNlbArn: the VPC link serves the HTTP backend route; set backendUrl too');
  }
  return { backendUrl, backendRoute, backendNlbArn };
}
