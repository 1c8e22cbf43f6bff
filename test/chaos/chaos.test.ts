import { describe, expect, inject, it } from 'vitest';
import { closingLine, runChaos } from './run-chaos';

/** Short by default (part of `npm test`); `npm run test:chaos` sets the full size through the environment. */
const EVENTS = Number(process.env.CHAOS_EVENTS ?? 600);
const POOLS = Number(process.env.CHAOS_POOLS ?? 20);
const SEED = Number(process.env.CHAOS_SEED ?? 20261123);
const REQUESTS_PER_SECOND = 100;
const BURST = 20;

describe('fault and load run against DynamoDB Local, fauxqs and the simulator', () => {
  it(
    `keeps every invariant with ${EVENTS} job events over ${POOLS} pools under injected faults`,
    { timeout: 600_000 },
    async () => {
      const report = await runChaos({
        events: EVENTS,
        pools: POOLS,
        consumers: 4,
        evaluators: 4,
        requestsPerSecond: REQUESTS_PER_SECOND,
        burst: BURST,
        seed: SEED,
        dynamoDbEndpoint: inject('dynamoDbEndpoint'),
      });
      for (const detail of report.details) console.log(`chaos: ${detail}`);
      console.log(
        `chaos: ${report.messages} messages (${report.duplicates} duplicates, ${report.poison} poison), ` +
          `${report.requests} ModelArts requests, ${report.patches} PATCHes (${report.successfulPatches} applied), ` +
          `${report.invocationErrors} failed invocations, ${Math.round(report.durationMs)} ms`,
      );
      console.log(closingLine(report));

      // The run really was under load and faults. The script stops at EVENTS; what the simulator does after
      // (runs completing, workloads failed by scale-ins) comes on top.
      expect(report.events).toBeGreaterThanOrEqual(EVENTS);
      expect(report.duplicates).toBeGreaterThan(0);
      expect(report.faults / report.requests).toBeGreaterThanOrEqual(0.2);
      expect(report.successfulPatches).toBeGreaterThan(0);
      // Every request that reached the gateway carried a valid signature.
      expect(report.signedInvalid).toBe(0);
      expect(report.signedValid).toBeGreaterThan(0);
      // Poison, and only poison, is dead-lettered.
      expect(report.deadLettered).toBe(report.poison);
      // ARCHITECTURE §4.
      expect({
        lost: report.lost,
        // Invariant 4: scale-in names idle nodes, so no workload is ever killed by the autoscaler.
        preempted: report.preempted,
        boundViolations: report.boundViolations,
        droppedFields: report.droppedFields,
        concurrentPatches: report.concurrentPatches,
        rateViolations: report.rateViolations,
        unrecorded: report.unrecorded,
      }).toEqual({
        lost: 0,
        preempted: 0,
        boundViolations: 0,
        droppedFields: 0,
        concurrentPatches: 0,
        rateViolations: 0,
        unrecorded: 0,
      });
    },
  );
});
