import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  PoolAutoscalerStack,
  readStackSettings,
  StackSettingsError,
  synthErrors,
  type StackSettings,
} from '../lib/index';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

const app = new App();
let settings: StackSettings;
try {
  settings = readStackSettings((key) => app.node.tryGetContext(key));
} catch (error) {
  if (error instanceof StackSettingsError) fail(error.message);
  throw error;
}

new PoolAutoscalerStack(app, settings.stackName, {
  settings,
  description: 'pool-autoscaler: event-driven autoscaler for Huawei Cloud ModelArts resource pools',
  ...(process.env.CDK_DEFAULT_ACCOUNT && process.env.CDK_DEFAULT_REGION
    ? { env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } }
    : {}),
});
Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));

// cdk-nag reports findings as error annotations; a finding nobody suppressed with a reason stops the synth.
const errors = synthErrors(app.synth());
if (errors.length > 0) {
  for (const error of errors) process.stderr.write(`[error] ${error.path}: ${error.message}\n`);
  fail(`${errors.length} unsuppressed error(s): fix them, or suppress them with a reason`);
}
