import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { type Command, InvalidArgumentError } from 'commander';
import pc from 'picocolors';
import { z } from 'zod';
import { isHttpsOrLoopbackUrl } from '../../functions/shared/endpoint-url';
import type { Decision, FlavorDecision, FlavorSize } from '../../functions/shared/engine';
import {
  CredentialEnv,
  type ModelArtsCredentials,
  ModelArtsClient,
  TokenCredentials,
  credentialsFromEnv,
} from '../../functions/shared/modelarts';
import { type EvaluationResult, PoolEvaluator } from '../../functions/shared/pipeline/evaluate-pool';
import type { PipelineTelemetry } from '../../functions/shared/pipeline/telemetry';
import {
  DEFAULT_EVALUATION_SETTINGS,
  type PipelineDependencies,
} from '../../functions/shared/pipeline/types';
import {
  EXIT,
  addTableOptions,
  fail,
  isTerminal,
  pick,
  storeFromOptions,
  type TableOptions,
  withExitCodes,
} from './policy';
import { allowLoopbackOption, endpointAllowlistFrom, endpointHostsOption } from './endpoint-options';

const EvaluateOptionsSchema = z.object({
  pool: z.string({ error: '--pool is required' }).min(1, '--pool must not be empty'),
  dryRun: z.boolean(),
  json: z.boolean(),
  modelartsEndpoint: z
    .url({ error: '--modelarts-endpoint must be a URL' })
    .refine(isHttpsOrLoopbackUrl, { message: '--modelarts-endpoint must be https (http only for loopback)' })
    .optional(),
  projectId: z.string().min(1).optional(),
  token: z.string().min(1).optional(),
  timeout: z.number().positive(),
  endpointHosts: z.array(z.string()).optional(),
  allowLoopback: z.boolean().optional(),
});

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
  return [head, ...flavor.reasons.map((reason) => `    - ${reason}`)];
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

function credentialsFor(token: string | undefined): ModelArtsCredentials {
  return token ? new TokenCredentials(token) : credentialsFromEnv(process.env).credentials;
}

export function registerEvaluateCommand(program: Command): void {
  addTableOptions(
    program
      .command('evaluate')
      .description(
        'Evaluate one pool now the way the evaluator does (policy and depth from the tables, the pool from ModelArts) and explain the decision; with --dry-run nothing is sent',
      )
      .option('--pool <pool>', 'pool name (required)')
      .option('--dry-run', 'decide and record, but send no PATCH', false)
      .option('--json', 'print the evaluation result as JSON', false)
      .option(
        '--modelarts-endpoint <url>',
        "ModelArts endpoint (default: MODELARTS_ENDPOINT, else the policy's endpoint)",
      )
      .option(
        '--project-id <id>',
        `project id (default: ${CredentialEnv.projectId}, else the policy's projectId)`,
      )
      .option('--token <token>', `IAM token instead of ${CredentialEnv.ak}/${CredentialEnv.sk}`)
      .option(
        '--timeout <ms>',
        'per-request timeout',
        (value: string) => {
          const number = Number(value);
          if (!Number.isFinite(number) || number <= 0)
            throw new InvalidArgumentError('must be a number above 0');
          return number;
        },
        10_000,
      )
      .addOption(endpointHostsOption())
      .addOption(allowLoopbackOption()),
  ).action(async (raw: TableOptions & Record<string, unknown>) =>
    withExitCodes(async () => {
      const parsed = EvaluateOptionsSchema.safeParse(raw);
      if (!parsed.success)
        throw new InvalidArgumentError(parsed.error.issues[0]?.message ?? 'invalid options');
      const options = parsed.data;
      const credentials = credentialsFor(options.token);
      const endpointOverride = options.modelartsEndpoint ?? process.env.MODELARTS_ENDPOINT;
      const projectIdOverride = options.projectId ?? process.env[CredentialEnv.projectId];
      const deps: PipelineDependencies = {
        store: storeFromOptions(pick(raw)),
        modelArts: async (target, hooks) =>
          new ModelArtsClient({
            endpoint: target.endpoint,
            projectId: target.projectId,
            credentials,
            timeoutMs: options.timeout,
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
        pool: options.pool,
        trigger: 'operator (cli evaluate)',
        ...(options.dryRun ? { dryRun: true } : {}),
      });
      if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else process.stdout.write(formatEvaluation(result, options.dryRun, isTerminal()));
      if (result.status === 'NoPolicy') fail(`no policy for pool ${options.pool}`, EXIT.notFound);
      else if (FAILED_STATUSES.has(result.status)) fail(`evaluation ended ${result.status}`);
    }),
  );
}
