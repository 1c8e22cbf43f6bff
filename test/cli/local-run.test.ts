import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, runEntry } from './run-cli';

interface Summary {
  pool: string;
  trace: { name: string; jobs: number };
  results: Array<{
    strategy: string;
    patches: number;
    scale_operations: number;
    preempted_jobs: number;
    unfinished_jobs: number;
    node_seconds: number;
  }>;
}

interface RunInfo {
  stop_reason: string;
  moves: Record<string, { scaleUps: number; scaleDowns: number; targets: number[] }>;
  killed_workloads: number;
  queue: { received: number; failed: number; deadLetters: number };
}

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('npm start (bin/local-run.ts)', () => {
  it('replays a short trace through the real handlers to the end, scaling up and back down, and writes the report', async () => {
    const out = await mkdtemp(join(tmpdir(), 'local-run-'));
    dirs.push(out);
    const run = await runEntry(
      'bin/local-run.ts',
      ['--trace', 'test/cli/fixtures/tiny.csv', '--speed', '200', '--duration', '45', '--out', out],
      {},
      90_000,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // Not a terminal: plain progress lines, then the closing summary.
    expect(run.stdout).toMatch(/^\[\d\d:\d\d:\d\d\] jobs \d+\/5 done/m);
    expect(run.stdout).toMatch(
      /^ {2}gpu\.8v100 +all +demand +\d+ units +target +\d+ +creating +\d+ +available +\d+/m,
    );
    expect(run.stdout).toContain('Run finished after');

    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as Summary;
    expect(summary.trace).toMatchObject({ name: 'tiny.csv', jobs: 5 });
    expect(summary.results.map((result) => result.strategy)).toEqual(['policy', 'oracle']);
    const policy = summary.results[0]!;
    // Up by PATCH, down by removing idle nodes by name.
    expect(policy.patches).toBeGreaterThanOrEqual(1);
    expect(policy.scale_operations).toBeGreaterThanOrEqual(2);
    expect(policy.preempted_jobs).toBe(0);
    expect(policy.unfinished_jobs).toBe(0);
    expect(policy.node_seconds).toBeGreaterThan(0);

    const info = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as RunInfo;
    expect(info.stop_reason).toBe('finished');
    const gpu = info.moves['modelarts.vm.gpu.8v100']!;
    // Up for the four 8-GPU jobs, then down once they are done.
    const peak = gpu.targets.indexOf(Math.max(...gpu.targets));
    expect(peak).toBeGreaterThan(0);
    expect(gpu.targets[peak]).toBeGreaterThan(gpu.targets[0]!);
    expect(gpu.targets.slice(peak + 1).length).toBeGreaterThan(0);
    expect(gpu.targets[gpu.targets.length - 1]).toBeLessThan(gpu.targets[peak]!);
    // Jobs killed by a scale-in, as the replay counted them from the transitions and as the simulator did.
    expect(policy.preempted_jobs).toBe(info.killed_workloads);
    expect(info.queue.failed).toBe(0);
    expect(info.queue.deadLetters).toBe(0);

    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain(`<h1>Local run: ${summary.pool}</h1>`);
    expect(html).toContain('pool on the ModelArts simulator');
    expect(html).not.toContain('seed 0');
    // The PATCH up and the removal by name, marked with the engine's reasons; the nodes split by AZ.
    expect(html).toMatch(/data-kind="patch" data-count="\d+"[^>]*><title>[^<]*PATCH \d+ → \d+ nodes: [^<]+</);
    expect(html).toMatch(/data-kind="batch-delete"/);
    expect(html).toContain('aria-label="policy: nodes per AZ"');
  }, 100_000);

  it("takes the trace's own <trace>.policy.json, warns before the run that demand exceeds maxCount and says so in the summary; --data-dir is made when missing", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'local-run-own-policy-'));
    dirs.push(dir);
    await copyFile('test/cli/fixtures/tiny.csv', join(dir, 'tiny.csv'));
    const demo = JSON.parse(await readFile('local/demo-policy.json', 'utf8')) as {
      flavors: Record<string, { maxCount: number }>;
    };
    for (const rules of Object.values(demo.flavors)) rules.maxCount = 2;
    await writeFile(join(dir, 'tiny.policy.json'), JSON.stringify(demo));
    const dataDir = join(dir, 'missing', 'db');
    const run = await runEntry(
      'bin/local-run.ts',
      [
        '--trace',
        join(dir, 'tiny.csv'),
        '--speed',
        '200',
        '--duration',
        '40',
        '--out',
        join(dir, 'out'),
        '--data-dir',
        dataDir,
      ],
      {},
      90_000,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("policy tiny.policy.json (the trace's own; --policy to use another)");
    const warning = run.stdout.indexOf(
      "warning: modelarts.vm.gpu.8v100: the trace's demand needs up to 4 nodes at once, above maxCount 2: it will be clamped to maxCount 2 and jobs will wait",
    );
    expect(warning).toBeGreaterThanOrEqual(0);
    // Said before the first progress line, and again in the closing summary.
    expect(warning).toBeLessThan(run.stdout.search(/\] jobs \d+\/5 done/));
    expect(run.stdout).toMatch(
      /^ {2}policy: modelarts\.vm\.gpu\.8v100 clamped to maxCount 2 for .+ of trace time/m,
    );
    expect((await stat(dataDir)).isDirectory()).toBe(true);
  }, 100_000);

  it('refuses an --out or --data-dir it cannot write and a bad --policy, naming the flag, before the run starts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'local-run-refused-'));
    dirs.push(dir);
    const file = join(dir, 'a-file');
    await writeFile(file, '');
    await writeFile(
      join(dir, 'bad.policy.json'),
      JSON.stringify({ pool: 'p', flavors: { f: { minCount: -1 } } }),
    );
    const [out, dataDir, policy, apply, session] = await Promise.all([
      runEntry('bin/local-run.ts', ['--out', '/etc/passwd']),
      runEntry('bin/local-run.ts', ['--data-dir', join(file, 'db')]),
      runEntry('bin/local-run.ts', ['--policy', join(dir, 'bad.policy.json')]),
      runEntry('bin/local-run.ts', ['--apply']),
      runCli(['local', 'up', '--data-dir', join(file, 'db')]),
    ]);
    // Nothing ran: no progress line, no report; one line on stderr.
    for (const result of [out, dataDir, policy, apply, session]) {
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
    }
    expect(out.stderr).toBe('error: --out /etc/passwd: is a file, not a directory\n');
    expect(dataDir.stderr).toBe(
      `error: --data-dir ${join(file, 'db')}: a part of the path is a file, not a directory\n`,
    );
    expect(policy.stderr).toBe(
      `error: --policy ${join(dir, 'bad.policy.json')}: flavors.f.minCount: must be at least 1 (0 only with allowZero: true); flavors.f.maxCount: is required\n`,
    );
    expect(apply.stderr).toMatch(/^error: --apply needs --endpoint/);
    expect(session.stderr).toBe(dataDir.stderr);
  });

  it('rejects bad flags naming the flag, before starting anything', async () => {
    const run = await runEntry('bin/local-run.ts', ['--speed', '-3']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: --speed must be above 0\n');
  });
});
