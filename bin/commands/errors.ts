import { type Command, CommanderError, InvalidArgumentError } from 'commander';
import pc from 'picocolors';
import { z } from 'zod';
import { PolicyValidationError } from '../../functions/shared/engine';
import { InvalidEventError } from '../../functions/shared/events';
import {
  PolicyNotFoundError,
  PolicyVersionConflictError,
} from '../../functions/shared/store/policy-repository';
import {
  type FieldIssue,
  fieldIssues,
  issueLines,
  plainMessages,
} from '../../functions/shared/validation-issues';

/** Exit codes of every command (docs/cli.md). */
export const EXIT = { ok: 0, failed: 1, conflict: 3, notFound: 4 } as const;

/** The command was called wrongly: the message, then where to read how to call it. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Input (a file, standard input, an option's value) that cannot be used, with every problem found in it. */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    /** What the input is: a file name, `standard input`, `--body`. */
    readonly source: string,
    readonly problem: string,
    readonly issues: readonly FieldIssue[] = [],
  ) {
    // One problem on one line; several, one per line below.
    super(
      issues.length === 0
        ? `${source}: ${problem}`
        : issues.length === 1
          ? `${source}: ${problem}: ${issueLines(issues)[0]}`
          : `${source}: ${problem}:\n${indented(issues)}`,
    );
  }
}

function indented(issues: readonly FieldIssue[]): string {
  return issueLines(issues)
    .map((line) => `  ${line}`)
    .join('\n');
}

/** `tablePrefix` → `--table-prefix`: a problem with an option is said with the option as it is typed. */
function flagOf(field: string): string {
  return `--${field.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`;
}

/** Options checked against a zod schema after commander parsed them; every problem is a usage error naming it. */
export function parseOptions<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw, { error: plainMessages });
  if (parsed.success) return parsed.data;
  const issues = fieldIssues(parsed.error.issues).map((issue) => ({ ...issue, field: flagOf(issue.field) }));
  throw new UsageError(issueLines(issues).join('\n'));
}

/** Reports an error on stderr and sets the exit code, so scripts can tell the cases apart. */
export function fail(message: string, code: number = EXIT.failed): void {
  process.stderr.write(`${process.stderr.isTTY ? pc.red('error') : 'error'}: ${message}\n`);
  process.exitCode = code;
}

/** `pool-autoscaler policy put`: the command as a user types it, for the `--help` hint. */
export function commandPath(command: Command | undefined): string {
  const names: string[] = [];
  for (let current = command; current; current = current.parent ?? undefined) names.unshift(current.name());
  return names.join(' ');
}

export function helpHint(command: Command | undefined): string {
  return `(see '${commandPath(command) || 'pool-autoscaler'} --help')`;
}

const FS_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
};

const STORE_HINT =
  "check --endpoint-url, --table-prefix and --region (for tables on this machine, start 'pool-autoscaler local up' and use the environment it prints)";

interface Described {
  message: string;
  code: number;
}

/** Known failures in words an operator acts on; never a class name or a stack trace. */
export function describeError(error: unknown, command?: Command): Described {
  if (error instanceof UsageError || error instanceof InvalidArgumentError)
    return { message: `${error.message}\n${helpHint(command)}`, code: EXIT.failed };
  if (error instanceof PolicyValidationError)
    return { message: `invalid policy:\n${indented(error.issues)}`, code: EXIT.failed };
  if (error instanceof PolicyVersionConflictError)
    return {
      message: `${error.message}: someone changed it since; read it again with 'policy get'`,
      code: EXIT.conflict,
    };
  if (error instanceof PolicyNotFoundError) return { message: error.message, code: EXIT.notFound };
  if (error instanceof InvalidEventError)
    return { message: `invalid event: ${error.message}`, code: EXIT.failed };
  if (error instanceof z.ZodError)
    return { message: issueLines(fieldIssues(error.issues)).join('\n'), code: EXIT.failed };
  if (!(error instanceof Error)) return { message: String(error), code: EXIT.failed };

  const { code, path, syscall } = error as NodeJS.ErrnoException;
  if (path !== undefined && code !== undefined && FS_PROBLEMS[code] !== undefined)
    return { message: `${path}: ${FS_PROBLEMS[code]}`, code: EXIT.failed };
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ECONNRESET' || syscall === 'connect')
    return { message: `${error.message} (${STORE_HINT}, and the endpoints)`, code: EXIT.failed };
  if (error.name === 'ResourceNotFoundException')
    return { message: `table not found (${error.message}); ${STORE_HINT}`, code: EXIT.failed };
  if (error.name === 'CredentialsProviderError')
    return {
      message: `no AWS credentials (${error.message}): set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or ${STORE_HINT}`,
      code: EXIT.failed,
    };
  return { message: error.message, code: EXIT.failed };
}

/** Runs a command body and turns whatever it throws into a message and an exit code. */
export async function run(command: Command | undefined, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    // Commander's own errors (an unknown option, a bad value in a parser) have been printed already.
    if (error instanceof CommanderError && !(error instanceof InvalidArgumentError)) throw error;
    const described = describeError(error, command);
    fail(described.message, described.code);
    if (process.env.POOL_AUTOSCALER_DEBUG && error instanceof Error && error.stack)
      process.stderr.write(`${error.stack}\n`);
  }
}
