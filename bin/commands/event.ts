import { type Command, Option } from 'commander';
import pc from 'picocolors';
import { EVENT_TYPES } from '../../functions/shared/events';
import { DEFAULT_EVALUATION_SETTINGS } from '../../functions/shared/pipeline/types';
import { DepthRepository } from '../../functions/shared/store/depth-repository';
import {
  type Delivery,
  type DeliveryOptions,
  addDeliveryOptions,
  deliver,
  validateEvents,
} from './event-delivery';
import { EXIT, UsageError, fail, run } from './errors';
import { readJsonValues, sourceName } from './input-files';
import {
  addPoolOption,
  addTableOptions,
  poolFrom,
  storeFromOptions,
  wholeNumber,
  type TableOptions,
} from './options';
import {
  type Column,
  type OutputOptions,
  addOutputOptions,
  isoTime,
  outputMode,
  printRecords,
} from './output';

const DELIVERY_COLUMNS: readonly Column<Delivery>[] = [
  { header: 'type', value: (delivery) => delivery.type },
  { header: 'pool', value: (delivery) => delivery.pool },
  { header: 'flavor', value: (delivery) => delivery.flavor },
  { header: 'job', value: (delivery) => delivery.jobId },
  {
    header: 'result',
    value: (delivery) => delivery.result,
    color: (text) =>
      text === 'rejected' ? pc.red(text) : text === 'ignored' ? pc.dim(text) : pc.green(text),
  },
  { header: 'message', value: (delivery) => delivery.error ?? delivery.messageId, wrap: true },
];

function printDeliveries(options: OutputOptions, deliveries: readonly Delivery[]): void {
  printRecords(outputMode(options), {
    columns: DELIVERY_COLUMNS,
    rows: deliveries,
    json: (delivery) => delivery,
    empty: 'No events sent',
  });
  if (deliveries.some((delivery) => delivery.result === 'rejected'))
    fail('some events were rejected (see the message column)', EXIT.failed);
}

interface EventFlags extends DeliveryOptions, OutputOptions {
  type?: string;
  pool?: string;
  flavor?: string;
  jobId?: string;
  units?: number;
  pending?: number;
  running?: number;
  reason?: string;
  at?: string;
}

/** One event from the flags; the schema, not this function, decides what is missing or wrong. */
function eventFromFlags(flags: EventFlags): Record<string, unknown> {
  if (flags.type === undefined) throw new UsageError('give --type (or a file of events)');
  const fields: Record<string, unknown> = { type: flags.type, pool: flags.pool };
  if (flags.type === 'pool.evaluate') {
    if (flags.reason !== undefined) fields.reason = flags.reason;
    return fields;
  }
  fields.flavor = flags.flavor;
  if (flags.type === 'depth.snapshot') {
    fields.pendingUnits = flags.pending;
    fields.runningUnits = flags.running ?? 0;
  } else {
    fields.jobId = flags.jobId;
    fields.units = flags.units;
  }
  fields.at = flags.at ?? new Date().toISOString();
  return fields;
}

const EVENT_HELP = `
Events are checked with the consumer's own schema and time window before any is sent; one bad event sends none.
A file holds one event, a JSON array of events, or JSON lines.

Examples:
  $ pool-autoscaler event send --type job.submitted --pool P --flavor modelarts.vm.gpu.8v100 --job-id j-1 --units 8
  $ pool-autoscaler event send events.jsonl --queue-url "$QUEUE_URL"
  $ pool-autoscaler event send --type job.finished --pool P --flavor F --job-id j-1 --units 8 --direct`;

export function registerEventCommand(program: Command): void {
  const event = program
    .command('event')
    .description('Send job events and depth snapshots as a producer would');

  addOutputOptions(
    addDeliveryOptions(
      event
        .command('send')
        .description(
          'Validate job events, depth snapshots or pool.evaluate requests and send them to the events queue (or apply them with --direct)',
        )
        .argument(
          '[file]',
          "events as JSON ('-' reads standard input); without it, one event from the options",
        )
        .addOption(new Option('--type <type>', 'event type').choices(EVENT_TYPES))
        .option('--pool <pool>', "the pool's name (metadata.name)")
        .option('--flavor <flavor>', 'the flavor (job events, depth.snapshot)')
        .option('--job-id <id>', 'job id (job events)')
        .option('--units <n>', 'capacity units the job asks for (job events)', wholeNumber)
        .option('--pending <n>', 'pending units (depth.snapshot)', wholeNumber)
        .option('--running <n>', 'running units (depth.snapshot, default 0)', wholeNumber)
        .option('--reason <text>', 'why (pool.evaluate)')
        .option('--at <time>', 'ISO 8601 time of the event (default: now)'),
    ).addHelpText('after', EVENT_HELP),
  ).action(async (file: string | undefined, flags: EventFlags, command: Command) =>
    run(command, async () => {
      const values = file !== undefined ? await readJsonValues(file) : [eventFromFlags(flags)];
      const events = validateEvents(values, file !== undefined ? sourceName(file) : 'event');
      printDeliveries(flags, await deliver(events, flags));
    }),
  );

  registerDepthCommand(program);
}

interface DepthRow {
  flavor: string;
  pendingUnits: number;
  runningUnits: number;
  updatedAt: number;
}

const DEPTH_COLUMNS: readonly Column<DepthRow>[] = [
  { header: 'flavor', value: (row) => row.flavor },
  { header: 'pending', value: (row) => String(row.pendingUnits) },
  { header: 'running', value: (row) => String(row.runningUnits) },
  { header: 'updated', value: (row) => isoTime(row.updatedAt) },
];

function registerDepthCommand(program: Command): void {
  const depth = program
    .command('depth')
    .description("Read or set a pool's demand counters (pending and running units per flavor)");

  addOutputOptions(
    addPoolOption(
      addDeliveryOptions(
        depth
          .command('set')
          .description(
            'Send a depth.snapshot: the absolute pending and running units of one flavor, as of now (or --at)',
          )
          .option('--flavor <flavor>', 'the flavor (required)')
          .option('--pending <n>', 'pending units (required)', wholeNumber)
          .option('--running <n>', 'running units', wholeNumber, 0)
          .option('--at <time>', 'ISO 8601 time the counts are from (default: now)'),
      ),
    ).addHelpText(
      'after',
      '\nExamples:\n  $ pool-autoscaler depth set --pool P --flavor modelarts.vm.gpu.8v100 --pending 32\n  $ pool-autoscaler depth set --pool P --flavor F --pending 0 --running 16 --direct',
    ),
  ).action(async (flags: EventFlags, command: Command) =>
    run(command, async () => {
      const snapshot = eventFromFlags({
        ...flags,
        type: 'depth.snapshot',
        pool: poolFrom(undefined, flags.pool),
      });
      printDeliveries(flags, await deliver(validateEvents([snapshot], 'depth set'), flags));
    }),
  );

  addOutputOptions(
    addPoolOption(
      addTableOptions(
        depth
          .command('get')
          .description("Show a pool's demand per flavor as the evaluator reads it")
          .argument('[pool]', 'pool name (or --pool)'),
      ),
    ),
  ).action(
    async (
      positional: string | undefined,
      options: TableOptions & OutputOptions & { pool?: string },
      command: Command,
    ) =>
      run(command, async () => {
        const pool = poolFrom(positional, options.pool);
        const repository = new DepthRepository(storeFromOptions(options), {
          jobRetentionDays: DEFAULT_EVALUATION_SETTINGS.jobRetentionDays,
        });
        const rows = Object.entries(await repository.getPoolDepth(pool)).map(([flavor, value]) => ({
          flavor,
          ...value,
        }));
        printRecords(outputMode(options), {
          columns: DEPTH_COLUMNS,
          rows,
          json: (row) => ({ ...row, updatedAt: isoTime(row.updatedAt) }),
          empty: `No depth recorded for pool ${pool}`,
        });
      }),
  );
}
