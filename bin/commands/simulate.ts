import { basename } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  BASELINES,
  loadTraceFile,
  simulate,
  simulateSweep,
  writeSimulationOutputs,
  type FrontierPoint,
  type BaselineName,
  type ScaleInMode,
  type SimulationResult,
} from '../../policy-sim';
import type { StrategyResult } from '../../policy-sim/types';
import { run } from './errors';
import { ensureWritableDirectory } from './out-dir';
import { readPolicyDocument } from './policy-documents';
import { type Column, type OutputOptions, addOutputOptions, note, outputMode, printRecords } from './output';

interface SimulateFlags extends OutputOptions {
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
  sweep?: string;
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

export const SUMMARY_COLUMNS: readonly Column<StrategyResult>[] = [
  { header: 'strategy', value: (entry) => entry.strategy },
  { header: 'node-hours', value: (entry) => entry.node_hours.toFixed(2) },
  { header: 'x oracle', value: (entry) => entry.oracle_ratio.toFixed(3) },
  { header: 'p50 wait s', value: (entry) => String(entry.wait_s.p50) },
  { header: 'p95 wait s', value: (entry) => String(entry.wait_s.p95) },
  { header: 'max wait s', value: (entry) => String(entry.wait_s.max) },
  { header: 'PATCHes', value: (entry) => String(entry.patches) },
  { header: 'scale ops', value: (entry) => String(entry.scale_operations) },
  { header: 'reversals', value: (entry) => String(entry.reversals) },
  { header: 'preempted', value: (entry) => String(entry.preempted_jobs) },
  { header: 'unfinished', value: (entry) => String(entry.unfinished_jobs) },
  { header: 'starved', value: (entry) => String(entry.starved_jobs) },
];

function duration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export const FRONTIER_COLUMNS: readonly Column<FrontierPoint>[] = [
  { header: 'point', value: (point) => point.label },
  { header: 'node-hours', value: (point) => point.node_hours.toFixed(2) },
  { header: 'x oracle', value: (point) => point.oracle_ratio.toFixed(3) },
  { header: 'p50 wait s', value: (point) => String(point.wait_p50_s) },
  { header: 'p95 wait s', value: (point) => String(point.wait_p95_s) },
  { header: 'max wait s', value: (point) => String(point.wait_max_s) },
  { header: 'scale ops', value: (point) => String(point.scale_operations) },
  { header: 'preempted', value: (point) => String(point.preempted_jobs) },
  { header: 'unfinished', value: (point) => String(point.unfinished_jobs) },
  { header: 'starved', value: (point) => String(point.starved_jobs) },
  { header: 'pareto', value: (point) => (point.pareto ? 'yes' : '') },
];

/**
 * Why the policy's waits are what they are, when its bounds decided them: each flavor whose demand asked for more
 * nodes than maxCount, for how long and how many at the peak (what the Cluster Autoscaler reports as "max node
 * group size reached").
 */
export function clampNotes(result: SimulationResult): string[] {
  const notes: string[] = [];
  for (const setup of result.flavors) {
    const rows = result.timeline.filter(
      (row) => row.strategy === 'policy' && row.flavor === setup.flavor && row.az === '*',
    );
    const perNode = setup.unitsPerNode * setup.targetUtilization;
    let above = 0;
    let peak = 0;
    rows.forEach((row, index) => {
      const nodes = Math.ceil((row.demandUnits ?? 0) / perNode - 1e-9);
      peak = Math.max(peak, nodes);
      const next = rows[index + 1]?.tS ?? result.settings.horizon_s;
      if (nodes > setup.maxCount) above += Math.max(0, next - row.tS);
    });
    if (above > 0)
      notes.push(
        `policy: ${setup.flavor} clamped to maxCount ${setup.maxCount} for ${duration(above)} of trace time (demand asked for up to ${peak} nodes); raise maxCount to shorten those waits`,
      );
  }
  return notes;
}

export function registerSimulateCommand(program: Command): void {
  const command = program
    .command('simulate')
    .description(
      'Replay a job trace in virtual time through the real scaling engine, against baselines (static, KEDA, HPA, Cluster Autoscaler, the idle-only reference idle-0/300/900) and the zero-wait oracle; writes summary.json, timeline.csv and report.html',
    )
    .requiredOption('--trace <file>', 'trace CSV: job_id,submit_s,flavor,units,duration_s[,pool] (required)')
    .requiredOption('--policy <file>', 'policy item JSON (the pool and its flavors) (required)')
    .requiredOption(
      '--out <dir>',
      'directory for summary.json, timeline.csv and report.html, created if missing (required)',
    )
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
    .option(
      '--sweep <field=values>',
      'replay the policy once per value of one policy field (e.g. scaleDown.stabilizationSeconds=0,300,900 for every flavor, flavors.<name>.minCount=1,2, cooldownSeconds=0,60) and every baseline once; writes the cost/wait frontier to summary.json (frontier) and report.html and prints it',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  $ pool-autoscaler simulate --trace examples/traces/steady.csv --policy examples/traces/steady.policy.json --out out/steady\n  $ pool-autoscaler simulate --trace t.csv --policy p.json --out out/t -o json | jq \'.[] | select(.strategy == "policy")\'',
    );
  addOutputOptions(command).action(async (flags: SimulateFlags, self: Command) =>
    run(self, async () => {
      await ensureWritableDirectory(flags.out, '--out');
      // Read as every command reads a policy: line and column of a syntax error, every bad field, `$schema` allowed.
      const [jobs, { policy }] = await Promise.all([
        loadTraceFile(flags.trace),
        readPolicyDocument(flags.policy),
      ]);
      const options = {
        provisionDelaySeconds: flags.provisionDelay,
        provisionJitterSeconds: flags.provisionJitter,
        baselines: flags.baselines,
        sweepSeconds: flags.sweepSeconds,
        seed: flags.seed,
        tailSeconds: flags.tailSeconds,
        ...(flags.maxHorizonSeconds !== undefined ? { maxHorizonSeconds: flags.maxHorizonSeconds } : {}),
        ...(flags.policyScaleIn !== undefined ? { policyScaleIn: flags.policyScaleIn } : {}),
      };
      const result =
        flags.sweep === undefined
          ? simulate(jobs, policy, options)
          : simulateSweep(jobs, policy, flags.sweep, options);
      const written = await writeSimulationOutputs(flags.out, result, {
        traceName: basename(flags.trace),
        policyName: basename(flags.policy),
      });
      if (result.frontier === undefined) {
        printRecords(outputMode(flags), {
          columns: SUMMARY_COLUMNS,
          rows: result.results,
          json: (entry) => entry,
          empty: 'No strategies were run',
        });
      } else {
        printRecords(outputMode(flags), {
          columns: FRONTIER_COLUMNS,
          rows: result.frontier.points,
          json: (point) => point,
          empty: 'No points were run',
        });
      }
      for (const line of clampNotes(result)) note(line);
      if (result.settings.horizon_capped) {
        note(
          `warning: the replay stopped at the cap of ${result.settings.horizon_cap_s} s with jobs still waiting or running; they are counted unfinished (raise --max-horizon-seconds to run longer)`,
        );
      }
      note(`wrote ${written.join(', ')}`);
    }),
  );
}
