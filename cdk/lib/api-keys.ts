import { ApiKey, Period, UsagePlan, WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { Construct } from 'constructs';

export interface ApiKeysProps {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;
  /** Steady-state requests per second per key. */
  readonly rateLimit: number;
  /** Burst per key. */
  readonly burstLimit: number;
  /** Requests per key and day. */
  readonly quotaPerDay: number;
}

/**
 * One API key and the usage plan that binds it to the API's stage with a throttle and a daily
 * quota. The key has no value in the template: API Gateway generates it, and it is read with
 * `aws apigateway get-api-key --api-key <ApiKeyId> --include-value`, never from outputs or logs.
 * The API selects keys by the `x-api-key` header (websocket-gateway.ts).
 */
export class ApiKeys extends Construct {
  readonly key: ApiKey;
  readonly plan: UsagePlan;

  constructor(scope: Construct, id: string, props: ApiKeysProps) {
    super(scope, id);
    this.key = new ApiKey(this, 'Key', { description: 'wsflow client key', enabled: true });
    // The L2 makes the plan depend on the stage and the API (ApiStages names the stage by name).
    this.plan = new UsagePlan(this, 'Plan', {
      description: 'wsflow clients: throttle and daily quota per key',
      apiStages: [{ api: props.api, stage: props.stage }],
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
      quota: { limit: props.quotaPerDay, period: Period.DAY },
    });
    this.plan.addApiKey(this.key);
  }
}
