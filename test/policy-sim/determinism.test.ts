import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../functions/shared/engine';
import { reportHtml } from '../../policy-sim/outputs/report-html';
import { summaryJson } from '../../policy-sim/outputs/summary-json';
import { timelineCsv } from '../../policy-sim/outputs/timeline-csv';
import { simulate, type SimulationOptions } from '../../policy-sim/simulate';
import { generateTrace, policyForTrace } from '../../scripts/generate-traces';

const jobs = generateTrace('multi-flavor', 11).filter((job) => job.submitS < 3 * 3600);
const policy = parsePolicy(policyForTrace(jobs));

function outputs(options: SimulationOptions): string[] {
  const result = simulate(jobs, policy, options);
  const context = { traceName: 'multi-flavor.csv', policyName: 'multi-flavor.policy.json' };
  return [summaryJson(result, context), timelineCsv(result.timeline), reportHtml(result, context)];
}

describe('determinism', () => {
  it('writes byte-identical outputs for the same inputs, jitter included', () => {
    const options = { provisionJitterSeconds: 60, seed: 42 };
    const first = outputs(options);
    const second = outputs(options);
    expect(second[0]).toBe(first[0]);
    expect(second[1]).toBe(first[1]);
    expect(second[2]).toBe(first[2]);
  });

  it('changes with the seed when there is jitter to draw', () => {
    const [summaryA] = outputs({ provisionJitterSeconds: 60, seed: 1 });
    const [summaryB] = outputs({ provisionJitterSeconds: 60, seed: 2 });
    expect(summaryB).not.toBe(summaryA);
  });

  it('writes a report that loads nothing from the network', () => {
    const [, , html] = outputs({});
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|<link|src=|@import|url\(/);
  });
});
