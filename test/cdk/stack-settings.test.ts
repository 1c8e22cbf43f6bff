import { describe, expect, it } from 'vitest';
import { environmentVariableOf, readStackSettings, StackSettingsError } from '../../lib/stack-settings';

const noContext = () => undefined;
const contextOf = (values: Record<string, unknown>) => (key: string) => values[key];

describe('readStackSettings', () => {
  it('gives safe defaults when nothing is set', () => {
    const settings = readStackSettings(noContext, {});
    expect(settings).toEqual({
      stackName: 'PoolAutoscaler',
      removalPolicy: 'retain',
      deletionProtection: true,
      evaluateInProcess: false,
      metricsPerPool: true,
      logLevel: 'INFO',
    });
  });

  it('turns per-pool metrics off from the environment', () => {
    expect(readStackSettings(noContext, { POOL_AUTOSCALER_METRICS_PER_POOL: 'false' }).metricsPerPool).toBe(
      false,
    );
  });

  it('names environment variables after the context key', () => {
    expect(environmentVariableOf('requestsPerSecond')).toBe('POOL_AUTOSCALER_REQUESTS_PER_SECOND');
    expect(environmentVariableOf('modelArtsEndpoint')).toBe('POOL_AUTOSCALER_MODEL_ARTS_ENDPOINT');
  });

  it('prefers context over the environment and coerces strings from -c key=value', () => {
    const settings = readStackSettings(
      contextOf({ requestsPerSecond: '3', deletionProtection: 'false', scheduleRateMinutes: 2 }),
      { POOL_AUTOSCALER_REQUESTS_PER_SECOND: '9', POOL_AUTOSCALER_BATCH_SIZE: '25' },
    );
    expect(settings.requestsPerSecond).toBe(3);
    expect(settings.batchSize).toBe(25);
    expect(settings.deletionProtection).toBe(false);
    expect(settings.scheduleRateMinutes).toBe(2);
  });

  it.each([
    ['modelArtsEndpoint', 'http://modelarts.example.com'],
    ['maxConcurrency', '1'],
    ['batchSize', '0'],
    ['removalPolicy', 'forever'],
    ['alarmEmail', 'not-an-address'],
    ['credentialsSecretArn', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:modelarts'],
    ['deletionProtection', 'yes'],
  ])('rejects a bad %s with an error that names it', (key, value) => {
    const read = () => readStackSettings(contextOf({ [key]: value }), {});
    expect(read).toThrow(StackSettingsError);
    expect(read).toThrow(new RegExp(`setting ${key} `));
  });

  it('refuses both a secret name and a secret ARN', () => {
    const read = () =>
      readStackSettings(
        contextOf({
          credentialsSecretName: 'modelarts',
          credentialsSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:modelarts-AbCdEf',
        }),
        {},
      );
    expect(read).toThrow(/not both/);
  });
});
