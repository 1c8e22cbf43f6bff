import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePolicy } from '../functions/shared/engine';
import { flavorSetupsFromPolicy } from '../policy-sim/flavor-setup';
import { Replay } from '../policy-sim/replay';
import { simulate } from '../policy-sim/simulate';
import { StaticStrategy } from '../policy-sim/strategies/static';
import { simulateSweep } from '../policy-sim/sweep';
import { parseTrace } from '../policy-sim/trace';
import { generateLoadTrace, policyForTrace, TRACE_NAMES } from '../scripts/generate-traces';
import { benchLine, benchNote } from './format';

const TRACES = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'traces');
const LOAD_JOBS = 10_000;

/**
 * Replays every shipped trace with its policy (the default policy's rules, scale-in by name) at a 300 s
 * provisioning delay against all baselines, and once more with the policy's scale-in as a count-lowering PATCH
 * (`policy_patch`, a what-if), then times the simulator on a generated 10,000-job trace.
 */
export default async function (): Promise<void> {
  for (const name of TRACE_NAMES) {
    const [csv, policyJson] = await Promise.all([
      readFile(join(TRACES, `${name}.csv`), 'utf8'),
      readFile(join(TRACES, `${name}.policy.json`), 'utf8'),
    ]);
    const jobs = parseTrace(csv);
    const result = simulate(jobs, parsePolicy(JSON.parse(policyJson)), { provisionDelaySeconds: 300 });
    benchNote(
      `${name}: ${jobs.length} jobs, horizon ${result.settings.horizon_s} s, provisioning delay 300 s`,
    );
    const whatIf = simulate(jobs, parsePolicy(JSON.parse(policyJson)), {
      provisionDelaySeconds: 300,
      baselines: [],
      policyScaleIn: 'patch',
    });
    const patchScaleIn = { ...whatIf.results[0]!, strategy: 'policy_patch' };
    for (const entry of [...result.results, patchScaleIn]) {
      const prefix = `sim.${name}.${entry.strategy}`;
      benchLine(`${prefix}.oracle_ratio`, entry.oracle_ratio, 'x');
      benchLine(`${prefix}.p95_wait_s`, entry.wait_s.p95, 's');
      benchLine(`${prefix}.scale_operations`, entry.scale_operations, 'count');
      benchNote(
        `${name} ${entry.strategy}: ${entry.node_hours} node-hours, p50/p99/max wait ${entry.wait_s.p50}/${entry.wait_s.p99}/${entry.wait_s.max} s, PATCHes ${entry.patches}, reversals ${entry.reversals}, preempted ${entry.preempted_jobs}, unfinished ${entry.unfinished_jobs}, starved ${entry.starved_jobs}`,
      );
    }
  }

  const load = generateLoadTrace(LOAD_JOBS, 7);
  const policy = parsePolicy(policyForTrace(load));
  const started = performance.now();
  const result = simulate(load, policy, { provisionDelaySeconds: 300 });
  const seconds = (performance.now() - started) / 1000;
  benchNote(
    `${LOAD_JOBS} jobs over ${(result.settings.horizon_s / 3600).toFixed(1)} h, policy + ${result.settings.baselines.length} baselines + oracle: ${seconds.toFixed(2)} s`,
  );
  benchLine('sim.jobs_per_s', Math.round(LOAD_JOBS / seconds), '1/s');

  // The policy alone against the same trace replayed with a pool that never scales (the replay's own cost,
  // measured now on this machine): the ratio says what the engine's decisions cost on top of the replay.
  const policyStarted = performance.now();
  simulate(load, policy, { provisionDelaySeconds: 300, baselines: [] });
  const policySeconds = (performance.now() - policyStarted) / 1000;
  const flavors = flavorSetupsFromPolicy(policy);
  const peaks = Object.fromEntries(flavors.map((setup) => [setup.flavor, setup.maxCount]));
  const replayStarted = performance.now();
  const replay = new Replay({
    jobs: load,
    flavors,
    strategy: new StaticStrategy(flavors, peaks),
    provisionDelayS: () => 300,
  });
  replay.runTo(replay.runUntilAllEnded(result.settings.horizon_cap_s) + 3600);
  const replaySeconds = (performance.now() - replayStarted) / 1000;
  const policyRate = LOAD_JOBS / policySeconds;
  const replayRate = LOAD_JOBS / replaySeconds;
  benchNote(
    `simulate, the policy alone: ${policySeconds.toFixed(2)} s; the same jobs replayed on a pool that never scales: ${replaySeconds.toFixed(2)} s`,
  );
  benchLine('sim.policy_jobs_per_s', Math.round(policyRate), '1/s');
  benchLine('sim.static_replay_jobs_per_s', Math.round(replayRate), '1/s');
  benchLine('sim.policy_vs_static_replay', policyRate / replayRate, 'x');

  // The sweep: the policy at four values of a field plus every baseline, one replay each.
  const sweepStarted = performance.now();
  const swept = simulateSweep(load, policy, 'scaleDown.stabilizationSeconds=0,300,600,900', {
    provisionDelaySeconds: 300,
  });
  const sweepSeconds = (performance.now() - sweepStarted) / 1000;
  const replays = swept.frontier?.points.length ?? 0;
  benchNote(
    `simulate --sweep with 4 values and ${swept.settings.baselines.length} baselines: ${sweepSeconds.toFixed(2)} s for ${replays} replays`,
  );
  benchLine('sim.sweep_replay_jobs_per_s', Math.round((LOAD_JOBS * replays) / sweepSeconds), '1/s');
  benchLine('sim.sweep_vs_static_replay', (LOAD_JOBS * replays) / sweepSeconds / replayRate, 'x');
}
