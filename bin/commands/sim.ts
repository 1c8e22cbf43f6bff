import { type Command, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { parseFields } from '../../functions/shared/validation-issues';
import { InputError, UsageError, parseOptions, run } from './errors';
import { readJson } from './input-files';
import { nonNegativeNumber, wholeNumber } from './options';
import {
  CONTROL_PREFIX,
  demoPool,
  startModelArtsSimulator,
  type FlavorResourcesOverride,
  type SimulatorCredentials,
} from '../../simulator';

const SimOptionsSchema = z.object({
  port: z.number().int().min(0).max(65535),
  host: z.string().min(1),
  ak: z.string().min(1).optional(),
  sk: z.string().min(1).optional(),
  auth: z.boolean(),
  token: z.string().min(1).optional(),
  projectId: z.string().min(1).optional(),
  provisionDelay: z.number().min(0),
  checkingDelay: z.number().min(0),
  deletionDelay: z.number().min(0),
  flavorResources: z.string().min(1).optional(),
  seedPool: z.array(z.string().min(1)),
  demo: z.boolean(),
  azs: z.array(z.string().min(1)).min(1).optional(),
  seed: z.number().int().optional(),
});
type SimOptions = z.infer<typeof SimOptionsSchema>;

function portNumber(value: string): number {
  const port = wholeNumber(value);
  if (port > 65535) throw new InvalidArgumentError('must be 0 to 65535');
  return port;
}

/** What a node of a flavor holds, per flavor: `{"modelarts.vm.gpu.tnt004": {"accelerators": 1}}`. */
const FlavorResourcesFileSchema = z.record(
  z.string().min(1),
  z.strictObject({
    accelerators: z.int().min(0).optional(),
    acceleratorKey: z.string().min(1).optional(),
    workloadAcceleratorKey: z.string().min(1).optional(),
    cpu: z.string().min(1).optional(),
    memory: z.string().min(1).optional(),
  }),
);

export async function readFlavorResources(file: string): Promise<Record<string, FlavorResourcesOverride>> {
  const parsed = parseFields(FlavorResourcesFileSchema, await readJson(file), '(file)');
  if (parsed.success) return parsed.data;
  throw new InputError(file, 'invalid flavor resources', parsed.issues);
}

/** The create-pool requests of the `--seed-pool` files, read before the simulator starts. */
async function readSeedPools(files: readonly string[]): Promise<Array<{ source: string; request: unknown }>> {
  const requests: Array<{ source: string; request: unknown }> = [];
  for (const file of files) {
    const body = await readJson(file);
    const list = Array.isArray(body) ? body : [body];
    list.forEach((request, index) =>
      requests.push({ source: list.length > 1 ? `${file} [${index}]` : file, request }),
    );
  }
  return requests;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** AK/SK from the flags, else from Huawei's SDK environment variables; a token alone also protects the API. */
export function simulatorCredentials(
  options: Pick<SimOptions, 'ak' | 'sk' | 'auth' | 'token'>,
  env: NodeJS.ProcessEnv,
): SimulatorCredentials | false {
  if (!options.auth) return false;
  const ak = options.ak ?? env.HUAWEICLOUD_SDK_AK;
  const sk = options.sk ?? env.HUAWEICLOUD_SDK_SK;
  if (ak && sk) return { ak, sk };
  if ((ak && !sk) || (!ak && sk))
    throw new UsageError('give both --ak and --sk (or HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK)');
  if (options.token) return false;
  throw new UsageError(
    'give --ak and --sk (or HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK), --token, or --no-auth',
  );
}

export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description('Start the ModelArts resource-pool API simulator on a loopback port and run until Ctrl-C')
    .option('--port <port>', 'TCP port (0 picks a free one)', portNumber, 0)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--ak <ak>', 'access key to verify signatures against (default: HUAWEICLOUD_SDK_AK)')
    .option('--sk <sk>', 'secret key to verify signatures against (default: HUAWEICLOUD_SDK_SK)')
    .option('--no-auth', 'accept unsigned requests')
    .option('--token <token>', 'IAM token accepted in the X-Auth-Token header')
    .option('--project-id <id>', 'serve only this project (default: any project)')
    .option('--provision-delay <seconds>', 'time for a new node to become available', nonNegativeNumber, 300)
    .option(
      '--checking-delay <seconds>',
      'last part of provisioning a node spends Checking',
      nonNegativeNumber,
      60,
    )
    .option('--deletion-delay <seconds>', 'time a removed node stays deleting', nonNegativeNumber, 60)
    .option(
      '--flavor-resources <file>',
      'JSON: accelerators, cpu, memory of a node per flavor (overrides the name rule)',
    )
    .option('--seed-pool <file>', 'preload a pool from a create-request JSON file (repeatable)', collect, [])
    .option('--demo', 'preload a demo pool of two flavors over two AZs', false)
    .addOption(new Option('--azs <names...>', 'availability zones of the simulated region'))
    .addOption(
      new Option('--seed <n>', 'seed of the random source for names and faults').argParser(wholeNumber),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ pool-autoscaler sim --port 8443 --ak MYAK --sk MYSECRET --demo\n  $ pool-autoscaler sim --no-auth --provision-delay 30 --seed-pool my-pool.json',
    )
    .action(async (raw: unknown, command: Command) =>
      run(command, async () => {
        const options = parseOptions(SimOptionsSchema, raw);
        const auth = simulatorCredentials(options, process.env);
        // Every input is read and checked before the simulator listens: a bad one ends the command, it never
        // leaves a simulator serving without the pools it was asked for.
        const flavors = options.flavorResources
          ? await readFlavorResources(options.flavorResources)
          : undefined;
        const seeds = await readSeedPools(options.seedPool);
        const demoAzs = options.demo ? (options.azs ?? ['cn-north-4a', 'cn-north-4b']) : undefined;
        if (demoAzs !== undefined && demoAzs.length < 2)
          throw new UsageError('--demo needs at least two --azs');
        const simulator = await startModelArtsSimulator({
          port: options.port,
          host: options.host,
          auth,
          token: options.token,
          projectId: options.projectId,
          provisioningDelayMs: options.provisionDelay * 1000,
          checkingDelayMs: options.checkingDelay * 1000,
          deletionDelayMs: options.deletionDelay * 1000,
          flavors,
          availabilityZones: options.azs,
          seed: options.seed,
        });
        const preloaded: string[] = [];
        try {
          for (const { source, request } of seeds) {
            try {
              preloaded.push(simulator.seedPool(request).metadata.name);
            } catch (error) {
              throw new InputError(`--seed-pool ${source}`, (error as Error).message);
            }
          }
          if (demoAzs !== undefined)
            preloaded.push(simulator.seedPool(demoPool([demoAzs[0]!, demoAzs[1]!])).metadata.name);
        } catch (error) {
          await simulator.close();
          throw error;
        }

        const authMode = auth ? `AK/SK (${auth.ak})` : options.token ? 'token only' : 'off';
        process.stdout.write(`ModelArts simulator listening on ${simulator.url}\n`);
        process.stdout.write(`  project:  ${simulator.projectId}\n`);
        process.stdout.write(`  endpoint: ${simulator.url}/v2/${simulator.projectId}/pools\n`);
        process.stdout.write(
          `  control:  ${simulator.url}${CONTROL_PREFIX}/v2/${simulator.projectId}/pools/{pool}/workloads (see docs/simulator.md)\n`,
        );
        process.stdout.write(`  auth:     ${authMode}${options.token ? ', X-Auth-Token accepted' : ''}\n`);
        for (const name of preloaded) process.stdout.write(`  pool:     ${name}\n`);
        process.stdout.write('Press Ctrl-C to stop.\n');

        await new Promise<void>((resolve) => {
          const stop = (): void => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            void simulator.close().then(resolve);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
      }),
    );
}
