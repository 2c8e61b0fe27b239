import { Node } from 'constructs';

/**
 * Deployment settings, read from CDK context (`cdk deploy -c stage=dev -c batchSize=5`).
 * The defaults here are the ones cdk.json lists; a test keeps the two in step.
 */
export interface WsflowConfig {
  /** API Gateway stage name; CloudFront's origin path is `/{stage}`. */
  readonly stage: string;
  /** Stage-wide steady-state request rate (requests per second). */
  readonly throttleRate: number;
  /** Stage-wide burst capacity (requests). */
  readonly throttleBurst: number;
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
  /** Keep tables and queues when the stack is deleted. */
  readonly retainData: boolean;
}

export const DEFAULTS: WsflowConfig = {
  stage: 'api',
  throttleRate: 100,
  throttleBurst: 50,
  batchSize: 10,
  maxConcurrency: 5,
  maxReceiveCount: 3,
  waitSeconds: 3,
  accessLogs: true,
  retainData: false,
};

/** Reads every setting from context, falling back to DEFAULTS; rejects values AWS would reject. */
export function readConfig(node: Node): WsflowConfig {
  const raw = (key: keyof WsflowConfig): unknown => node.tryGetContext(key) ?? DEFAULTS[key];
  const int = (key: keyof WsflowConfig, min: number, max: number): number => {
    const value = Number(raw(key));
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`context ${key}: expected an integer in ${min}..${max}, got ${JSON.stringify(raw(key))}`);
    }
    return value;
  };
  const bool = (key: keyof WsflowConfig): boolean => {
    const value = String(raw(key));
    if (value !== 'true' && value !== 'false') {
      throw new Error(`context ${key}: expected true or false, got ${JSON.stringify(raw(key))}`);
    }
    return value === 'true';
  };

  const stage = String(raw('stage'));
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(stage) || stage === '$default') {
    throw new Error(`context stage: expected letters, digits, - or _, got ${JSON.stringify(stage)}`);
  }
  return {
    stage,
    throttleRate: int('throttleRate', 1, 10_000),
    throttleBurst: int('throttleBurst', 0, 5_000),
    batchSize: int('batchSize', 1, 10),
    maxConcurrency: int('maxConcurrency', 2, 1_000),
    maxReceiveCount: int('maxReceiveCount', 1, 1_000),
    waitSeconds: int('waitSeconds', 0, 25),
    accessLogs: bool('accessLogs'),
    retainData: bool('retainData'),
  };
}
