import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';

/** Default evaluation period for wsflow alarms. */
export const ALARM_PERIOD = Duration.minutes(5);

/**
 * An alarm that fires when the metric reaches 1 in one period. Every wsflow alarm counts
 * something that should never happen (dead letters, invocation errors, throttles), so no data
 * means all is well.
 */
export function anyOccurrenceAlarm(scope: Construct, id: string, metric: IMetric, description: string): Alarm {
  return new Alarm(scope, id, {
    alarmDescription: description,
    metric,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    threshold: 1,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
}
