import { resolve } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { RustFunction } from 'cargo-lambda-cdk';
import { Construct } from 'constructs';

/** The Rust workspace manifest, relative to the repository root (recorded in metadata). */
export const CARGO_MANIFEST = 'Cargo.toml';
const REPO_ROOT = resolve(__dirname, '..', '..');

export interface RustLambdaProps {
  /** The workspace binary to build and deploy (`cargo lambda build --bin`). */
  readonly binary: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly environment?: Record<string, string>;
}

/**
 * A Lambda function built from a binary of the Rust workspace by `cargo lambda build --arm64`.
 * It gets its own role that may only write to its own log group (instead of the managed
 * AWSLambdaBasicExecutionRole), and metadata naming its binary so that local tools can map a
 * function in the synthesized template back to the cargo binary that implements it.
 */
export class RustLambda extends Construct {
  readonly function: RustFunction;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: RustLambdaProps) {
    super(scope, id);
    const logGroup = new LogGroup(this, 'Logs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.binary} Lambda function`,
    });
    logGroup.grantWrite(this.role);

    this.function = new RustFunction(this, 'Function', {
      manifestPath: resolve(REPO_ROOT, CARGO_MANIFEST),
      binaryName: props.binary,
      architecture: Architecture.ARM_64,
      description: props.description,
      timeout: props.timeout,
      memorySize: props.memorySize,
      environment: props.environment,
      role: this.role,
      logGroup,
    });
    const cfnFunction = this.function.node.defaultChild as CfnFunction;
    cfnFunction.addMetadata('wsflow:binary', props.binary);
    cfnFunction.addMetadata('wsflow:manifest', CARGO_MANIFEST);
  }
}
