import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Command } from 'commander';
import pc from 'picocolors';
import type { Decision, FlavorDecision, FlavorSize } from '../../functions/shared/engine';
import { CredentialEnv, ModelArtsClient } from '../../functions/shared/modelarts';
import { type EvaluationResult, PoolEvaluator } from '../../functions/shared/pipeline/evaluate-pool';
import type { PipelineTelemetry } from '../../functions/shared/pipeline/telemetry';
import {
  DEFAULT_EVALUATION_SETTINGS,
  type PipelineDependencies,
} from '../../functions/shared/pipeline/types';
import { decidingReason } from './deciding-reason';
import {
  type EndpointAllowlistOptions,
  allowLoopbackOption,
  endpointAllowlistFrom,
  endpointHostsOption,
} from './endpoint-options';
import { EXIT, fail, run } from './errors';
import {
  type ModelArtsOptions,
  type TableOptions,
  addModelArtsOptions,
  addPoolOption,
  addTableOptions,
  credentialsOf,
  endpointOf,
  poolFrom,
  storeFromOptions,
  timeoutMsOf,
} from './options';
import {
  type Column,
  type OutputOptions,
  addOutputOptions,
  isTerminal,
  outputMode,
  printRecords,
  write,
} from './output';

/** An evaluation from the command line reports through its output, not through metrics. */
const silentTelemetry: PipelineTelemetry = {
  evaluation: () => undefined,
  decisionLatency: () => undefined,
  patch: () => undefined,
  throttled: () => undefined,
  flavor: () => undefined,
  events: () => undefined,
};

/** Statuses after which the command exits non-zero: the pool could not be evaluated as asked. */
const FAILED_STATUSES = new Set(['Failed', 'Invalid', 'NoPolicy', 'LeaseHeld', 'Throttled']);

function size(value: FlavorSize): string {
  const azs = value.azs?.map((az) => `${az.az}:${az.count}`).join(' ');
  const max = value.maxCount !== undefined && value.maxCount !== value.count ? ` max ${value.maxCount}` : '';
  return `${value.count}${max}${azs ? ` (${azs})` : ''}`;
}

function flavorLines(flavor: FlavorDecision, color: boolean): string[] {
  const paint = (text: string, fn: (s: string) => string): string => (color ? fn(text) : text);
  const moved = flavor.before.count !== flavor.after.count;
  const head = `${paint(flavor.flavor, pc.bold)}: ${size(flavor.before)}${moved ? ` → ${paint(size(flavor.after), pc.cyan)}` : ''}  [${flavor.outcome}]  desired ${flavor.desired}, demand ${flavor.demandUnits} units`;
  const decided = decidingReason(flavor.reasons);
  return [
    head,
    `    decided by: ${paint(decided, pc.bold)}`,
    ...flavor.reasons.map((reason) => `    - ${reason}`),
  ];
}

/** The decision as a person reads it: outcome, pool-level reasons, then each flavor with its reason trail. */
export function formatEvaluation(result: EvaluationResult, dryRun: boolean, color: boolean): string {
  const paint = (text: string, fn: (s: string) => string): string => (color ? fn(text) : text);
  const decision: Decision | undefined = result.decision;
  const statusColor = FAILED_STATUSES.has(result.status) ? pc.red : pc.green;
  const lines = [
    `pool ${result.pool}: ${paint(result.status, statusColor)}${decision ? ` (engine action: ${decision.action})` : ''}, ${result.modelArtsRequests} ModelArts request(s)${dryRun ? ', dry run' : ''}`,
  ];
  const poolReasons = decision?.reasons ?? [];
  const recorded = result.activities.find((activity) => activity.flavor === '*');
  const reasons = poolReasons.length > 0 ? poolReasons : (recorded?.reasons ?? []);
  if (reasons.length > 0) lines.push('  reasons:', ...reasons.map((reason) => `    - ${reason}`));
  if (recorded?.errorMessage)
    lines.push(`  error: ${recorded.errorCode ?? ''} ${recorded.errorMessage}`.trimEnd());
  for (const flavor of decision?.flavors ?? [])
    lines.push(...flavorLines(flavor, color).map((line) => `  ${line}`));
  if (decision?.patch) {
    const sent = result.status === 'Successful';
    lines.push(
      `  PATCH ${sent ? 'sent' : 'not sent'}:`,
      ...JSON.stringify(decision.patch, null, 2)
        .split('\n')
        .map((line) => `    ${line}`),
    );
  }
  return `${lines.join('\n')}\n`;
}

interface FlavorRow {
  pool: string;
  status: string;
  flavor: FlavorDecision;
}

const FLAVOR_COLUMNS: readonly Column<FlavorRow>[] = [
  { header: 'pool', value: (row) => row.pool },
  { header: 'status', value: (row) => row.status },
  { header: 'flavor', value: (row) => row.flavor.flavor },
  { header: 'outcome', value: (row) => row.flavor.outcome },
  { header: 'before', value: (row) => size(row.flavor.before) },
  { header: 'after', value: (row) => size(row.flavor.after) },
  { header: 'desired', value: (row) => String(row.flavor.desired) },
  { header: 'demand', value: (row) => String(row.flavor.demandUnits) },
  { header: 'reason', value: (row) => decidingReason(row.flavor.reasons), wrap: true },
];

type EvaluateOptions = TableOptions &
  ModelArtsOptions &
  OutputOptions &
  EndpointAllowlistOptions & { pool?: string; dryRun: boolean };

const EXAMPLES = `
The endpoint is --endpoint, else MODELARTS_ENDPOINT, else the policy's endpoint; credentials come from
HUAWEICLOUD_SDK_AK/SK (or HUAWEICLOUD_SDK_TOKEN, or --token). A dry run sends no PATCH and leaves the pool's
failure back-off as it was, whatever happens.

Examples:
  $ pool-autoscaler evaluate --pool P --dry-run
  $ pool-autoscaler evaluate --pool P --dry-run -o json | jq '.decision.flavors[].reasons'`;

export function registerEvaluateCommand(program: Command): void {
  addOutputOptions(
    addModelArtsOptions(
      addTableOptions(
        addPoolOption(
          program
            .command('evaluate')
            .description(
              'Evaluate one pool now the way the evaluator does (policy and depth from the tables, the pool from ModelArts) and explain the decision; with --dry-run nothing is sent',
            ),
        ).option('--dry-run', 'decide and record, but send no PATCH', false),
      ),
      { endpointRequired: false },
    )
      .addOption(endpointHostsOption())
      .addOption(allowLoopbackOption())
      .addHelpText('after', EXAMPLES),
  ).action(async (options: EvaluateOptions, command: Command) =>
    run(command, async () => {
      const pool = poolFrom(undefined, options.pool);
      const endpointOverride = endpointOf(options);
      const credentials = credentialsOf(options);
      const projectIdOverride = options.projectId ?? process.env[CredentialEnv.projectId];
      const deps: PipelineDependencies = {
        store: storeFromOptions(options),
        modelArts: async (target, hooks) =>
          new ModelArtsClient({
            endpoint: target.endpoint,
            projectId: target.projectId,
            credentials,
            timeoutMs: timeoutMsOf(options),
            ...hooks,
          }),
        clock: Date.now,
        newId: randomUUID,
        sleep: (ms) => sleep(ms),
        logger: new Logger({ serviceName: 'pool-autoscaler-cli', logLevel: 'SILENT' }),
        telemetry: silentTelemetry,
        settings: {
          ...DEFAULT_EVALUATION_SETTINGS,
          endpointAllowlist: endpointAllowlistFrom(options),
          ...(endpointOverride ? { endpointOverride } : {}),
          ...(projectIdOverride ? { projectIdOverride } : {}),
        },
      };
      const result = await new PoolEvaluator(deps).evaluate({
        pool,
        trigger: 'operator (cli evaluate)',
        ...(options.dryRun ? { dryRun: true } : {}),
      });
      const mode = outputMode(options);
      if (mode === 'json') write(JSON.stringify(result, null, 2));
      else if (mode === 'table') write(formatEvaluation(result, options.dryRun, isTerminal()));
      else
        printRecords(mode, {
          columns: FLAVOR_COLUMNS,
          rows: (result.decision?.flavors ?? []).map((flavor) => ({ pool, status: result.status, flavor })),
          json: (row) => row,
          empty: formatEvaluation(result, options.dryRun, false).trimEnd(),
        });
      if (result.status === 'NoPolicy') fail(`no policy for pool ${pool}`, EXIT.notFound);
      else if (FAILED_STATUSES.has(result.status)) fail(`evaluation ended ${result.status}`);
    }),
  );
}
