#!/usr/bin/env node
// The `pool-autoscaler` bin. In a checkout the TypeScript sources run through tsx, so a change needs no build; an
// installed package ships no sources and runs its build (dist/, made by `npm run build`).
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

if (existsSync(new URL('./cli.ts', import.meta.url))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./cli.ts');
} else {
  await import('../dist/bin/cli.js');
}
