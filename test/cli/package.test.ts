/**
 * The package as a platform team gets it: `npm pack`, the tarball installed into a fresh CDK app, the construct
 * synthesized there with cdk-nag, the engine and the client imported by their package names, the types checked
 * with NodeNext resolution, and the installed bin run.
 *
 * Offline: `npm install` of a tarball needs the registry's metadata for every dependency, which the npm cache of
 * a machine that ran `npm ci` does not hold. So the tarball is installed as npm installs one (unpacked into
 * node_modules/pool-autoscaler, its bin linked into node_modules/.bin), beside links to this checkout's
 * node_modules for its dependencies and peer dependencies. It takes one to two minutes (the build is most of it).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const VERSION = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;

let app: string;
let tarball: string;
let listed: string[];

const APP = `
import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PoolAutoscalerStack, ModelArtsPoolAutoscaler, readStackSettings, synthErrors } from 'pool-autoscaler';
import { parsePolicy } from 'pool-autoscaler/engine';
import { ModelArtsClient, TokenCredentials } from 'pool-autoscaler/modelarts';

const policy = parsePolicy({ pool: 'p', flavors: { f: { maxCount: 4 } } });
new ModelArtsClient({ endpoint: 'https://modelarts.example.com', projectId: 'p', credentials: new TokenCredentials('t') });
const app = new App({ outdir: 'cdk.out' });
const stack = new PoolAutoscalerStack(app, 'PlatformTeamAutoscaler', { settings: readStackSettings(() => undefined, {}) });
Aspects.of(app).add(new AwsSolutionsChecks());
const errors = synthErrors(app.synth());
console.log(JSON.stringify({
  construct: stack.autoscaler instanceof ModelArtsPoolAutoscaler,
  maxCount: policy.flavors.f.maxCount,
  errors,
}));
`;

const TYPES = `
import type { ModelArtsPoolAutoscalerProps } from 'pool-autoscaler';
import { parsePolicy, type Policy } from 'pool-autoscaler/engine';
import type { Pool } from 'pool-autoscaler/modelarts';

const policy: Policy = parsePolicy({ pool: 'p', flavors: {} });
const props: Partial<ModelArtsPoolAutoscalerProps> = { requestsPerSecond: 5 };
const pool: Pick<Pool, 'kind'> = { kind: 'Pool' };
export { policy, props, pool };
`;

beforeAll(async () => {
  const work = await mkdtemp(join(tmpdir(), 'package-test-'));
  app = join(work, 'app');
  await mkdir(join(app, 'node_modules', '.bin'), { recursive: true });
  const packed = await exec('npm', ['pack', '--pack-destination', work, '--json'], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(work, info!.filename);
  listed = info!.files.map((file) => file.path);

  for (const name of await readdir(join(ROOT, 'node_modules'))) {
    if (name.startsWith('.') || name === 'pool-autoscaler') continue;
    await symlink(join(ROOT, 'node_modules', name), join(app, 'node_modules', name));
  }
  // npm links every dependency's bins too; NodejsFunction runs the app's esbuild through them.
  for (const name of await readdir(join(ROOT, 'node_modules', '.bin'))) {
    if (name === 'pool-autoscaler') continue;
    await symlink(join(ROOT, 'node_modules', '.bin', name), join(app, 'node_modules', '.bin', name));
  }
  const installed = join(app, 'node_modules', 'pool-autoscaler');
  await mkdir(installed);
  await exec('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
  await symlink(
    '../pool-autoscaler/bin/pool-autoscaler.mjs',
    join(app, 'node_modules', '.bin', 'pool-autoscaler'),
  );

  await writeFile(
    join(app, 'package.json'),
    JSON.stringify({ name: 'platform-app', private: true, type: 'module' }),
  );
  // NodejsFunction looks for the app's lock file.
  await writeFile(
    join(app, 'package-lock.json'),
    JSON.stringify({ name: 'platform-app', lockfileVersion: 3, packages: {} }),
  );
  await writeFile(join(app, 'app.mjs'), APP);
  await writeFile(join(app, 'check.ts'), TYPES);
  await writeFile(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
      },
      files: ['check.ts'],
    }),
  );
}, 300_000);

afterAll(async () => {
  if (app) await rm(join(app, '..'), { recursive: true, force: true });
});

describe('the published package', () => {
  it('ships built JavaScript, declarations, the handler sources and the bin, not the tests or the TypeScript CLI', () => {
    expect(listed).toEqual(
      expect.arrayContaining([
        'package.json',
        'bin/pool-autoscaler.mjs',
        'dist/bin/cli.js',
        'dist/lib/index.js',
        'dist/engine/index.js',
        'dist/modelarts/index.js',
        'dist/types/lib/index.d.ts',
        'dist/types/functions/shared/engine/index.d.ts',
        'dist/types/functions/shared/modelarts/index.d.ts',
        'functions/consumer/handler.ts',
        'functions/evaluator/handler.ts',
        'examples/policy.schema.json',
      ]),
    );
    expect(listed.filter((path) => path.startsWith('test/') || path === 'bin/cli.ts')).toEqual([]);
  });

  it('the installed bin prints its version', async () => {
    const { stdout, stderr } = await exec(
      join(app, 'node_modules', '.bin', 'pool-autoscaler'),
      ['--version'],
      {
        cwd: app,
      },
    );
    expect(stdout).toBe(`${VERSION}\n`);
    expect(stderr).toBe('');
  }, 60_000);

  it('a fresh CDK app imports the construct, the engine and the client and synthesizes with cdk-nag clean', async () => {
    const { stdout } = await exec(process.execPath, ['app.mjs'], {
      cwd: app,
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
      maxBuffer: 64 * 1024 * 1024,
    });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      construct: boolean;
      maxCount: number;
      errors: unknown[];
    };
    expect(result).toEqual({ construct: true, maxCount: 4, errors: [] });
    const template = JSON.parse(
      await readFile(join(app, 'cdk.out', 'PlatformTeamAutoscaler.template.json'), 'utf8'),
    ) as { Resources: Record<string, { Type: string }> };
    const types = Object.values(template.Resources).map((resource) => resource.Type);
    // The consumer, the evaluator and the workload watcher.
    expect(types.filter((type) => type === 'AWS::Lambda::Function')).toHaveLength(3);
  }, 240_000);

  it('its declarations type-check in an app with NodeNext module resolution', async () => {
    await exec(
      process.execPath,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
      {
        cwd: app,
      },
    );
  });
});
