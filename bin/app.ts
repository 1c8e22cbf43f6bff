import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PoolAutoscalerStack, readStackSettings, synthErrors } from '../lib/index';

const app = new App();
const settings = readStackSettings((key) => app.node.tryGetContext(key));

new PoolAutoscalerStack(app, settings.stackName, {
  settings,
  description: 'pool-autoscaler: event-driven autoscaler for Huawei Cloud ModelArts resource pools',
  ...(process.env.CDK_DEFAULT_ACCOUNT && process.env.CDK_DEFAULT_REGION
    ? { env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } }
    : {}),
});
Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));

const errors = synthErrors(app.synth());
if (errors.length > 0) {
  for (const error of errors) process.stderr.write(`[error] ${error.path}: ${error.message}\n`);
  process.stderr.write(`${errors.length} unsuppressed error(s): fix them or suppress them with a reason\n`);
  process.exit(1);
}
