import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const engineDir = fileURLToPath(new URL('../../functions/shared/engine/', import.meta.url));
const files = readdirSync(engineDir).filter((file) => file.endsWith('.ts'));

/** Every `import ... from '...'` of a file, with whether it imports types only. */
function importsOf(source: string): { from: string; typeOnly: boolean }[] {
  const found: { from: string; typeOnly: boolean }[] = [];
  for (const match of source.matchAll(/^\s*(import|export)\s+(type\s+)?[^;]*?\sfrom\s+'([^']+)'/gms)) {
    found.push({ from: match[3] as string, typeOnly: match[2] !== undefined });
  }
  for (const match of source.matchAll(/\b(?:require|import)\s*\(\s*['"]([^'"]+)['"]/g)) {
    found.push({ from: match[1] as string, typeOnly: false });
  }
  return found;
}

describe('the engine stays pure', () => {
  it('has source files to check', () => {
    expect(files).toContain('decide.ts');
  });

  it.each(files)(
    '%s imports only zod, cron-parser, engine files, the endpoint rules and the pool schemas',
    (file) => {
      const source = readFileSync(`${engineDir}${file}`, 'utf8');
      for (const entry of importsOf(source)) {
        if (entry.from.startsWith('./')) continue;
        if (entry.from === 'zod' || entry.from === 'cron-parser') continue;
        // Pure modules outside the engine, checked below.
        if (
          [
            '../modelarts/schemas',
            '../endpoint-url',
            '../endpoint-allowlist',
            '../validation-issues',
          ].includes(entry.from)
        )
          continue;
        throw new Error(`${file} imports ${entry.typeOnly ? 'types from ' : ''}${entry.from}`);
      }
    },
  );

  it.each([
    ['modelarts/schemas.ts', ['zod']],
    ['endpoint-url.ts', []],
    ['validation-issues.ts', ['zod']],
    ['endpoint-allowlist.ts', ['zod', './endpoint-url']],
  ])('the shared module %s it uses imports only %j', (file, allowed) => {
    const source = readFileSync(
      fileURLToPath(new URL(`../../functions/shared/${file}`, import.meta.url)),
      'utf8',
    );
    expect(importsOf(source).map((entry) => entry.from)).toEqual(allowed);
  });

  it('reads no clock and no randomness of its own', () => {
    for (const file of files) {
      const source = readFileSync(`${engineDir}${file}`, 'utf8');
      expect(source, file).not.toMatch(
        /Date\.now\(|new Date\(\)|Math\.random\(|performance\.now\(|process\./,
      );
    }
  });
});
