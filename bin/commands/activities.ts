import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import pc from 'picocolors';
import { z } from 'zod';
import {
  ActivityRepository,
  type ActivitySize,
  type ActivityStatus,
  type StoredActivity,
} from '../../functions/shared/store/activity-repository';
import { decidingReason } from './deciding-reason';
import { UsageError, parseOptions, run } from './errors';
import {
  addTableOptions,
  positiveInteger,
  positiveNumber,
  storeFromOptions,
  type TableOptions,
} from './options';
import {
  type Column,
  type OutputOptions,
  addOutputOptions,
  outputMode,
  printRecords,
  renderTable,
  tsvLines,
  write,
} from './output';

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** Most activities one query reads: DynamoDB pages them, and a table of more is not read by anyone. */
export const MAX_LIMIT = 10_000;

/** `--since` as an ISO time or a look-back such as `30m`, `2h`, `7d`. */
export function parseSince(value: string, now: number = Date.now()): string {
  const match = DURATION.exec(value.trim());
  if (match)
    return new Date(now - Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]).toISOString();
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed))
    throw new UsageError(`--since ${value}: must be an ISO time or a look-back like 30m, 2h, 7d`);
  return new Date(parsed).toISOString();
}

const ActivitiesOptionsSchema = z.object({
  pool: z.string().min(1).optional(),
  since: z.string().optional(),
  follow: z.boolean(),
  limit: z
    .number()
    .int()
    .positive()
    .max(MAX_LIMIT, `at most ${MAX_LIMIT} activities are read at once (use --since to go further back)`),
  interval: z.number().positive(),
});

const STATUS_COLORS: Record<ActivityStatus, (text: string) => string> = {
  Successful: pc.green,
  Failed: pc.red,
  Throttled: pc.yellow,
  Skipped: pc.dim,
  DryRun: pc.cyan,
  NoChange: pc.dim,
  Invalid: pc.red,
};

function size(value: ActivitySize | undefined): string {
  if (!value) return '';
  const azs = value.azs?.map((az) => `${az.az}:${az.count}`).join(' ');
  return azs ? `${value.count} (${azs})` : String(value.count);
}

function change(activity: StoredActivity): string {
  if (!activity.before && !activity.after) return '';
  if (activity.before?.count === activity.after?.count) return size(activity.after);
  return `${size(activity.before)} → ${size(activity.after)}`;
}

export const ACTIVITY_COLUMNS: readonly Column<StoredActivity>[] = [
  { header: 'at', value: (activity) => activity.at },
  { header: 'pool', value: (activity) => activity.pool },
  { header: 'flavor', value: (activity) => activity.flavor },
  {
    header: 'status',
    value: (activity) => activity.status,
    color: (text, activity) => STATUS_COLORS[activity.status](text),
  },
  { header: 'nodes', value: change },
  {
    header: 'demand',
    value: (activity) => (activity.demandUnits !== undefined ? String(activity.demandUnits) : ''),
  },
  {
    header: 'reason',
    value: (activity) => decidingReason(activity.reasons, activity.errorMessage),
    wrap: true,
  },
];

/** What an operator reads of a record: everything but the storage keys. */
function record(activity: StoredActivity): Record<string, unknown> {
  const { sk: _sk, day: _day, expiresAt: _expiresAt, ...rest } = activity;
  return { ...rest, reason: decidingReason(activity.reasons, activity.errorMessage) };
}

const EXAMPLES = `
The reason column is the rule that decided the count (a failure's error, a hold such as stale depth, a clamp
to maxCount, ...), not the summary line of the trail; -o json has the whole trail in "reasons".

Examples:
  $ pool-autoscaler activities --since 2h
  $ pool-autoscaler activities --pool P --follow
  $ pool-autoscaler activities --pool P -o json | jq '.[] | select(.status == "Failed")'`;

export function registerActivitiesCommand(program: Command): void {
  addOutputOptions(
    addTableOptions(
      program
        .command('activities')
        .description(
          'Show what the autoscaler decided and did (decisions, PATCHes, skips, failures), oldest first',
        )
        .option('--pool <pool>', 'only this pool (default: every pool)')
        .option('--since <time>', 'ISO time or look-back like 30m, 2h, 7d (default: the last 24 h)')
        .option(
          '--follow',
          'keep printing new activities until Ctrl-C (-o json: one JSON object per line)',
          false,
        )
        .option('--limit <n>', `most activities to read per query, up to ${MAX_LIMIT}`, positiveInteger, 200)
        .option('--interval <seconds>', 'with --follow: seconds between queries', positiveNumber, 2)
        .addHelpText('after', EXAMPLES),
    ),
  ).action(async (raw: TableOptions & OutputOptions & Record<string, unknown>, command: Command) =>
    run(command, async () => {
      const options = parseOptions(ActivitiesOptionsSchema, raw);
      const mode = outputMode(raw);
      const since = options.since !== undefined ? parseSince(options.since) : undefined;
      const repository = new ActivityRepository(storeFromOptions(raw), { retentionDays: 30 });
      const read = (from: string | undefined): Promise<StoredActivity[]> =>
        options.pool
          ? repository.listByPool(options.pool, { limit: options.limit, ...(from ? { since: from } : {}) })
          : repository.listRecent(Date.now(), { limit: options.limit, ...(from ? { since: from } : {}) });
      const first = (await read(since)).reverse();
      if (!options.follow) {
        printRecords(mode, {
          columns: ACTIVITY_COLUMNS,
          rows: first,
          json: record,
          empty: 'No activities found',
        });
        return;
      }
      await follow(mode, first, read, options.interval, since);
    }),
  );
}

/** Prints what is there, then every new activity as it is recorded, until SIGINT or SIGTERM. */
async function follow(
  mode: ReturnType<typeof outputMode>,
  first: StoredActivity[],
  read: (from: string | undefined) => Promise<StoredActivity[]>,
  intervalSeconds: number,
  since: string | undefined,
): Promise<void> {
  let header = true;
  const print = (activities: readonly StoredActivity[]): void => {
    if (mode === 'json') {
      for (const activity of activities) write(JSON.stringify(record(activity)));
      return;
    }
    if (activities.length === 0 && !header) return;
    if (mode === 'tsv') write(tsvLines(ACTIVITY_COLUMNS, activities, header).join('\n'));
    else if (activities.length > 0) write(renderTable(ACTIVITY_COLUMNS, activities));
    header = false;
  };
  print(first);
  const seen = new Set(first.map((activity) => activity.sk));
  let cursor = first[first.length - 1]?.sk ?? since ?? new Date(Date.now() - 60_000).toISOString();
  let stopped = false;
  const stop = (): void => {
    stopped = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    while (!stopped) {
      await sleep(intervalSeconds * 1000);
      const fresh = (await read(cursor)).reverse().filter((activity) => !seen.has(activity.sk));
      for (const activity of fresh) seen.add(activity.sk);
      print(fresh);
      cursor = fresh[fresh.length - 1]?.sk ?? cursor;
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
