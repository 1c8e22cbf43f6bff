/**
 * Writes the example traces of `examples/traces/` and their policies. Seeded: running it again writes the same
 * bytes. Usage: `npx tsx scripts/generate-traces.ts [--out DIR] [--seed N]`.
 *
 * - `steady.csv`: one GPU flavor, Poisson arrivals at a constant rate for 12 hours; job sizes of 1 to 8 GPUs,
 *   log-normal run times (median 40 minutes).
 * - `diurnal.csv`: the same flavor over 24 hours with a day/night cycle (quiet at night, peak mid-afternoon) and
 *   bursts of 15 to 40 jobs submitted within a minute (hyper-parameter sweeps).
 * - `multi-flavor.csv`: a GPU, an NPU and a CPU flavor over 12 hours, with large multi-node jobs (2 to 16 nodes)
 *   beside single-node work.
 * - `gpu-weeks.csv`: shaped like a real GPU cluster's trace over 14 days: mostly 1-GPU jobs with long-tailed run
 *   times (log-normal, minutes to a week and more), some whole-node and a few multi-node jobs, arrivals following
 *   the working day and the week, and a few bursts of short 1-GPU jobs (a sweep submitted at once). Idle GPUs
 *   fragment: long 1-GPU jobs pin nodes that are otherwise idle.
 * - `two-flavor-weeks.csv`: the same shape over 21 days on a GPU and an NPU flavor, the NPU jobs with Pareto run
 *   times (a heavier tail).
 *
 * Each trace gets `<name>.policy.json`: the default policy (`default.policy.json`, tuned on these traces) limited to
 * the flavors the trace uses; so does the hand-written `demo.csv` (`demo.policy.json`). `generateTrace(name, seed)`
 * is exported for tests and benchmarks.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatTrace, parseTrace, type TraceJob } from '../policy-sim/trace';
import { seededRandom, type Random } from '../policy-sim/rng';

export const GPU = 'modelarts.vm.gpu.8v100';
export const NPU = 'modelarts.vm.npu.8snt9b';
export const CPU = 'modelarts.vm.cpu.8ud';

const HOUR = 3600;
const DAY = 24 * HOUR;

/**
 * Scaling rules shared by every flavor of the default policy; the bounds differ per flavor. No AZ weights: the
 * pool lives in one AZ, where multi-node training jobs get the low-latency network they need, and scale-in never
 * has to take a busy node in one AZ while another AZ has idle ones.
 */
const DEFAULT_RULES = {
  targetUtilization: 1,
  activationUnits: 1,
  // Double, or add 16 nodes, a minute: one PATCH brings every node a queued job spread over 16 nodes needs (the
  // largest in these traces); with 8 a minute such a job waited a second minute for the rest of its nodes.
  scaleUp: {
    stabilizationSeconds: 0,
    policies: [
      { type: 'Percent', value: 100, periodSeconds: 60 },
      { type: 'Nodes', value: 16, periodSeconds: 60 },
    ],
    select: 'Max',
  },
  // No window: every idle node scale-in may take goes at once, all in one batch-delete; what keeps nodes for the
  // next jobs is the reuse rule below, not a fixed delay (docs/simulators.md, "Moving the frontier").
  scaleDown: {
    stabilizationSeconds: 0,
    policies: [{ type: 'Percent', value: 100, periodSeconds: 60 }],
    select: 'Max',
  },
  // Reuse-aware scale-in: as many idle nodes stay as the jobs of the last 20 minutes asked for per provisioning
  // delay (300 s), so a busy flavor keeps the nodes its next jobs take and a quiet one lets them go at once.
  idleNodes: { keepSeconds: 120, reuseLeadSeconds: 300, reuseWindowSeconds: 1200 },
};

export const DEFAULT_POLICY = {
  pool: 'pool-sim01-6f5da086876d4cd084d36f8bd3346036',
  projectId: '6f5da086876d4cd084d36f8bd3346036',
  region: 'cn-north-4',
  enabled: true,
  dryRun: false,
  cooldownSeconds: 0,
  staleAfterSeconds: 300,
  scaleWhileChanging: true,
  flavors: {
    [GPU]: { minCount: 1, maxCount: 48, unitsPerNode: 8, ...DEFAULT_RULES },
    [NPU]: { minCount: 1, maxCount: 48, unitsPerNode: 8, ...DEFAULT_RULES },
    [CPU]: { minCount: 1, maxCount: 64, unitsPerNode: 1, ...DEFAULT_RULES },
  },
};

export const TRACE_NAMES = [
  'steady',
  'diurnal',
  'multi-flavor',
  'gpu-weeks',
  'two-flavor-weeks',
  'gpu-fortnight',
] as const;
export type TraceName = (typeof TRACE_NAMES)[number];

/** Exponentially distributed gap for a Poisson process of `ratePerS`. */
function exponential(random: Random, ratePerS: number): number {
  return -Math.log(1 - random.next()) / ratePerS;
}

/** Log-normal seconds with the given median, clamped, whole seconds. */
function logNormal(random: Random, medianS: number, sigma: number, minS: number, maxS: number): number {
  const u1 = Math.max(random.next(), 1e-12);
  const u2 = random.next();
  const normal = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.round(Math.min(maxS, Math.max(minS, medianS * Math.exp(sigma * normal))));
}

function weighted<T>(random: Random, choices: ReadonlyArray<readonly [T, number]>): T {
  const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
  let draw = random.next() * total;
  for (const [value, weight] of choices) {
    draw -= weight;
    if (draw < 0) return value;
  }
  return choices[choices.length - 1]![0];
}

const SINGLE_NODE_GPU_UNITS = [
  [8, 0.5],
  [4, 0.2],
  [2, 0.15],
  [1, 0.15],
] as const;

/** Arrivals of a non-homogeneous Poisson process by thinning: `rate(t)` at most `peakRate`. */
function arrivals(random: Random, endS: number, peakRate: number, rate: (tS: number) => number): number[] {
  const times: number[] = [];
  for (let t = exponential(random, peakRate); t < endS; t += exponential(random, peakRate)) {
    if (random.next() * peakRate < rate(t)) times.push(Math.round(t));
  }
  return times;
}

function steady(random: Random): TraceJob[] {
  return arrivals(random, 12 * HOUR, 1 / 120, () => 1 / 120).map((submitS) => ({
    jobId: '',
    submitS,
    flavor: GPU,
    units: weighted(random, SINGLE_NODE_GPU_UNITS),
    durationS: logNormal(random, 40 * 60, 0.6, 300, 4 * HOUR),
  }));
}

function diurnal(random: Random): TraceJob[] {
  // Quiet at night (1 job per 15 min), peak at 14:00 (1 job per 40 s).
  const rate = (tS: number): number => {
    const hour = (tS / HOUR) % 24;
    const day = Math.max(0, Math.cos(((hour - 14) / 24) * 2 * Math.PI));
    return 1 / 900 + (1 / 40 - 1 / 900) * day ** 2;
  };
  const jobs: TraceJob[] = arrivals(random, 24 * HOUR, 1 / 40, rate).map((submitS) => ({
    jobId: '',
    submitS,
    flavor: GPU,
    units: weighted(random, SINGLE_NODE_GPU_UNITS),
    durationS: logNormal(random, 20 * 60, 0.7, 120, 3 * HOUR),
  }));
  for (const startS of [9.5 * HOUR, 11 * HOUR, 13.25 * HOUR, 15.5 * HOUR, 17 * HOUR, 21 * HOUR]) {
    const size = 15 + Math.floor(random.next() * 26);
    const units = weighted(random, [
      [1, 0.4],
      [2, 0.3],
      [8, 0.3],
    ] as const);
    for (let i = 0; i < size; i++) {
      jobs.push({
        jobId: '',
        submitS: Math.round(startS + random.next() * 60),
        flavor: GPU,
        units,
        durationS: logNormal(random, 15 * 60, 0.4, 120, HOUR),
      });
    }
  }
  return jobs;
}

function multiFlavor(random: Random): TraceJob[] {
  const end = 12 * HOUR;
  const gpu = arrivals(random, end, 1 / 200, () => 1 / 200).map((submitS) => ({
    jobId: '',
    submitS,
    flavor: GPU,
    units: weighted(random, [...SINGLE_NODE_GPU_UNITS, [16, 0.1], [32, 0.05]] as const),
    durationS: logNormal(random, 45 * 60, 0.6, 300, 4 * HOUR),
  }));
  const npu = arrivals(random, end, 1 / 900, () => 1 / 900).map((submitS) => ({
    jobId: '',
    submitS,
    flavor: NPU,
    units: weighted(random, [
      [8, 0.3],
      [16, 0.25],
      [32, 0.25],
      [64, 0.15],
      [128, 0.05],
    ] as const),
    durationS: logNormal(random, 90 * 60, 0.5, 600, 6 * HOUR),
  }));
  const cpu = arrivals(random, end, 1 / 60, () => 1 / 60).map((submitS) => ({
    jobId: '',
    submitS,
    flavor: CPU,
    units: weighted(random, [
      [1, 0.8],
      [2, 0.2],
    ] as const),
    durationS: logNormal(random, 10 * 60, 0.8, 60, 2 * HOUR),
  }));
  return [...gpu, ...npu, ...cpu];
}

/** Pareto seconds with scale `minS` and shape `alpha` (below 1: a very heavy tail), capped, whole seconds. */
function pareto(random: Random, minS: number, alpha: number, maxS: number): number {
  const u = Math.max(1 - random.next(), 1e-12);
  return Math.round(Math.min(maxS, minS / u ** (1 / alpha)));
}

/**
 * Job shapes of a shared training cluster with 8-accelerator nodes (as in published GPU cluster traces: most jobs
 * take one accelerator, few a whole node, very few several nodes).
 */
const CLUSTER_UNITS = [
  [1, 0.72],
  [2, 0.1],
  [4, 0.07],
  [8, 0.08],
  [16, 0.02],
  [32, 0.01],
] as const;

/**
 * Arrivals per second of a cluster whose users work office hours: a floor at night, a peak mid-afternoon, half
 * as many at weekends (the trace starts on a Monday).
 */
function workingWeek(meanPerDay: number): { peak: number; rate: (tS: number) => number } {
  const shape = (tS: number): number => {
    const hour = (tS / HOUR) % 24;
    const weekend = Math.floor(tS / DAY) % 7 >= 5 ? 0.5 : 1;
    return weekend * (0.25 + 0.75 * Math.max(0, Math.cos(((hour - 14) / 24) * 2 * Math.PI)) ** 2);
  };
  // The mean of shape over a week, so that meanPerDay holds on average.
  let sum = 0;
  const steps = 7 * 24 * 12;
  for (let i = 0; i < steps; i++) sum += shape((i * 7 * DAY) / steps);
  const scale = meanPerDay / DAY / (sum / steps);
  return { peak: scale, rate: (tS) => scale * shape(tS) };
}

/** Cluster jobs of one flavor, arriving over a working week, with run times drawn by `duration`. */
function clusterJobs(
  random: Random,
  flavor: string,
  days: number,
  perDay: number,
  duration: (random: Random) => number,
  units: ReadonlyArray<readonly [number, number]> = CLUSTER_UNITS,
): TraceJob[] {
  const { peak, rate } = workingWeek(perDay);
  return arrivals(random, days * DAY, peak, rate).map((submitS) => ({
    jobId: '',
    submitS,
    flavor,
    units: weighted(random, units),
    durationS: duration(random),
  }));
}

/** A few sweeps a week: 10 to 30 short 1-accelerator jobs submitted within two minutes, in working hours. */
function sweeps(random: Random, flavor: string, days: number, perWeek: number): TraceJob[] {
  const jobs: TraceJob[] = [];
  const count = Math.round((days / 7) * perWeek);
  for (let i = 0; i < count; i++) {
    const day = Math.floor(random.next() * days);
    const startS = day * DAY + (9 + random.next() * 8) * HOUR;
    const size = 10 + Math.floor(random.next() * 21);
    for (let j = 0; j < size; j++) {
      jobs.push({
        jobId: '',
        submitS: Math.round(startS + random.next() * 120),
        flavor,
        units: 1,
        durationS: logNormal(random, 20 * 60, 0.5, 120, 3 * HOUR),
      });
    }
  }
  return jobs;
}

const LOG_NORMAL_RUN = (random: Random): number => logNormal(random, 12 * 60, 2, 60, 14 * DAY);

function gpuWeeks(random: Random): TraceJob[] {
  return [...clusterJobs(random, GPU, 14, 180, LOG_NORMAL_RUN), ...sweeps(random, GPU, 14, 2)];
}

function twoFlavorWeeks(random: Random): TraceJob[] {
  return [
    ...clusterJobs(random, GPU, 21, 95, LOG_NORMAL_RUN),
    ...clusterJobs(random, NPU, 21, 30, (r) => pareto(r, 5 * 60, 0.8, 14 * DAY)),
    ...sweeps(random, GPU, 21, 1),
  ];
}

/**
 * Job shapes of a busy shared cluster dominated by single-accelerator work (debugging, small fine-tunes,
 * evaluations): whole-node and multi-node jobs are rare.
 */
const SINGLE_GPU_CLUSTER_UNITS = [
  [1, 0.86],
  [2, 0.06],
  [4, 0.045],
  [8, 0.025],
  [16, 0.008],
  [32, 0.002],
] as const;

/**
 * 500 jobs a day for 14 days, run times log-normal with a median of 2 minutes and a very long tail (a mean near an
 * hour, some over a week). Calibrated on the first-fit idle-only reference of a real 14-day GPU trace: removing
 * idle nodes after 0, 300 or 900 s costs within a few percent of each other while the p95 wait falls from about a
 * hundred seconds to none (docs/simulators.md).
 */
function gpuFortnight(random: Random): TraceJob[] {
  const run = (r: Random): number => logNormal(r, 2 * 60, 2.6, 30, 14 * DAY);
  return clusterJobs(random, GPU, 14, 500, run, SINGLE_GPU_CLUSTER_UNITS);
}

const GENERATORS: Record<TraceName, (random: Random) => TraceJob[]> = {
  'gpu-fortnight': gpuFortnight,
  steady,
  diurnal,
  'multi-flavor': multiFlavor,
  'gpu-weeks': gpuWeeks,
  'two-flavor-weeks': twoFlavorWeeks,
};

/** One synthetic trace, sorted by submit time, with job ids `<name>-00001`... in that order. */
export function generateTrace(name: TraceName, seed: number): TraceJob[] {
  const jobs = GENERATORS[name](seededRandom(seed)).sort((a, b) => a.submitS - b.submitS);
  const prefix = name.replace(/[^a-z]/g, '').slice(0, 6);
  return jobs.map((job, index) => ({ ...job, jobId: `${prefix}-${String(index + 1).padStart(5, '0')}` }));
}

/** A steady trace of exactly `count` jobs over one flavor, for speed measurements. */
export function generateLoadTrace(count: number, seed: number): TraceJob[] {
  const random = seededRandom(seed);
  let t = 0;
  const jobs: TraceJob[] = [];
  for (let i = 0; i < count; i++) {
    t += exponential(random, 1 / 20);
    jobs.push({
      jobId: `load-${String(i + 1).padStart(6, '0')}`,
      submitS: Math.round(t),
      flavor: GPU,
      units: weighted(random, SINGLE_NODE_GPU_UNITS),
      durationS: logNormal(random, 20 * 60, 0.6, 60, 3 * HOUR),
    });
  }
  return jobs;
}

/** The default policy limited to the flavors a trace uses. */
export function policyForTrace(jobs: readonly TraceJob[]): Omit<typeof DEFAULT_POLICY, 'flavors'> & {
  flavors: Partial<(typeof DEFAULT_POLICY)['flavors']>;
} {
  const used = new Set(jobs.map((job) => job.flavor));
  const flavors = Object.fromEntries(
    Object.entries(DEFAULT_POLICY.flavors).filter(([flavor]) => used.has(flavor)),
  );
  return { ...DEFAULT_POLICY, flavors };
}

/** A policy as the shipped files hold it: pointing editors at the policy's JSON Schema, next door. */
export function policyFile<P extends object>(policy: P): { $schema: string } & P {
  return { $schema: '../policy.schema.json', ...policy };
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`, 'utf8');
}

function main(argv: readonly string[]): void {
  const option = (name: string): string | undefined => {
    const index = argv.indexOf(name);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const out = option('--out') ?? join('examples', 'traces');
  const seed = Number(option('--seed') ?? '20261123');
  mkdirSync(out, { recursive: true });
  writeJson(join(out, 'default.policy.json'), policyFile(DEFAULT_POLICY));
  TRACE_NAMES.forEach((name, index) => {
    const jobs = generateTrace(name, seed + index);
    writeFileSync(join(out, `${name}.csv`), formatTrace(jobs), 'utf8');
    writeJson(join(out, `${name}.policy.json`), policyFile(policyForTrace(jobs)));
    process.stdout.write(`${name}: ${jobs.length} jobs\n`);
  });
  // The demo trace is written by hand; its policy follows the default like the others.
  const demo = parseTrace(readFileSync(join('examples', 'traces', 'demo.csv'), 'utf8'));
  writeJson(join(out, 'demo.policy.json'), policyForTrace(demo));
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv.slice(2));
}
