import type { Command } from 'commander';
import pc from 'picocolors';
import { policyJsonSchema } from '../../functions/shared/engine';
import {
  PolicyNotFoundError,
  PolicyRepository,
  PolicyVersionConflictError,
  type StoredPolicy,
} from '../../functions/shared/store/policy-repository';
import {
  type EndpointAllowlistOptions,
  allowLoopbackOption,
  endpointAllowlistFrom,
  endpointHostsOption,
} from './endpoint-options';
import { EXIT, InputError, describeError, fail, run } from './errors';
import { STDIN, jsonFilesOf } from './input-files';
import {
  addTableOptions,
  addPoolOption,
  poolFrom,
  storeFromOptions,
  wholeNumber,
  type TableOptions,
} from './options';
import {
  type Column,
  type OutputOptions,
  addOutputOptions,
  isoTime,
  outputMode,
  paint,
  printRecords,
  write,
} from './output';
import { type DocumentChange, diffDocuments, formatChange } from './policy-diff';
import { type PolicyDocument, readPolicyDocument } from './policy-documents';

type CommonOptions = TableOptions & OutputOptions;

/** `--endpoint-hosts` and `--allow-loopback`: where a policy's endpoint may point (the deployment's allowlist). */
function addAllowlistOptions(command: Command): Command {
  return command.addOption(endpointHostsOption()).addOption(allowLoopbackOption());
}

function flavorSummary(document: Record<string, unknown>): string {
  const flavors = document.flavors;
  if (typeof flavors !== 'object' || flavors === null) return '';
  return Object.entries(flavors as Record<string, { minCount?: unknown; maxCount?: unknown }>)
    .map(([flavor, rules]) => `${flavor} ${String(rules.minCount ?? 1)}..${String(rules.maxCount ?? '?')}`)
    .join(', ');
}

/** The stored policy of a pool, or the not-found error (exit 4) the policy commands share. */
async function existingPolicy(repository: PolicyRepository, pool: string): Promise<StoredPolicy> {
  const stored = await repository.get(pool);
  if (!stored) throw new PolicyNotFoundError(pool);
  return stored;
}

/** A stored policy as `policy get` prints it: the document, then its version and last write. */
function printable(policy: StoredPolicy): Record<string, unknown> {
  return { ...policy.document, version: policy.version, updatedAt: isoTime(policy.updatedAt) };
}

const POLICY_COLUMNS: readonly Column<StoredPolicy>[] = [
  { header: 'pool', value: (policy) => policy.pool },
  {
    header: 'state',
    value: (policy) => (policy.document.enabled === false ? 'paused' : 'enabled'),
    color: (text) => (text === 'enabled' ? pc.green(text) : pc.yellow(text)),
  },
  { header: 'mode', value: (policy) => (policy.document.dryRun === true ? 'dry run' : 'live') },
  { header: 'flavors (min..max)', value: (policy) => flavorSummary(policy.document), wrap: true },
  { header: 'version', value: (policy) => String(policy.version) },
  { header: 'updated', value: (policy) => isoTime(policy.updatedAt) },
];

function printPolicies(mode: ReturnType<typeof outputMode>, policies: readonly StoredPolicy[]): void {
  printRecords(mode, {
    columns: POLICY_COLUMNS,
    rows: policies,
    json: printable,
    empty: 'No policies found',
  });
}

/** What `policy apply` did, or would do, with one file. */
interface ApplyResult {
  file: string;
  pool: string;
  action: 'created' | 'configured' | 'unchanged' | 'conflict';
  version: number;
  changes: DocumentChange[];
  error?: string;
}

const APPLY_VERBS = {
  created: ['created', 'would be created'],
  configured: ['configured', 'would be configured'],
  unchanged: ['unchanged', 'unchanged'],
  conflict: ['not applied', 'not applied'],
} as const;

function applyLines(result: ApplyResult, dryRun: boolean): string[] {
  const verb = APPLY_VERBS[result.action][dryRun ? 1 : 0];
  const version = result.action === 'conflict' ? '' : ` (version ${result.version})`;
  return [
    `policy ${result.pool} ${verb}${version}  ${paint(result.file, pc.dim)}`,
    ...result.changes.map((change) => {
      const line = `    ${formatChange(change)}`;
      if (change.kind === 'added') return paint(line, pc.green);
      if (change.kind === 'removed') return paint(line, pc.red);
      return paint(line, pc.yellow);
    }),
  ];
}

/** Reads every file first: one bad file (or two files of one pool) stops the apply before anything is written. */
async function readAll(
  paths: readonly string[],
  endpointAllowlist: ReturnType<typeof endpointAllowlistFrom>,
): Promise<PolicyDocument[]> {
  const files = (await Promise.all(paths.map(jsonFilesOf))).flat();
  const documents: PolicyDocument[] = [];
  const problems: string[] = [];
  for (const file of files) {
    try {
      documents.push(await readPolicyDocument(file, endpointAllowlist));
    } catch (error) {
      problems.push(describeError(error).message);
    }
  }
  const byPool = new Map<string, string>();
  for (const document of documents) {
    const other = byPool.get(document.document.pool);
    if (other !== undefined)
      problems.push(`${document.source}: pool ${document.document.pool} is also in ${other}`);
    byPool.set(document.document.pool, document.source);
  }
  if (problems.length > 0)
    throw new InputError(
      problems.length === 1 ? 'policy apply' : `policy apply, ${problems.length} problems`,
      `nothing was written\n${problems.join('\n')}`,
    );
  return documents;
}

async function applyOne(
  repository: PolicyRepository,
  document: PolicyDocument,
  dryRun: boolean,
): Promise<ApplyResult> {
  const { pool } = document.document;
  const stored = await repository.get(pool);
  const changes = stored ? diffDocuments(stored.document, document.document) : [];
  const base = { file: document.source, pool, changes };
  if (stored && changes.length === 0) return { ...base, action: 'unchanged', version: stored.version };
  const action = stored ? 'configured' : 'created';
  const expected = document.version ?? stored?.version ?? 0;
  if (dryRun) return { ...base, action, version: (stored?.version ?? 0) + 1 };
  try {
    const version = await repository.put(document.document, { now: Date.now(), expectedVersion: expected });
    return { ...base, action, version };
  } catch (error) {
    if (!(error instanceof PolicyVersionConflictError)) throw error;
    return {
      ...base,
      action: 'conflict',
      version: stored?.version ?? 0,
      error: describeError(error).message,
    };
  }
}

const APPLY_EXAMPLES = `
Examples:
  $ pool-autoscaler policy apply policies/ --dry-run   # what would change, field by field
  $ pool-autoscaler policy apply policies/             # write the policies that differ
  $ cat policy.json | pool-autoscaler policy apply -`;

export function registerPolicyCommand(program: Command): void {
  const policy = program
    .command('policy')
    .description('Validate, write, read and pause the scaling policies (one per pool) in the policies table');

  addOutputOptions(
    addAllowlistOptions(
      policy
        .command('validate')
        .description(
          'Check policy files against the schema, reporting every bad field of each (exit 1 if any is bad)',
        )
        .argument('<files...>', "policy JSON files ('-' reads standard input)")
        .addHelpText(
          'after',
          '\nExamples:\n  $ pool-autoscaler policy validate examples/policy.json\n  $ pool-autoscaler policy get --pool P | pool-autoscaler policy validate -',
        ),
    ),
  ).action(async (files: string[], options: OutputOptions & EndpointAllowlistOptions, command: Command) =>
    run(command, async () => {
      const mode = outputMode(options);
      const endpointAllowlist = endpointAllowlistFrom(options);
      const results: Array<{
        file: string;
        valid: boolean;
        pool?: string;
        flavors?: string[];
        error?: string;
      }> = [];
      for (const file of files) {
        try {
          const { policy: parsed, source } = await readPolicyDocument(file, endpointAllowlist);
          results.push({
            file: source,
            valid: true,
            pool: parsed.pool,
            flavors: Object.keys(parsed.flavors),
          });
        } catch (error) {
          const described = describeError(error);
          results.push({
            file: file === STDIN ? 'standard input' : file,
            valid: false,
            error: described.message,
          });
        }
      }
      if (mode === 'json') write(JSON.stringify(results, null, 2));
      for (const result of results) {
        if (!result.valid) {
          if (mode !== 'json') fail(result.error ?? 'invalid');
          continue;
        }
        if (mode === 'json') continue;
        const flavors = result.flavors ?? [];
        write(
          `${paint('valid', pc.green)}: pool ${result.pool}, ${flavors.length} flavor${flavors.length === 1 ? '' : 's'} (${flavors.join(', ')})${files.length > 1 ? `  ${result.file}` : ''}`,
        );
      }
      if (results.some((result) => !result.valid)) process.exitCode = EXIT.failed;
    }),
  );

  addOutputOptions(
    addAllowlistOptions(
      addTableOptions(
        policy
          .command('put')
          .description(
            "Write a policy; refused (exit 3) if the stored version moved since the file's `version` or --expected-version",
          )
          .argument(
            '<file>',
            "policy JSON ('-' reads standard input); a `version` field (as `policy get` prints it) is the expected version",
          )
          .option(
            '--expected-version <n>',
            'write only if the stored policy is at this version (0: must not exist)',
            wholeNumber,
          )
          .addHelpText(
            'after',
            '\nExamples:\n  $ pool-autoscaler policy put policy.json\n  $ pool-autoscaler policy get --pool P > p.json && $EDITOR p.json && pool-autoscaler policy put p.json',
          ),
      ),
    ),
  ).action(
    async (
      file: string,
      options: CommonOptions & EndpointAllowlistOptions & { expectedVersion?: number },
      command: Command,
    ) =>
      run(command, async () => {
        const { document, version } = await readPolicyDocument(file, endpointAllowlistFrom(options));
        const expected = options.expectedVersion ?? version;
        const written = await new PolicyRepository(storeFromOptions(options)).put(document, {
          now: Date.now(),
          ...(expected !== undefined ? { expectedVersion: expected } : {}),
        });
        if (outputMode(options) === 'json') write(JSON.stringify({ pool: document.pool, version: written }));
        else write(`policy for pool ${document.pool} written at version ${written}`);
      }),
  );

  addOutputOptions(
    addAllowlistOptions(
      addTableOptions(
        policy
          .command('apply')
          .description(
            'Write the policies of a file or a directory of *.json files, showing what differs from what is stored, field by field; unchanged ones are not written',
          )
          .argument('<paths...>', "policy files or directories ('-' reads standard input)")
          .option('--dry-run', 'show the differences, write nothing', false)
          .addHelpText('after', APPLY_EXAMPLES),
      ),
    ),
  ).action(
    async (
      paths: string[],
      options: CommonOptions & EndpointAllowlistOptions & { dryRun: boolean },
      command: Command,
    ) =>
      run(command, async () => {
        const documents = await readAll(paths, endpointAllowlistFrom(options));
        const repository = new PolicyRepository(storeFromOptions(options));
        const results: ApplyResult[] = [];
        for (const document of documents) results.push(await applyOne(repository, document, options.dryRun));
        const mode = outputMode(options);
        if (mode === 'json') write(JSON.stringify(results, null, 2));
        else if (mode === 'tsv') {
          write(['file', 'pool', 'action', 'version', 'change'].join('\t'));
          for (const result of results) {
            const lines = result.changes.length > 0 ? result.changes.map(formatChange) : [''];
            for (const line of lines)
              write([result.file, result.pool, result.action, String(result.version), line].join('\t'));
          }
        } else for (const result of results) write(applyLines(result, options.dryRun).join('\n'));
        for (const result of results)
          if (result.error) fail(`${result.file}: ${result.error}`, EXIT.conflict);
      }),
  );

  addOutputOptions(
    addPoolOption(
      addTableOptions(
        policy
          .command('get')
          .description(
            "Print a pool's policy as JSON with its version and last write (-o table|tsv: one summary row)",
          )
          .argument('[pool]', 'pool name (or --pool)')
          .addHelpText(
            'after',
            '\nExamples:\n  $ pool-autoscaler policy get --pool P > p.json   # edit, then: policy put p.json',
          ),
      ),
    ),
  ).action(
    async (positional: string | undefined, options: CommonOptions & { pool?: string }, command: Command) =>
      run(command, async () => {
        const pool = poolFrom(positional, options.pool);
        const stored = await existingPolicy(new PolicyRepository(storeFromOptions(options)), pool);
        // A policy is a document to edit and put back: JSON unless a table is asked for.
        const mode = outputMode(options, 'json');
        if (mode === 'json') write(JSON.stringify(printable(stored), null, 2));
        else printPolicies(mode, [stored]);
      }),
  );

  addOutputOptions(
    addTableOptions(
      policy
        .command('list')
        .description(
          'List every policy: pool, enabled or paused, live or dry run, flavor bounds, version, last write',
        ),
    ),
  ).action(async (options: CommonOptions, command: Command) =>
    run(command, async () => {
      printPolicies(outputMode(options), await new PolicyRepository(storeFromOptions(options)).list());
    }),
  );

  addOutputOptions(
    addPoolOption(
      addTableOptions(
        policy
          .command('delete')
          .description("Delete a pool's policy (the pool is no longer scaled)")
          .argument('[pool]', 'pool name (or --pool)'),
      ),
    ),
  ).action(
    async (positional: string | undefined, options: CommonOptions & { pool?: string }, command: Command) =>
      run(command, async () => {
        const pool = poolFrom(positional, options.pool);
        const repository = new PolicyRepository(storeFromOptions(options));
        const stored = await existingPolicy(repository, pool);
        await repository.delete(pool);
        if (outputMode(options) === 'json')
          write(JSON.stringify({ pool, deleted: true, version: stored.version }));
        else write(`policy for pool ${pool} deleted`);
      }),
  );

  for (const [name, enabled] of [
    ['pause', false],
    ['resume', true],
  ] as const) {
    addOutputOptions(
      addPoolOption(
        addTableOptions(
          policy
            .command(name)
            .description(
              enabled
                ? 'Resume scaling a pool (enabled: true); a pool already enabled is left as it is'
                : 'Stop scaling a pool, keeping its policy (enabled: false); a pool already paused is left as it is',
            )
            .argument('[pool]', 'pool name (or --pool)'),
        ),
      ),
    ).action(
      async (positional: string | undefined, options: CommonOptions & { pool?: string }, command: Command) =>
        run(command, async () => {
          const pool = poolFrom(positional, options.pool);
          const repository = new PolicyRepository(storeFromOptions(options));
          const stored = await existingPolicy(repository, pool);
          const word = enabled ? 'resumed' : 'paused';
          // Asking twice changes nothing the second time: no write, no new version.
          const changed = (stored.document.enabled !== false) !== enabled;
          const version = changed ? await repository.setEnabled(pool, enabled, Date.now()) : stored.version;
          if (outputMode(options) === 'json') write(JSON.stringify({ pool, enabled, changed, version }));
          else write(`pool ${pool} ${changed ? '' : 'already '}${word} (version ${version})`);
        }),
    );
  }

  policy
    .command('schema')
    .description('Print the policy\'s JSON Schema (point an editor at it with "$schema" in a policy file)')
    .action(async (_options: unknown, command: Command) =>
      run(command, async () => {
        write(JSON.stringify({ title: 'pool-autoscaler policy', ...policyJsonSchema() }, null, 2));
      }),
    );
}
