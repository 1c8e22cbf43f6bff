/**
 * What every command shares, checked on the bin as a user runs it (pipes, no terminal): --version, --help with
 * required options marked and examples, usage errors that say what is wrong and where to read more, errors in
 * words (no class names, no stack traces), quiet output on Node 20, and pipes that close early.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ModelArtsSimulator, demoPool, startModelArtsSimulator } from '../../simulator/index';
import { type CliResult, canRunOnTerminal, runCli, runEntry, runOnTerminal, runPipeline } from './run-cli';

const VERSION = (await import('../../package.json', { with: { type: 'json' } })).default.version;

let simulator: ModelArtsSimulator;
let pool: string;
let dir: string;
const TOKEN = { HUAWEICLOUD_SDK_TOKEN: 'local-token' };

beforeAll(async () => {
  simulator = await startModelArtsSimulator({ port: 0, host: '127.0.0.1', auth: false });
  pool = simulator.seedPool(demoPool()).metadata.name;
  dir = await mkdtemp(join(tmpdir(), 'cli-conventions-'));
});

afterAll(async () => {
  await simulator?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** No class name (`LocalRunInputError:`, `Error: EEXIST`), no stack frame. */
function expectPlainError(result: CliResult): void {
  expect(result.stderr).not.toMatch(/\b[A-Z]\w*Error\b:|^Error:|\n\s+at .+:\d+:\d+/m);
}

describe('--version and --help', () => {
  it('prints the package version', async () => {
    expect(await runCli(['--version'])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it('marks required options, names environment fallbacks, hides the old spellings and ends with examples', async () => {
    const [show, apply, send] = await Promise.all([
      runCli(['pool', 'show', '--help']),
      runCli(['policy', 'apply', '--help']),
      runCli(['event', 'send', '--help']),
    ]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(
      /--pool <pool> +pool name \(metadata\.name, e\.g\. pool-ae01-<project id>\)\s+\(required\)/,
    );
    expect(show.stdout).toMatch(
      /--endpoint <url> +ModelArts endpoint[^]*\(required\)[^]*\(env: MODELARTS_ENDPOINT\)/,
    );
    expect(show.stdout).toMatch(/--timeout <seconds>/);
    expect(show.stdout).toMatch(/-o, --output <mode>/);
    expect(show.stdout).not.toMatch(/--timeout-ms|--modelarts-endpoint|--json/);
    for (const help of [show, apply, send])
      expect(help.stdout).toMatch(/\nExamples:\n {2}\$ pool-autoscaler /);
  });
});

describe('usage errors', () => {
  it('print the error and where to read more, not the whole help', async () => {
    const [missing, unknown] = await Promise.all([
      runCli(['policy', 'put']),
      runCli(['policy', 'list', '--outptu', 'json']),
    ]);
    expect(missing).toEqual({
      code: 1,
      stdout: '',
      stderr: "error: missing required argument 'file'\n(see 'pool-autoscaler policy put --help')\n",
    });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(
      /^error: unknown option '--outptu'\n\(Did you mean --output\?\)\n\(see 'pool-autoscaler policy list --help'\)\n$/,
    );
  });

  it('--pool is required where a command needs it, given as an option or, where it always was, first', async () => {
    const [none, twice] = await Promise.all([
      runCli(['evaluate', '--dry-run']),
      runCli(['policy', 'get', 'pool-a', '--pool', 'pool-b']),
    ]);
    expect(none.stderr).toBe("error: --pool is required\n(see 'pool-autoscaler evaluate --help')\n");
    expect(twice.stderr).toMatch(/^error: the pool is given twice, as pool-a and --pool pool-b\n/);
  });
});

describe('errors in words', () => {
  it('a missing file, an output path that is a file, a sim start-up error: each names what is wrong, nothing runs on', async () => {
    const seed = join(dir, 'bad-pool.json');
    await writeFile(seed, JSON.stringify({ kind: 'Pool', apiVersion: 'v2', metadata: {}, spec: {} }));
    const [missing, out, sim, badSeed, apply, trace] = await Promise.all([
      runCli(['policy', 'validate', '/nonexistent/policy.json']),
      runCli([
        'simulate',
        '--trace',
        'examples/traces/steady.csv',
        '--policy',
        'examples/traces/steady.policy.json',
        '--out',
        '/etc/passwd',
      ]),
      // Before, the simulator kept serving an empty pool for ever after this error.
      runCli(['sim', '--no-auth', '--seed-pool', '/nope.json'], {}, { timeoutMs: 30_000 }),
      runCli(['sim', '--no-auth', '--seed-pool', seed], {}, { timeoutMs: 30_000 }),
      runEntry('bin/local-run.ts', ['--apply']),
      // Before: "error: LocalRunInputError: ...".
      runEntry('bin/local-run.ts', ['--trace', '/nonexistent.csv']),
    ]);
    expect(missing).toMatchObject({
      code: 1,
      stderr: 'error: /nonexistent/policy.json: no such file or directory\n',
    });
    expect(out).toMatchObject({ code: 1, stderr: 'error: --out /etc/passwd: is a file, not a directory\n' });
    expect(sim).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'error: /nope.json: no such file or directory\n',
    });
    expect(badSeed.code).toBe(1);
    expect(badSeed.stdout).toBe('');
    expect(badSeed.stderr).toMatch(
      new RegExp(`^error: --seed-pool ${seed}: .*metadata\\.labels: is mandatory\n$`),
    );
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(/^error: --apply needs --endpoint/);
    expect(trace).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^error: --trace \/nonexistent\.csv: /),
    });
    for (const result of [missing, out, sim, badSeed, apply, trace]) expectPlainError(result);
  });

  it('an unreachable DynamoDB says where it looked and how to get tables on this machine, with no AWS SDK warning', async () => {
    const result = await runCli([
      'policy',
      'list',
      '--endpoint-url',
      inject('dynamoDbEndpoint'),
      '--table-prefix',
      'none-',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error: table not found \(.+\); check --endpoint-url, --table-prefix and --region \(for tables on this machine, start 'pool-autoscaler local up'/,
    );
    // Node 20: the SDK's NodeVersionSupportWarning is kept out of the CLI's output.
    expect(result.stderr).not.toMatch(/NodeVersionSupportWarning|\(node:\d+\) Warning/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expectPlainError(result);
  });
});

describe('the ModelArts options', () => {
  it('--endpoint falls back to MODELARTS_ENDPOINT; --modelarts-endpoint and --timeout-ms still work; the pool may come first', async () => {
    const project = ['--project-id', simulator.projectId];
    const [fromEnv, alias, positional] = await Promise.all([
      runCli(['pool', 'list', ...project, '-o', 'json'], { ...TOKEN, MODELARTS_ENDPOINT: simulator.url }),
      runCli(
        [
          'pool',
          'show',
          '--pool',
          pool,
          '--modelarts-endpoint',
          simulator.url,
          '--timeout-ms',
          '5000',
          ...project,
        ],
        TOKEN,
      ),
      runCli(['pool', 'show', pool, '--endpoint', simulator.url, '--timeout', '5', ...project], TOKEN),
    ]);
    expect(fromEnv.code).toBe(0);
    expect(
      (JSON.parse(fromEnv.stdout) as { items: Array<{ metadata: { name: string } }> }).items[0]?.metadata
        .name,
    ).toBe(pool);
    for (const result of [alias, positional]) {
      expect(result.code).toBe(0);
      expect(result.stdout.split('\n')[0]).toBe(
        'pool\tflavor\tcount\tmaxCount\tazs\tavailable\tcreating\tabnormal\tdeleting',
      );
    }
  });

  it('an http endpoint other than loopback is refused before any request, naming the flag', async () => {
    const result = await runCli(
      ['pool', 'show', '--pool', pool, '--endpoint', 'http://example.com', '--project-id', 'p'],
      TOKEN,
    );
    expect(result).toMatchObject({
      code: 1,
      stderr:
        "error: --endpoint http://example.com: must be an https URL (http only for a loopback host)\n(see 'pool-autoscaler pool show --help')\n",
    });
  });
});

describe('the output rule', () => {
  const list = () => ['pool', 'list', '--endpoint', simulator.url, '--project-id', simulator.projectId];

  it.skipIf(!canRunOnTerminal())(
    'a table with colors on a terminal, TSV there with NO_COLOR, TSV through a pipe, JSON with -o json (script(1) gives the terminal)',
    async () => {
      const [terminal, noColor, piped, json] = await Promise.all([
        runOnTerminal(list(), TOKEN),
        runOnTerminal(list(), { ...TOKEN, NO_COLOR: '1' }),
        runCli(list(), TOKEN),
        runCli([...list(), '-o', 'json'], TOKEN),
      ]);
      expect(terminal.code).toBe(0);
      expect(terminal.stdout).toMatch(/┌─+┬/);
      expect(terminal.stdout).toContain('\u001b[');
      expect(terminal.stdout).toContain(pool);
      for (const result of [noColor, piped]) {
        expect(result.code).toBe(0);
        expect(result.stdout.split('\n')[0]).toBe(
          'name\tlabel\ttype\tphase\tflavors (count)\tavailable\tcreating\tcreated',
        );
        expect(result.stdout).not.toContain('\u001b[');
        expect(result.stdout).not.toContain('┌');
      }
      expect(JSON.parse(json.stdout)).toMatchObject({ items: [expect.objectContaining({ kind: 'Pool' })] });
    },
  );
});

describe('the output rule through a pipe', () => {
  it('simulate, pool list and pool show print TSV with a header when piped, and JSON with -o json or --json', async () => {
    const modelArts = ['--endpoint', simulator.url, '--project-id', simulator.projectId];
    const simulate = [
      'simulate',
      '--trace',
      'examples/traces/steady.csv',
      '--policy',
      'examples/traces/steady.policy.json',
      '--baselines',
      'static',
    ];
    const [simTsv, simJson, listTsv, showTsv, showJson] = await Promise.all([
      runCli([...simulate, '--out', join(dir, 'rule-a')], TOKEN),
      runCli([...simulate, '--out', join(dir, 'rule-b'), '--json'], TOKEN),
      runCli(['pool', 'list', ...modelArts], TOKEN),
      runCli(['pool', 'show', '--pool', pool, ...modelArts], TOKEN),
      runCli(['pool', 'show', '--pool', pool, ...modelArts, '-o', 'json'], TOKEN),
    ]);
    for (const result of [simTsv, simJson, listTsv, showTsv, showJson]) {
      expect(result.code).toBe(0);
      expect(result.stdout).not.toMatch(/[┌│└]/);
      expect(result.stdout).not.toContain('\u001b[');
    }
    const header = (result: CliResult) => result.stdout.split('\n')[0]!.split('\t');
    expect(header(simTsv).slice(0, 2)).toEqual(['strategy', 'node-hours']);
    expect(simTsv.stdout.split('\n')[1]).toMatch(/^policy\t/);
    expect(header(listTsv)[0]).toBe('name');
    expect(header(showTsv).slice(0, 5)).toEqual(['pool', 'flavor', 'count', 'maxCount', 'azs']);
    expect(showTsv.stdout).toContain(`${pool}\t`);
    expect(Array.isArray(JSON.parse(simJson.stdout))).toBe(true);
    expect(JSON.parse(showJson.stdout)).toMatchObject({ kind: 'Pool' });
  });
});

describe('simulate says why', () => {
  it('names a flavor whose demand asked for more than its maxCount, on stderr beside the summary', async () => {
    const result = await runCli([
      'simulate',
      '--trace',
      'examples/traces/steady.csv',
      '--policy',
      'local/demo-policy.json',
      '--out',
      join(dir, 'clamped'),
      '--baselines',
      'none',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toMatch(/^strategy\tnode-hours\t/);
    expect(result.stderr).toMatch(
      /^policy: modelarts\.vm\.gpu\.8v100 clamped to maxCount 16 for [\d.]+ (h|min|s) of trace time \(demand asked for up to \d+ nodes\); raise maxCount to shorten those waits$/m,
    );
  });
});

describe('Node 20', () => {
  it('npm ci of the lockfile warns of no dependency that needs a newer Node', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'npm-ci-'));
    try {
      for (const file of ['package.json', 'package-lock.json'])
        await writeFile(join(copy, file), await readFile(file));
      const result = await runPipeline(
        `cd ${copy} && npm ci --dry-run --offline --ignore-scripts --no-audit --no-fund 2>&1 | grep -c EBADENGINE`,
      );
      // grep finds nothing: its count is 0 (and npm's own status, PIPESTATUS[0], is 0).
      expect(result).toMatchObject({ code: 0, stdout: '0\n' });
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });
});

describe('pipes', () => {
  const show = () =>
    `$CLI pool show --pool ${pool} --endpoint ${simulator.url} --project-id ${simulator.projectId}`;
  const simulate = `$CLI simulate --trace examples/traces/steady.csv --policy examples/traces/steady.policy.json --out`;

  it('a reader that stops early ends the command quietly with exit 0 (simulate | head -1, pool show | head)', async () => {
    const env = TOKEN;
    const [first, head, closed, closedShow] = await Promise.all([
      runPipeline(`${simulate} ${join(dir, 'a')} | head -1`, env),
      runPipeline(`${show()} -o table | head -3`, env),
      // `true` reads nothing and is gone before the command writes: every write meets a closed pipe.
      runPipeline(`${simulate} ${join(dir, 'b')} -o table | true`, env),
      runPipeline(`${show()} | true`, env),
    ]);
    expect(first).toEqual({
      code: 0,
      stdout:
        'strategy\tnode-hours\tx oracle\tp50 wait s\tp95 wait s\tmax wait s\tPATCHes\tscale ops\treversals\tpreempted\tunfinished\tstarved\n',
      stderr: expect.any(String),
    });
    expect(first.stderr).toMatch(/^wrote /m);
    expect(head.stdout.split('\n')).toHaveLength(4);
    for (const result of [first, head, closed, closedShow]) {
      expect(result.code).toBe(0);
      expect(result.stderr).not.toMatch(/EPIPE|Error|\n\s+at /);
    }
  });

  it('npm run -s cli -- prints only what the command prints, so it can be piped as the docs show it', async () => {
    const result = await runPipeline('npm run -s cli -- --version | cat');
    expect(result).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });
});
