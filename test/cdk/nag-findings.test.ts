import { App, Aspects, Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, NagSuppressions } from 'cdk-nag';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { synthErrors } from '../../lib/nag-findings';

// The CloudFormation schema check built into synth costs seconds per process and is advisory only;
// `npm run synth` keeps it. Everything asserted here comes from the templates and cdk-nag.
vi.stubEnv('CDK_VALIDATION', 'false');
afterAll(() => {
  vi.unstubAllEnvs();
});

/** A queue without encryption, TLS policy or dead-letter queue: three AwsSolutions errors. */
function appWithBareQueue(suppress: boolean) {
  const app = new App();
  const stack = new Stack(app, 'Bare');
  const queue = new sqs.Queue(stack, 'Bare', { encryption: sqs.QueueEncryption.UNENCRYPTED });
  if (suppress) {
    NagSuppressions.addResourceSuppressions(queue, [
      { id: 'AwsSolutions-SQS2', reason: 'test: encryption deliberately left out of this fixture' },
      { id: 'AwsSolutions-SQS3', reason: 'test: dead-letter queue deliberately left out of this fixture' },
      { id: 'AwsSolutions-SQS4', reason: 'test: TLS policy deliberately left out of this fixture' },
    ]);
  }
  Aspects.of(app).add(new AwsSolutionsChecks());
  return app;
}

describe('synthErrors', () => {
  it('reports every unsuppressed cdk-nag error, so the app can refuse to synthesize', () => {
    const errors = synthErrors(appWithBareQueue(false).synth());
    const rules = errors.map((error) => /AwsSolutions-\w+/.exec(error.message)?.[0]).sort();
    expect(rules).toEqual(['AwsSolutions-SQS2', 'AwsSolutions-SQS3', 'AwsSolutions-SQS4']);
    expect(errors.every((error) => error.stack === 'Bare' && error.path.includes('/Bare/'))).toBe(true);
  });

  it('reports nothing once findings are suppressed with a reason', () => {
    expect(synthErrors(appWithBareQueue(true).synth())).toEqual([]);
  });
});
