import './quiet-node';
import { Command, Option } from 'commander';
import { LocalRunOptionsError, parseLocalRunOptions, DEFAULT_TRACE } from '../local/options';
import { type LocalRunReport, runLocal } from '../local/run';
import { UsageError, describeError, fail } from './commands/errors';
import { ensureWritableDirectory } from './commands/out-dir';
import { clampNotes } from './commands/simulate';

const program = new Command()
  .name('npm start --')
  .description(
    'Runs the autoscaler on this machine: DynamoDB Local, an SQS emulator, the ModelArts simulator with a demo pool, ' +
      'the real consumer and evaluator handlers, and a job trace replayed faster than real time. ' +
      'Writes summary.json and report.html when it ends.',
  )
  .option('--trace <file>', 'job trace CSV (job_id,submit_s,flavor,units,duration_s)', DEFAULT_TRACE)
  .option('--policy <file>', 'policy JSON (default: the demo policy for the demo pool)')
  .option('--speed <factor>', 'trace seconds per real second', '60')
  .option(
    '--duration <seconds>',
    'longest run in real seconds (it ends earlier once the trace is done)',
    '120',
  )
  .option('--out <dir>', 'where summary.json, timeline.csv, report.html and run.json go', 'out/local-run')
  .option(
    '--endpoint <url>',
    'a real ModelArts endpoint (credentials from HUAWEICLOUD_SDK_*); dry run unless --apply',
  )
  .option('--apply', 'with --endpoint: send the PATCHes', false)
  .option('--data-dir <dir>', "keep DynamoDB Local's data in this directory between runs")
  .option('--provision-delay <seconds>', 'simulated node provisioning time in trace seconds', '300')
  .option('--sweep <seconds>', 'evaluator schedule in trace seconds', '60')
  .option(
    '--az-capacity <limits>',
    'nodes an AZ can hold in the simulator, AZ=N or AZ/FLAVOR=N, comma-separated (an AZ out of capacity)',
  )
  .addOption(
    new Option('--demand <mode>', "where the autoscaler reads demand (default: the policy's demand)").choices(
      ['events', 'workloads', 'events+workloads'],
    ),
  )
  .option('--drop-events <share>', 'share of job events lost on the way to the queue, 0 to 1 (seeded)', '0')
  .option('--plain', 'plain progress lines even on a terminal', false)
  .addOption(
    new Option('--log-level <level>', "handlers' log level")
      .choices(['SILENT', 'DEBUG', 'INFO', 'WARN', 'ERROR'])
      .default('SILENT'),
  )
  .showHelpAfterError("(see 'npm start -- --help')");

async function main(): Promise<void> {
  program.parse(process.argv);
  const raw = program.opts<Record<string, unknown>>();
  // Only a trace the user named brings its own policy along.
  if (program.getOptionValueSource('trace') === 'default') delete raw.trace;
  // With the simulator every PATCH is sent anyway; --apply means something only against a real endpoint.
  if (raw.apply === true && raw.endpoint === undefined)
    throw new UsageError('--apply needs --endpoint: it sends the PATCHes to a real ModelArts endpoint');
  const options = parseLocalRunOptions(
    Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)),
  );
  // Before anything starts: a run whose results cannot be written is lost work.
  await ensureWritableDirectory(options.out, '--out');
  if (options.dataDir !== undefined) await ensureWritableDirectory(options.dataDir, '--data-dir');
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      // A second Ctrl-C means now: the exit hook still kills DynamoDB Local's Java process.
      process.exit(130);
    }
    process.stderr.write(
      `\n${signal}: stopping, the report is still written (Ctrl-C again to quit at once)\n`,
    );
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const tty = process.stdout.isTTY === true && !options.plain;
  const report = await runLocal(options, {
    write: (text) => process.stdout.write(text),
    tty,
    signal: controller.signal,
  });
  const policy = report.result.results.find((result) => result.strategy === 'policy');
  const lines = [
    '',
    `Run ${report.stopReason === 'finished' ? 'finished' : report.stopReason === 'signal' ? 'stopped' : 'reached --duration'} after ${report.realSeconds.toFixed(1)} s (${report.traceSeconds} s of trace).`,
    `  ${report.dryRun ? 'PATCHes a live run would send (dry run)' : 'PATCHes'}: ${policy?.patches ?? 0}, node-hours: ${policy?.node_hours ?? 0} (oracle ratio ${policy?.oracle_ratio ?? 0}), wait p95: ${policy?.wait_s.p95 ?? 0} s, unfinished jobs: ${policy?.unfinished_jobs ?? 0}`,
    ...clampNotes(report.result).map((note) => `  ${note}`),
    ...Object.entries(report.moves).map(
      ([flavor, moves]) =>
        `  ${flavor}: ${moves.scaleUps} scale-up(s), ${moves.scaleDowns} scale-down(s), targets ${moves.targets.join(' → ')}`,
    ),
    `  messages: ${report.queue.received} consumed, ${report.queue.failed} reported failed, ${report.queue.deadLetters} in the DLQ`,
    demandLine(report),
    ...report.files.map((file) => `  wrote ${file}`),
    '',
  ];
  process.stdout.write(lines.join('\n'));
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
}

/** Where the demand came from, and what the job events and the reconciliations amounted to. */
function demandLine(report: LocalRunReport): string {
  const { published, dropped, withheld } = report.jobEvents;
  const events =
    report.demand === 'workloads'
      ? `no job event sent (${withheld} transitions seen only as workloads), ${report.watcherInvocations} watcher polls`
      : `${published} job events sent${dropped > 0 ? `, ${dropped} dropped` : ''}`;
  const repaired =
    report.demand === 'events+workloads'
      ? `; reconciliations repaired ${report.reconciliations.driftUnits} units of drift (${report.reconciliations.repaired} flavor reconciliations found the counters off)`
      : '';
  return `  demand: ${report.demand}: ${events}${repaired}`;
}

main().catch((error: unknown) => {
  // A bad flag is named by its message; anything else is said in words, never with a class name.
  if (error instanceof LocalRunOptionsError) fail(error.message);
  else {
    const described = describeError(error, program);
    fail(described.message, described.code);
  }
});
