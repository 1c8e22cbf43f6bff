import { defineConfig } from 'vitest/config';

/** `npm run test:chaos`: the full-size fault and load run (10,000 job events over 20 pools) and crash safety. */
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    env: { CHAOS_EVENTS: '10000', CHAOS_POOLS: '20' },
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
