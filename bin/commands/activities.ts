import { setTimeout as sleep } from 'node:timers/promises';
import Table from 'cli-table3';
import { type Command, InvalidArgumentError } from 'commander';
import pc from 'picocolors';
import { z } from 'zod';
import {
  ActivityRepository,
  type ActivitySize,
  type ActivityStatus,
  type StoredActivity,
} from '../../functions/shared/store/activity-repository';
import {
  addTableOptions,
  isTerminal,
  pick,
  storeFromOptions,
  type TableOptions,
  withExitCodes,
} from './policy';

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `--since` as an ISO time or a look-back such as `30m`, `2h`, `7d`. */
export function parseSince(value: string, now: number = Date.now()): string {
  const match = DURATION.exec(value.trim());
  if (match)
    return new Date(now - Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]).toISOString();
  const parsed = Date.parse(value);
  if (Number.isNaN(parsed))
    throw new InvalidArgumentError('must be an ISO time or a look-back like 30m, 2h, 7d');
  return new Date(parsed).toISOString();
}

const ActivitiesOptionsSchema = z.object({
  pool: z.string().min(1, '--pool must not be empty').optional(),
  since: z.string().optional(),
  follow: z.boolean(),
  json: z.boolean(),
  limit: z.number().int().positive().max(10_000),
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

const HEAD = ['at', 'pool', 'flavor', 'status', 'nodes', 'demand', 'reason'];

function cells(activity: StoredActivity): string[] {
  return [
    activity.at,
    activity.pool,
    activity.flavor,
    activity.status,
    change(activity),
    activity.demandUnits !== undefined ? String(activity.demandUnits) : '',
    activity.errorMessage ?? activity.reasons[activity.reasons.length - 1] ?? '',
  ];
}

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) throw new InvalidArgumentError('must be a positive integer');
  return number;
}

function positiveNumber(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new InvalidArgumentError('must be a number above 0');
  return number;
}

/** Writes activities oldest first: JSON lines, a table on a terminal, tab-separated lines otherwise. */
function print(activities: readonly StoredActivity[], json: boolean, asTable: boolean): void {
  if (json) {
    for (const activity of activities) {
      const { sk: _sk, day: _day, expiresAt: _expiresAt, ...record } = activity;
      process.stdout.write(`${JSON.stringify(record)}\n`);
    }
    return;
  }
  if (!isTerminal()) {
    for (const activity of activities) process.stdout.write(`${cells(activity).join('\t')}\n`);
    return;
  }
  if (!asTable) {
    for (const activity of activities) {
      const row = cells(activity);
      row[3] = STATUS_COLORS[activity.status](row[3]!);
      process.stdout.write(`${row.filter((cell) => cell !== '').join('  ')}\n`);
    }
    return;
  }
  const table = new Table({
    head: HEAD.map((cell) => pc.bold(cell)),
    wordWrap: true,
    colWidths: [26, 24, 26, 12, 20, 8, 48],
  });
  for (const activity of activities) {
    const row = cells(activity);
    row[3] = STATUS_COLORS[activity.status](row[3]!);
    table.push(row);
  }
  process.stdout.write(`${table.toString()}\n`);
}

export function registerActivitiesCommand(program: Command): void {
  addTableOptions(
    program
      .command('activities')
      .description(
        'Show what the autoscaler decided and did (decisions, PATCHes, skips, failures), oldest first',
      )
      .option('--pool <pool>', 'only this pool (default: every pool)')
      .option('--since <time>', 'ISO time or look-back like 30m, 2h, 7d (default: the last 24 h)')
      .option('--follow', 'keep printing new activities until Ctrl-C', false)
      .option('--json', 'one JSON object per line', false)
      .option('--limit <n>', 'most activities to read per query', positiveInteger, 200)
      .option('--interval <seconds>', 'with --follow: seconds between queries', positiveNumber, 2),
  ).action(async (raw: TableOptions & Record<string, unknown>) =>
    withExitCodes(async () => {
      const options = ActivitiesOptionsSchema.parse(raw);
      const repository = new ActivityRepository(storeFromOptions(pick(raw)), { retentionDays: 30 });
      const read = (since: string | undefined): Promise<StoredActivity[]> =>
        options.pool
          ? repository.listByPool(options.pool, { limit: options.limit, ...(since ? { since } : {}) })
          : repository.listRecent(Date.now(), { limit: options.limit, ...(since ? { since } : {}) });
      const since = options.since !== undefined ? parseSince(options.since) : undefined;
      const first = (await read(since)).reverse();
      print(first, options.json, !options.follow);
      if (!isTerminal() || options.json || options.follow) {
        // nothing more to say
      } else if (first.length === 0) {
        process.stdout.write(`${pc.dim('no activities')}\n`);
      }
      if (!options.follow) return;

      const seen = new Set(first.map((activity) => activity.sk));
      let cursor = first[first.length - 1]?.sk ?? since ?? new Date(Date.now() - 60_000).toISOString();
      let stopped = false;
      const stop = (): void => {
        stopped = true;
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      while (!stopped) {
        await sleep(options.interval * 1000);
        const fresh = (await read(cursor)).reverse().filter((activity) => !seen.has(activity.sk));
        for (const activity of fresh) seen.add(activity.sk);
        print(fresh, options.json, false);
        cursor = fresh[fresh.length - 1]?.sk ?? cursor;
      }
    }),
  );
}
