import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

/** The runtime every autoscaler function runs on. */
export const AUTOSCALER_RUNTIME = lambda.Runtime.NODEJS_22_X;

/**
 * ESM bundles still meet CommonJS dependencies that call `require` for Node built-ins; esbuild leaves those
 * calls in place, so the bundle defines `require` itself.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __autoscalerCreateRequire } from 'node:module'; const require = __autoscalerCreateRequire(import.meta.url);";

export interface AutoscalerFunctionProps {
  /** Path of the TypeScript handler module; it must export `handler`. */
  readonly entry: string;
  /** What the function does, shown in the Lambda console. */
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly environment: Record<string, string>;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** Directory holding `package-lock.json` and `node_modules` used for bundling. */
  readonly projectRoot?: string;
}

/**
 * One autoscaler Lambda: a `NodejsFunction` bundled locally by esbuild (never Docker), its own log group with
 * retention, and its own role that carries no managed policy: it may only write to its own log group, and every
 * other permission is added explicitly by the autoscaler construct.
 */
export class AutoscalerFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: AutoscalerFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (execution role)`,
    });
    // Instead of AWSLambdaBasicExecutionRole (logs:* on every log group): write to this function's group only.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: AUTOSCALER_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      ...(props.projectRoot !== undefined ? { projectRoot: props.projectRoot } : {}),
      bundling: {
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        target: 'node22',
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        // Ship the SDK version the code was tested with instead of whatever the runtime carries.
        bundleAwsSDK: true,
        forceDockerBundling: false,
      },
    });
    // The log group exists before the function so Lambda never creates an unmanaged one without retention.
    this.function.node.addDependency(this.logGroup);
    NagSuppressions.addResourceSuppressions(this.function, [
      {
        id: 'AwsSolutions-L1',
        reason:
          'Pinned to nodejs22.x on purpose: the handlers, their bundles and their tests target Node 22; a runtime ' +
          'upgrade is a deliberate change made with its own test run.',
      },
    ]);
  }
}
