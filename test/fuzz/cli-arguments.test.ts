import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCliInProcess as runCli } from '../cli/run-cli';

let dir: string;
const savedEnv = { ...process.env };
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-fuzz-'));
  // No credentials and unreachable AWS: any path that got past validation fails fast, without the network.
  for (const name of [
    'HUAWEICLOUD_SDK_AK',
    'HUAWEICLOUD_SDK_SK',
    'HUAWEICLOUD_SDK_TOKEN',
    'MODELARTS_ENDPOINT',
  ]) {
    delete process.env[name];
  }
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_MAX_ATTEMPTS = '1';
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  process.env = savedEnv;
});
afterEach(() => vi.restoreAllMocks());

let fileCounter = 0;
/** A file with fuzzed content: not JSON, JSON of any shape, or a policy with a broken field. */
const fuzzedFile = fc
  .oneof(
    fc.string({ maxLength: 400 }),
    fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
    fc
      .record({ pool: fc.oneof(fc.string(), fc.integer()), flavors: fc.jsonValue({ maxDepth: 2 }) })
      .map((value) => JSON.stringify(value)),
  )
  .map((content) => {
    fileCounter += 1;
    const path = join(dir, `input-${fileCounter}.json`);
    writeFileSync(path, content);
    return path;
  });

const garbage = fc.oneof(
  fc.constantFrom(
    '',
    '-1',
    '0',
    'NaN',
    '1e999',
    'abc',
    '--',
    '-',
    '🙂',
    'x'.repeat(2000),
    '../../etc/passwd',
  ),
  fc.string({ maxLength: 40 }),
);
const missingFile = fc.constantFrom('/nonexistent/policy.json', 'does-not-exist.csv', '');
const endpoint = fc.constantFrom(
  'http://example.com',
  'http://10.0.0.1:8080',
  'ftp://modelarts.example.com',
  'not a url',
  'https://user:pass@modelarts.example.com',
  'https://modelarts.example.com',
);

const argv: fc.Arbitrary<string[]> = fc.oneof(
  fc.tuple(fc.oneof(fuzzedFile, missingFile, garbage)).map(([file]) => ['policy', 'validate', file]),
  fc
    .tuple(fc.option(endpoint), fc.option(garbage), fc.option(garbage), fc.boolean())
    .map(([url, pool, timeout, bogus]) => [
      'pool',
      'show',
      ...(url !== null ? ['--endpoint', url] : []),
      ...(pool !== null ? ['--pool', pool] : []),
      ...(timeout !== null ? ['--timeout-ms', timeout] : []),
      ...(bogus ? ['--bogus'] : []),
    ]),
  fc
    .tuple(
      fc.option(fc.oneof(fuzzedFile, missingFile)),
      fc.option(fc.oneof(fuzzedFile, missingFile)),
      garbage,
    )
    .map(([trace, policy, delay]) => [
      'simulate',
      ...(trace !== null ? ['--trace', trace] : []),
      ...(policy !== null ? ['--policy', policy] : []),
      '--out',
      join(dir, 'out'),
      '--provision-delay',
      delay,
    ]),
  fc
    .tuple(garbage, garbage)
    .map(([limit, since]) => [
      'activities',
      '--limit',
      limit,
      '--since',
      since,
      '--endpoint-url',
      'http://127.0.0.1:9',
    ]),
  // Without --pool, evaluate must refuse before it touches DynamoDB or ModelArts.
  fc
    .tuple(fc.boolean(), fc.option(garbage))
    .map(([dryRun, extra]) => [
      'evaluate',
      ...(dryRun ? ['--dry-run'] : []),
      ...(extra !== null ? ['--json', extra] : []),
    ]),
  fc.array(garbage, { minLength: 1, maxLength: 4 }),
);

describe('CLI under fuzzed arguments', () => {
  it('every bad invocation exits non-zero with a one-line reason and no stack trace', async () => {
    await fc.assert(
      fc.asyncProperty(argv, async (args) => {
        const result = await runCli(args);
        expect(result.stderr).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);
        expect(result.stderr).not.toMatch(/\b(TypeError|ReferenceError|SyntaxError: Unexpected)\b.*\n\s+at /);
        // Errors are said in words: no class name, no raw validation array.
        expect(result.stderr).not.toMatch(/\b[A-Z][A-Za-z]*Error:|^\s*\[\s*\{|"code":/m);
        if (result.code !== 0) {
          // A reason (`error: ...`), or the usage when no command was given at all.
          expect(result.stderr).toMatch(/error|^Usage: pool-autoscaler/im);
          expect(result.stderr.length).toBeLessThan(20_000);
        }
      }),
      { numRuns: 80 },
    );
  });

  it.each([
    [['policy', 'validate', '/nonexistent/policy.json'], /error/],
    [['pool', 'show', '--pool', 'p'], /--endpoint is required \(or set MODELARTS_ENDPOINT\)/],
    [['pool', 'show', '--endpoint', 'http://example.com', '--pool', 'p'], /must be an https URL/],
    [
      ['pool', 'show', '--endpoint', 'https://x.example.com', '--pool', 'p', '--timeout-ms', 'abc'],
      /must be a number above 0/,
    ],
    [['activities', '--limit', '99999999999'], /--limit: at most 10000/],
    [['policy', 'put'], /missing required argument 'file'\n\(see 'pool-autoscaler policy put --help'\)/],
    [['no-such-command'], /unknown command/],
    [['policy', 'validate', '-'], /standard input/],
    [['--'], /^Usage: pool-autoscaler/m],
  ])('%j fails with a clear message', async (args, message) => {
    const result = await runCli(args);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});
