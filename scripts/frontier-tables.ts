/**
 * Prints the measured tables of docs/simulators.md from the `summary.json` files the commands shown there write:
 * `npx tsx scripts/frontier-tables.ts results out/<trace> ...` (one table per run: every strategy) and
 * `npx tsx scripts/frontier-tables.ts frontier out/<trace>-<sweep> ...` (one table per run: its frontier) and
 * `npx tsx scripts/frontier-tables.ts points out/<trace>-<sweep> ...` (one table of every run's sweep points).
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

const [mode, ...dirs] = process.argv.slice(2);
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
