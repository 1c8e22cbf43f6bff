import { basename } from 'node:path';
import Table from 'cli-table3';
import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  BASELINES,
  loadPolicyFile,
  loadTraceFile,
  simulate,
  writeSimulationOutputs,
  type BaselineName,
  type ScaleInMode,
  type SimulationResult,
} from '../../policy-sim';

interface SimulateFlags {
  trace: string;
  policy: string;
  out: string;
  provisionDelay: number;
  provisionJitter: number;
  baselines: BaselineName[];
  sweepSeconds: number;
  seed: number;
  tailSeconds: number;
  maxHorizonSeconds?: number;
  policyScaleIn?: ScaleInMode;
}

function wholeSeconds(name: string, minimum: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < minimum) {
      throw new InvalidArgumentError(`${name} must be a whole number >= ${minimum}`);
    }
    return Number(value);
  };
}

function baselineList(value: string): BaselineName[] {
  if (value.trim() === '' || value === 'none') return [];
  const names = value.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(BASELINES as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(
        `unknown baseline ${name} (choose from ${BASELINES.join(', ')} or none)`,
      );
    }
  }
  return [...new Set(names)] as BaselineName[];
}

export function summaryTable(result: SimulationResult): string {
  const table = new Table({
    head: [
      'strategy',
      'node-hours',
      'x oracle',
      'p50 wait s',
      'p95 wait s',
      'max wait s',
      'PATCHes',
      'scale ops',
      'reversals',
      'preempted',
      'unfinished',
      'starved',
    ],
    style: { head: [], border: [], compact: true },
  });
  for (const entry of result.results) {
    table.push([
      entry.strategy,
      entry.node_hours.toFixed(2),
      entry.oracle_ratio.toFixed(3),
      String(entry.wait_s.p50),
      String(entry.wait_s.p95),
      String(entry.wait_s.max),
      String(entry.patches),
      String(entry.scale_operations),
      String(entry.reversals),
      String(entry.preempted_jobs),
      String(entry.unfinished_jobs),
      String(entry.starved_jobs),
    ]);
  }
  return table.toString();
}

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description(
      'Replay a job trace in virtual time through the real scaling engine, against baselines (static, KEDA, HPA, Cluster Autoscaler) and the zero-wait oracle; writes summary.json, timeline.csv and report.html',
    )
    .requiredOption('--trace <file>', 'trace CSV: job_id,submit_s,flavor,units,duration_s[,pool]')
    .requiredOption('--policy <file>', 'policy item JSON (the pool and its flavors)')
    .requiredOption('--out <dir>', 'directory for summary.json, timeline.csv and report.html')
    .option(
      '--provision-delay <seconds>',
      'seconds from a node request until it is available',
      wholeSeconds('--provision-delay', 0),
      300,
    )
    .option(
      '--provision-jitter <seconds>',
      'each new node is up to this many seconds early or late (seeded)',
      wholeSeconds('--provision-jitter', 0),
      0,
    )
    .option('--baselines <list>', `comma-separated baselines to compare, or none`, baselineList, [
      ...BASELINES,
    ])
    .option('--sweep-seconds <n>', "the evaluator's schedule period", wholeSeconds('--sweep-seconds', 1), 60)
    .option('--seed <n>', 'seed of the random jitter', wholeSeconds('--seed', 0), 1)
    .option(
      '--tail-seconds <n>',
      'how long to keep replaying after the last job has ended',
      wholeSeconds('--tail-seconds', 0),
      3600,
    )
    .option(
      '--max-horizon-seconds <n>',
      'latest second a replay runs to while jobs still wait or run (default: the zero-wait end plus the longer of that and 7 days)',
      wholeSeconds('--max-horizon-seconds', 1),
    )
    .addOption(
      new Option(
        '--policy-scale-in <mode>',
        "what-if: replace the policy's scaleIn: nodes (remove chosen idle nodes by name) or patch (lower the count; the service may remove busy nodes); default: the policy's own",
      ).choices(['nodes', 'patch']),
    )
    .action(async (flags: SimulateFlags) => {
      const [jobs, policy] = await Promise.all([loadTraceFile(flags.trace), loadPolicyFile(flags.policy)]);
      const result = simulate(jobs, policy, {
        provisionDelaySeconds: flags.provisionDelay,
        provisionJitterSeconds: flags.provisionJitter,
        baselines: flags.baselines,
        sweepSeconds: flags.sweepSeconds,
        seed: flags.seed,
        tailSeconds: flags.tailSeconds,
        ...(flags.maxHorizonSeconds !== undefined ? { maxHorizonSeconds: flags.maxHorizonSeconds } : {}),
        ...(flags.policyScaleIn !== undefined ? { policyScaleIn: flags.policyScaleIn } : {}),
      });
      const written = await writeSimulationOutputs(flags.out, result, {
        traceName: basename(flags.trace),
        policyName: basename(flags.policy),
      });
      process.stdout.write(`${summaryTable(result)}\n`);
      if (result.settings.horizon_capped) {
        process.stderr.write(
          `warning: the replay stopped at the cap of ${result.settings.horizon_cap_s} s with jobs still waiting or running; they are counted unfinished (raise --max-horizon-seconds to run longer)\n`,
        );
      }
      process.stdout.write(`wrote ${written.join(', ')}\n`);
    });
}
