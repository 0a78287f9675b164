/**
 * The circuit breaker: the sweep handler on an EventBridge schedule, once a minute. Runs never
 * pile up (a missed run is simply the next minute's) and a sweep is idempotent, so the target is
 * given no retries and a short event age.
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { WardenFunction } from './warden-function.js';
import type { HandlerEntry } from '../paths.js';

export interface CircuitBreakerProps {
  handler: HandlerEntry;
  environment: Record<string, string>;
  logRetention: logs.RetentionDays;
  interval?: Duration;
}

export class CircuitBreaker extends Construct {
  readonly handler: WardenFunction;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: CircuitBreakerProps) {
    super(scope, id);
    this.handler = new WardenFunction(this, 'Handler', {
      source: props.handler,
      description: 'Circuit breaker: blacklists workflows stuck too often; reports fleet health',
      environment: props.environment,
      logRetention: props.logRetention,
      timeout: Duration.seconds(50),
      memorySize: 512,
    });
    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'Runs the circuit-breaker sweep',
      schedule: events.Schedule.rate(props.interval ?? Duration.minutes(1)),
      targets: [
        new targets.LambdaFunction(this.handler.fn, {
          retryAttempts: 0,
          maxEventAge: Duration.minutes(1),
        }),
      ],
    });
  }
}
