import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ENV, loadConfig } from '../../functions/shared/config';
import { HUAWEI_CLOUD_MODELARTS_HOSTS } from '../../functions/shared/endpoint-allowlist';
import {
  ModelArtsPoolAutoscaler,
  type ModelArtsPoolAutoscalerProps,
} from '../../lib/modelarts-pool-autoscaler';
import { PoolAutoscalerStack } from '../../lib/pool-autoscaler-stack';
import { StackSettingsError, readStackSettings } from '../../lib/stack-settings';
import { resourcesOfType, type TemplateResource } from '../cdk/template-queries';

// The CloudFormation schema check built into synth is advisory and slow; these assertions read the templates.
vi.stubEnv('CDK_VALIDATION', 'false');
afterAll(() => {
  vi.unstubAllEnvs();
});

const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURE_HANDLER = path.join(here, '../cdk/fixtures/handler.ts');
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pool-autoscaler/modelarts-AbCdEf';
const ENVIRONMENT = { account: '123456789012', region: 'eu-west-1' };

/** One app for the whole file, so the fixture handler is bundled once; every stack is built before synthesis. */
const app = new App({ outdir: path.join(here, '../../cdk.out/test-endpoint-allowlist') });

/** The deployable stack as `cdk deploy` builds it from settings, with the fixture handler. */
function deployedStack(id: string, env: Record<string, string> = {}): Stack {
  return new PoolAutoscalerStack(app, id, {
    settings: readStackSettings(() => undefined, env),
    env: ENVIRONMENT,
    autoscaler: { consumerEntry: FIXTURE_HANDLER, evaluatorEntry: FIXTURE_HANDLER },
  });
}

function construct(id: string, props: Partial<ModelArtsPoolAutoscalerProps>): Stack {
  const stack = new Stack(app, id, { env: ENVIRONMENT });
  new ModelArtsPoolAutoscaler(stack, 'Autoscaler', {
    credentialsSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Secret', SECRET_ARN),
    consumerEntry: FIXTURE_HANDLER,
    evaluatorEntry: FIXTURE_HANDLER,
    ...props,
  });
  return stack;
}

const defaults = deployedStack('AllowlistDefaults');
const fromSetting = deployedStack('AllowlistSetting', {
  POOL_AUTOSCALER_ENDPOINT_HOSTS: 'modelarts.cn-north-4.myhuaweicloud.com, Modelarts.*.Example.com',
});
const fromProp = construct('AllowlistProp', {
  endpointHosts: ['modelarts.eu-west-101.myhuaweicloud.eu'],
  modelArtsEndpoint: 'https://modelarts.eu-west-101.myhuaweicloud.eu',
});

/** Each function's environment, with CloudFormation references replaced by plausible strings. */
function environments(template: Template): Array<Record<string, string>> {
  return Object.values(resourcesOfType(template, 'AWS::Lambda::Function')).map((fn: TemplateResource) => {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(fn.Properties.Environment?.Variables ?? {})) {
      env[name] = typeof value === 'string' ? value : `resolved-${name.toLowerCase()}`;
    }
    return env;
  });
}

describe('the deployed stack', () => {
  const template = Template.fromStack(defaults);

  it('never enables loopback, in any function or anywhere in the template', () => {
    const envs = environments(template);
    // The consumer, the evaluator and the workload watcher.
    expect(envs).toHaveLength(3);
    for (const env of envs) expect(env).not.toHaveProperty(ENV.modelArtsAllowLoopback);
    expect(JSON.stringify(template.toJSON())).not.toContain(ENV.modelArtsAllowLoopback);
  });

  it("gives both functions Huawei Cloud's public ModelArts hosts, which they read as the allowlist", () => {
    for (const env of environments(template)) {
      expect(env[ENV.modelArtsEndpointHosts]).toBe(HUAWEI_CLOUD_MODELARTS_HOSTS.join(','));
      expect(loadConfig(env).modelArts.endpointAllowlist).toEqual({
        hosts: HUAWEI_CLOUD_MODELARTS_HOSTS,
        loopback: false,
      });
    }
  });

  it('takes the host patterns from the endpointHosts setting', () => {
    for (const env of environments(Template.fromStack(fromSetting))) {
      expect(env[ENV.modelArtsEndpointHosts]).toBe(
        'modelarts.cn-north-4.myhuaweicloud.com,modelarts.*.example.com',
      );
      expect(env).not.toHaveProperty(ENV.modelArtsAllowLoopback);
    }
  });

  it('reads the setting as a list from cdk.json', () => {
    const settings = readStackSettings((key) =>
      key === 'endpointHosts'
        ? ['modelarts.cn-north-4.myhuaweicloud.com', 'modelarts.cn-east-3.myhuaweicloud.com']
        : undefined,
    );
    expect(settings.endpointHosts).toEqual([
      'modelarts.cn-north-4.myhuaweicloud.com',
      'modelarts.cn-east-3.myhuaweicloud.com',
    ]);
  });

  it('refuses an unusable host pattern in the settings, naming the setting', () => {
    expect(() => readStackSettings(() => undefined, { POOL_AUTOSCALER_ENDPOINT_HOSTS: '*.com' })).toThrow(
      StackSettingsError,
    );
    expect(() =>
      readStackSettings((key) => (key === 'endpointHosts' ? '169.254.169.254' : undefined)),
    ).toThrow(/setting endpointHosts .*must be a DNS name/);
  });
});

describe('the construct', () => {
  it('passes its endpointHosts to both functions', () => {
    for (const env of environments(Template.fromStack(fromProp))) {
      expect(env[ENV.modelArtsEndpointHosts]).toBe('modelarts.eu-west-101.myhuaweicloud.eu');
      expect(env[ENV.modelArtsEndpoint]).toBe('https://modelarts.eu-west-101.myhuaweicloud.eu');
      expect(loadConfig(env).modelArts.endpointOverride).toBe(
        'https://modelarts.eu-west-101.myhuaweicloud.eu',
      );
    }
  });

  it.each([
    [
      'a pattern that could match anything',
      { endpointHosts: ['*.com'] },
      /endpointHosts: host pattern "\*\.com"/,
    ],
    ['an empty list', { endpointHosts: [] }, /endpointHosts: must list at least one host pattern/],
    [
      'a pinned endpoint outside the list',
      { modelArtsEndpoint: 'https://modelarts.example.com' },
      /modelArtsEndpoint https:\/\/modelarts\.example\.com: host modelarts\.example\.com is not in the endpoint allowlist/,
    ],
    [
      'a pinned endpoint on the metadata address',
      { modelArtsEndpoint: 'https://169.254.169.254' },
      /names the IP address 169\.254\.169\.254 \(link-local\)/,
    ],
    [
      'a pinned loopback endpoint',
      { modelArtsEndpoint: 'http://127.0.0.1:9001' },
      /names the loopback host 127\.0\.0\.1/,
    ],
  ])('refuses %s at synth time', (_name, props, message) => {
    const stack = new Stack(new App(), 'Refused', { env: ENVIRONMENT });
    expect(
      () =>
        new ModelArtsPoolAutoscaler(stack, 'Autoscaler', {
          credentialsSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Secret', SECRET_ARN),
          consumerEntry: FIXTURE_HANDLER,
          evaluatorEntry: FIXTURE_HANDLER,
          ...props,
        }),
    ).toThrow(message);
  });
});
