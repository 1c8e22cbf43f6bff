import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchNote } from './format';

// Every `*.bench.ts` file in this folder exports a default async function that prints its figures.
const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv[2];
const files = readdirSync(here)
  .filter((file) => file.endsWith('.bench.ts'))
  .filter((file) => only === undefined || file.startsWith(only))
  .sort();

for (const file of files) {
  benchNote(`--- ${file}`);
  const module = (await import(join(here, file))) as { default: () => Promise<void> };
  await module.default();
}
