import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerSimulateCommand } from '../../bin/commands/simulate';
import { TIMELINE_HEADER } from '../../policy-sim/outputs/timeline-csv';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'policy-sim-cli-'));
  await writeFile(
    join(dir, 'trace.csv'),
    'job_id,submit_s,flavor,units,duration_s\nj1,0,gpu,8,900\nj2,30,gpu,4,600\nj3,60,gpu,16,300\n',
  );
  await writeFile(
    join(dir, 'policy.json'),
    JSON.stringify({ pool: 'pool-cli', flavors: { gpu: { minCount: 1, maxCount: 6, unitsPerNode: 8 } } }),
  );
  await writeFile(join(dir, 'broken.csv'), 'job_id,submit_s,flavor,units,duration_s\nj1,0,gpu,eight,900\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the command; what it printed (stdout, then the status lines on stderr), or its error as a rejection. */
async function run(args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  registerSimulateCommand(program);
  let printed = '';
  let errors = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed += String(chunk);
    return true;
  });
  const errorSpy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    errors += String(chunk);
    return true;
  });
  process.exitCode = undefined;
  try {
    await program.parseAsync(['node', 'pool-autoscaler', 'simulate', ...args]);
  } finally {
    spy.mockRestore();
    errorSpy.mockRestore();
  }
  const failed = process.exitCode;
  process.exitCode = undefined;
  if (failed) throw new Error(errors);
  return printed + errors;
}

describe('simulate command', () => {
  it('writes summary.json, timeline.csv and report.html and prints a summary table', async () => {
    const out = join(dir, 'out');
    const printed = await run([
      '--trace',
      join(dir, 'trace.csv'),
      '--policy',
      join(dir, 'policy.json'),
      '--out',
      out,
      '--provision-delay',
      '120',
      '--baselines',
      'static,hpa',
      '--sweep-seconds',
      '30',
      '--seed',
      '3',
    ]);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as {
      results: Array<{ strategy: string; node_seconds: number; wait_s: Record<string, number> }>;
      settings: { provision_delay_s: number; sweep_seconds: number };
      trace: { name: string };
    };
    expect(summary.results.map((entry) => entry.strategy)).toEqual(['policy', 'static', 'hpa', 'oracle']);
    expect(summary.settings).toMatchObject({ provision_delay_s: 120, sweep_seconds: 30 });
    expect(summary.trace.name).toBe('trace.csv');
    for (const entry of summary.results) {
      expect(Object.keys(entry.wait_s)).toEqual(['mean', 'p50', 'p95', 'p99', 'max']);
    }
    const timeline = await readFile(join(out, 'timeline.csv'), 'utf8');
    expect(timeline.split('\n')[0]).toBe(TIMELINE_HEADER);
    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    for (const heading of [
      'node-hours',
      'ratio to oracle',
      'p95',
      'PATCHes',
      'scale operations',
      'reversals',
      'preempted jobs',
      'starved jobs',
    ]) {
      expect(html).toContain(`<th>${heading}</th>`);
    }
    expect(html).toContain('wait-time distribution');
    expect(html).toContain('policy: demand vs nodes');
    expect(printed).toContain('oracle');
    expect(printed).toContain('report.html');
  });

  it("takes the policy's scaleIn unless --policy-scale-in replaces it, and prints scale operations", async () => {
    const read = async (out: string) =>
      JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as {
        settings: { policy_scale_in: string; baselines: string[] };
        results: Array<{ strategy: string; scale_operations: number; starved_jobs: number }>;
      };
    const base = ['--trace', join(dir, 'trace.csv'), '--policy', join(dir, 'policy.json')];
    const printed = await run([...base, '--out', join(dir, 'own'), '--baselines', 'cluster-autoscaler']);
    const own = await read(join(dir, 'own'));
    expect(own.settings).toMatchObject({ policy_scale_in: 'nodes', baselines: ['cluster-autoscaler'] });
    expect(own.results.map((entry) => entry.strategy)).toEqual(['policy', 'cluster-autoscaler', 'oracle']);
    for (const entry of own.results) expect(entry.scale_operations).toBeGreaterThanOrEqual(0);
    expect(printed).toContain('scale ops');
    expect(printed).toContain('starved');
    await run([...base, '--out', join(dir, 'what-if'), '--baselines', 'none', '--policy-scale-in', 'patch']);
    expect((await read(join(dir, 'what-if'))).settings.policy_scale_in).toBe('patch');
    await expect(run([...base, '--out', dir, '--policy-scale-in', 'idle-nodes'])).rejects.toThrow(
      /idle-nodes/,
    );
  });

  it('names the line and column of a broken trace', async () => {
    await expect(
      run([
        '--trace',
        join(dir, 'broken.csv'),
        '--policy',
        join(dir, 'policy.json'),
        '--out',
        join(dir, 'x'),
      ]),
    ).rejects.toThrow(/trace line 2, column units/);
  });

  it('rejects an unknown baseline', async () => {
    await expect(
      run([
        '--trace',
        join(dir, 'trace.csv'),
        '--policy',
        join(dir, 'policy.json'),
        '--out',
        dir,
        '--baselines',
        'karpenter',
      ]),
    ).rejects.toThrow(/unknown baseline karpenter/);
  });
});

describe('simulate --sweep', () => {
  const base = () => ['--trace', join(dir, 'trace.csv'), '--policy', join(dir, 'policy.json')];

  it('replays the policy per value and every baseline once, and writes the frontier', async () => {
    const out = join(dir, 'sweep');
    const printed = await run([
      ...base(),
      '--out',
      out,
      '--baselines',
      'keda,cluster-autoscaler',
      '--sweep',
      'scaleDown.stabilizationSeconds=0,900',
    ]);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as {
      results: Array<{ strategy: string; node_hours: number; wait_s: { p95: number } }>;
      frontier: {
        field: string;
        points: Array<{
          strategy: string;
          label: string;
          value?: string;
          node_hours: number;
          oracle_ratio: number;
          wait_p50_s: number;
          wait_p95_s: number;
          wait_max_s: number;
          scale_operations: number;
          preempted_jobs: number;
          unfinished_jobs: number;
          pareto: boolean;
        }>;
      };
    };
    const { frontier } = summary;
    expect(frontier.field).toBe('scaleDown.stabilizationSeconds');
    expect(frontier.points.map((point) => point.label)).toEqual([
      'scaleDown.stabilizationSeconds=0',
      'scaleDown.stabilizationSeconds=900',
      'keda',
      'cluster-autoscaler',
    ]);
    // The first value's replay is the result's policy; the baselines are the same runs in both tables.
    const policy = summary.results.find((entry) => entry.strategy === 'policy')!;
    expect(frontier.points[0]).toMatchObject({
      node_hours: policy.node_hours,
      wait_p95_s: policy.wait_s.p95,
    });
    for (const name of ['keda', 'cluster-autoscaler']) {
      const baseline = summary.results.find((entry) => entry.strategy === name)!;
      expect(frontier.points.find((point) => point.label === name)?.node_hours).toBe(baseline.node_hours);
    }
    // A longer window keeps idle nodes longer: it never costs less.
    expect(frontier.points[1]!.node_hours).toBeGreaterThanOrEqual(frontier.points[0]!.node_hours);
    // Pareto: exactly the points no other beats on both node-hours and p95 wait.
    for (const point of frontier.points) {
      const beaten = frontier.points.some(
        (other) =>
          other !== point &&
          other.node_hours <= point.node_hours &&
          other.wait_p95_s <= point.wait_p95_s &&
          (other.node_hours < point.node_hours || other.wait_p95_s < point.wait_p95_s),
      );
      expect(point.pareto).toBe(!beaten);
    }
    expect(printed).toContain('scaleDown.stabilizationSeconds=900');
    expect(printed.split('\n')[0]).toContain('pareto');
    const report = await readFile(join(out, 'report.html'), 'utf8');
    expect(report).toContain('Cost/wait frontier');
    for (const label of ['scaleDown.stabilizationSeconds=0', 'keda', 'cluster-autoscaler', 'oracle'])
      expect(report).toContain(label);
  });

  it('sweeps one flavor by name and a top-level field, and keeps other flavors as they are', async () => {
    const out = join(dir, 'sweep-flavor');
    await run([...base(), '--out', out, '--baselines', 'none', '--sweep', 'flavors.gpu.minCount=1,3']);
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as {
      frontier: { points: Array<{ label: string; node_hours: number }> };
    };
    const [one, three] = summary.frontier.points;
    expect(summary.frontier.points).toHaveLength(2);
    // Three nodes kept at all times cost more than one.
    expect(three!.node_hours).toBeGreaterThan(one!.node_hours);
    await run([...base(), '--out', out, '--baselines', 'none', '--sweep', 'cooldownSeconds=0,120']);
  });

  it.each([
    [
      'scaleDown.stabilisationSeconds=0,300',
      /scaleDown\.stabilisationSeconds is not a policy field \(did you mean stabilizationSeconds\?\)/,
    ],
    ['flavors.*.minCount=0,2', /flavors\.gpu\.minCount must be at least 1/],
    ['flavors.npu.minCount=1', /no flavor of the policy starts the field/],
    ['scaleDown=1,2', /scaleDown is not a single value/],
    ['scaleDown.policies[3].value=1', /the list has 1 element/],
    ['maxCont=4', /did you mean maxCount\?/],
    ['unitsPerNode=4,8', /unitsPerNode is what a node holds/],
    ['cooldownSeconds', /expected FIELD=V1,V2/],
    ['cooldownSeconds=0,,60', /every value must be non-empty/],
    ['scaleIn=nodes,sideways', /scaleIn/],
  ])('rejects --sweep %s naming the field', async (sweep, message) => {
    await expect(
      run([...base(), '--out', join(dir, 'sweep-bad'), '--baselines', 'none', '--sweep', sweep]),
    ).rejects.toThrow(message);
  });
});
