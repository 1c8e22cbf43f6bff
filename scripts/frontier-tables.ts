/**
 * Prints the measured tables of docs/simulators.md from the `summary.json` files the commands shown there write:
 * `npx tsx scripts/frontier-tables.ts results out/<trace> ...` (one table per run: every strategy) and
 * `npx tsx scripts/frontier-tables.ts frontier out/<trace>-<sweep> ...` (one table per run: its frontier) and
 * `npx tsx scripts/frontier-tables.ts points out/<trace>-<sweep> ...` (one table of every run's sweep points) and
 * `npx tsx scripts/frontier-tables.ts goal out/<trace> ...` (one row per run: the policy against the cost/wait goal).
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { FrontierPoint } from '../policy-sim/frontier';
import type { StrategyResult } from '../policy-sim/types';

interface Summary {
  trace: { name: string; jobs: number };
  flavors: Array<{ flavor: string }>;
  settings: { horizon_s: number };
  results: StrategyResult[];
  frontier?: { field: string; points: FrontierPoint[] };
}

const number = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Whether `a` is at least as good as `b` on node-hours and p95 wait, and better on one. */
function dominates(a: StrategyResult, b: StrategyResult): boolean {
  const noWorse = a.node_hours <= b.node_hours && a.wait_s.p95 <= b.wait_s.p95;
  return noWorse && (a.node_hours < b.node_hours || a.wait_s.p95 < b.wait_s.p95);
}

/** The policy of one run against the goal of docs/simulators.md, "The goal". */
function goalRow(summary: Summary): string {
  const named = (name: string): StrategyResult | undefined =>
    summary.results.find((r) => r.strategy === name);
  const policy = named('policy');
  const keda = named('keda');
  const ca = named('cluster-autoscaler');
  const references = summary.results.filter((r) => r.strategy.startsWith('idle-'));
  if (policy === undefined || keda === undefined || ca === undefined || references.length === 0) {
    throw new Error(
      `${summary.trace.name}: the goal needs the policy, keda, cluster-autoscaler and idle-* results`,
    );
  }
  const cheapest = references.reduce((best, r) => (r.node_hours < best.node_hours ? r : best));
  const over = (policy.node_hours / cheapest.node_hours - 1) * 100;
  const mark = (ok: boolean): string => (ok ? 'yes' : '**no**');
  const baselines = summary.results.filter((r) => r.strategy !== 'policy' && r.strategy !== 'oracle');
  const dominatedBy = baselines.filter((r) => dominates(r, policy)).map((r) => r.strategy);
  const safe = policy.preempted_jobs === 0 && policy.unfinished_jobs === 0;
  return `| ${summary.trace.name} | ${mark(safe)} | ${number(policy.node_hours, 1)} | ${cheapest.strategy} ${number(cheapest.node_hours, 1)} | ${over >= 0 ? '+' : ''}${over.toFixed(1)} % ${mark(over <= 1)} | ${number(policy.wait_s.p95)} s ${mark(policy.wait_s.p95 <= 60)} | ${number(policy.scale_operations)} / ${number(keda.scale_operations)} ${mark(policy.scale_operations <= keda.scale_operations)} | ${dominatedBy.length === 0 ? 'none' : `**${dominatedBy.join(', ')}**`} | ${number(ca.node_hours, 1)}, ${number(ca.wait_s.p95)} s ${mark(!dominates(ca, policy) && dominates(policy, ca))} |\n`;
}

const [mode, ...dirs] = process.argv.slice(2);
if (mode === 'goal') {
  process.stdout.write(
    '| trace | none preempted or unfinished | policy node-hours | cheapest reference | policy above it (≤ 1 %) | p95 wait (≤ 60 s) | scale operations / keda | dominated by | cluster-autoscaler (node-hours, p95): policy better |\n| --- | :---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |\n',
  );
  for (const dir of dirs) {
    process.stdout.write(goalRow(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary));
  }
  process.exit(0);
}
if (mode === 'points') {
  process.stdout.write(
    '| trace | value | node-hours | × oracle | p50 wait (s) | p95 wait (s) | max wait (s) | scale operations | preempted | unfinished | starved | Pareto |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |\n',
  );
}
for (const dir of dirs) {
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;
  const days = (summary.settings.horizon_s / 86_400).toFixed(1);
  if (mode === 'results') {
    process.stdout.write(
      `**${summary.trace.name}**: ${summary.trace.jobs} jobs, ${summary.flavors.map((f) => f.flavor).join(', ')}; every figure over ${number(summary.settings.horizon_s)} s (${days} days)\n\n`,
    );
    process.stdout.write(
      '| strategy | node-hours | × oracle | p50 wait (s) | p95 wait (s) | max wait (s) | scale operations | preempted | unfinished | starved |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n',
    );
    for (const r of summary.results) {
      const name = r.strategy === 'policy' ? '**policy**' : r.strategy;
      process.stdout.write(
        `| ${name} | ${number(r.node_hours, 1)} | ${r.oracle_ratio.toFixed(3)} | ${number(r.wait_s.p50)} | ${number(r.wait_s.p95)} | ${number(r.wait_s.max)} | ${number(r.scale_operations)} | ${r.preempted_jobs} | ${r.unfinished_jobs} | ${r.starved_jobs} |\n`,
      );
    }
  } else if (mode === 'points' && summary.frontier !== undefined) {
    for (const p of summary.frontier.points.filter((point) => point.value !== undefined)) {
      process.stdout.write(
        `| ${summary.trace.name} | ${p.value} | ${number(p.node_hours, 1)} | ${p.oracle_ratio.toFixed(3)} | ${number(p.wait_p50_s)} | ${number(p.wait_p95_s)} | ${number(p.wait_max_s)} | ${number(p.scale_operations)} | ${p.preempted_jobs} | ${p.unfinished_jobs} | ${p.starved_jobs} | ${p.pareto ? 'yes' : ''} |\n`,
      );
    }
    continue;
  } else if (mode === 'frontier' && summary.frontier !== undefined) {
    process.stdout.write(`**${summary.trace.name}** (\`${basename(dir)}\`)\n\n`);
    process.stdout.write(
      '| point | node-hours | × oracle | p50 wait (s) | p95 wait (s) | max wait (s) | scale operations | preempted | unfinished | Pareto |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |\n',
    );
    for (const p of summary.frontier.points) {
      process.stdout.write(
        `| ${p.label.replace(/^.*\./, '')} | ${number(p.node_hours, 1)} | ${p.oracle_ratio.toFixed(3)} | ${number(p.wait_p50_s)} | ${number(p.wait_p95_s)} | ${number(p.wait_max_s)} | ${number(p.scale_operations)} | ${p.preempted_jobs} | ${p.unfinished_jobs} | ${p.pareto ? 'yes' : ''} |\n`,
      );
    }
  } else {
    throw new Error('usage: frontier-tables.ts results|frontier|points DIR...');
  }
  process.stdout.write('\n');
}
