// Builds what `npm pack` ships: `npx tsx scripts/build-package.ts` (run by `npm run build` and `prepack`).
//
// dist/bin/cli.js           the operator CLI (bin/pool-autoscaler.mjs runs it when the TypeScript sources are absent)
// dist/lib/index.js         the CDK construct and stack            import ... from 'pool-autoscaler'
// dist/engine/index.js      the scaling engine (pure)              import ... from 'pool-autoscaler/engine'
// dist/modelarts/index.js   the ModelArts client                   import ... from 'pool-autoscaler/modelarts'
// dist/chunks/*.js          code the entry points share, and the parts `local up` loads on demand
// dist/types/**.d.ts        type declarations, relative imports spelled with .js so NodeNext resolution finds them
//
// Dependencies stay imports (the package's dependencies and peer dependencies); the Lambda handlers are not built
// here: the construct bundles them from functions/**.ts with the app's esbuild at synth time, as in this checkout.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');

export const ENTRY_POINTS = {
  'bin/cli': 'bin/cli.ts',
  'lib/index': 'lib/index.ts',
  'engine/index': 'functions/shared/engine/index.ts',
  'modelarts/index': 'functions/shared/modelarts/index.ts',
} as const;

const DECLARATION_ROOTS = [
  'lib/index.ts',
  'functions/shared/engine/index.ts',
  'functions/shared/modelarts/index.ts',
];

async function bundle(): Promise<void> {
  await build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(Object.entries(ENTRY_POINTS).map(([out, source]) => [out, source])),
    outdir: DIST,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'warning',
  });
}

function declarations(): void {
  // The checkout's compiler options, emitting declarations only; written outside the checkout, paths absolute.
  const dir = mkdtempSync(join(tmpdir(), 'pool-autoscaler-build-'));
  const config = join(dir, 'tsconfig.json');
  writeFileSync(
    config,
    JSON.stringify({
      extends: join(ROOT, 'tsconfig.json'),
      compilerOptions: {
        noEmit: false,
        declaration: true,
        emitDeclarationOnly: true,
        outDir: join(DIST, 'types'),
        rootDir: ROOT,
        typeRoots: [join(ROOT, 'node_modules', '@types')],
      },
      include: DECLARATION_ROOTS.map((file) => join(ROOT, file)),
    }),
  );
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', config], {
      cwd: ROOT,
      stdio: 'inherit',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** `from './policy'` → `from './policy.js'`, `from '../engine'` → `from '../engine/index.js'`. */
function withExtensions(file: string, text: string): string {
  const fix = (specifier: string): string => {
    if (!specifier.startsWith('.') || /\.(js|json)$/.test(specifier)) return specifier;
    const target = resolve(dirname(file), specifier);
    if (existsSync(`${target}.d.ts`)) return `${specifier}.js`;
    if (existsSync(join(target, 'index.d.ts'))) return `${specifier}/index.js`;
    throw new Error(`${relative(ROOT, file)}: cannot resolve ${specifier}`);
  };
  return text
    .replace(
      /(from\s+['"])([^'"]+)(['"])/g,
      (_match, head: string, spec: string, tail: string) => `${head}${fix(spec)}${tail}`,
    )
    .replace(
      /(import\(\s*['"])([^'"]+)(['"]\s*\))/g,
      (_match, head: string, spec: string, tail: string) => `${head}${fix(spec)}${tail}`,
    );
}

function fixDeclarationImports(): void {
  for (const file of filesUnder(join(DIST, 'types')).filter((path) => path.endsWith('.d.ts'))) {
    const text = readFileSync(file, 'utf8');
    const fixed = withExtensions(file, text);
    if (fixed !== text) writeFileSync(file, fixed);
  }
}

rmSync(DIST, { recursive: true, force: true });
await bundle();
declarations();
fixDeclarationImports();
process.stderr.write(
  `built ${relative(process.cwd(), DIST) || DIST}: ${Object.keys(ENTRY_POINTS).join(', ')} and their types\n`,
);
