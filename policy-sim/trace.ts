import { z } from 'zod';
import { TraceParseError } from './errors';

/** One job of a trace (ARCHITECTURE 3.3): it is submitted at `submitS`, and runs `durationS` once it starts. */
export interface TraceJob {
  jobId: string;
  submitS: number;
  flavor: string;
  units: number;
  durationS: number;
  pool?: string;
}

export const TRACE_COLUMNS = ['job_id', 'submit_s', 'flavor', 'units', 'duration_s'] as const;
const OPTIONAL_COLUMNS = ['pool'] as const;
const KNOWN_COLUMNS: readonly string[] = [...TRACE_COLUMNS, ...OPTIONAL_COLUMNS];

const decimal = z
  .string()
  .trim()
  .regex(/^\d+(\.\d+)?$/, 'expected a non-negative decimal number of seconds')
  .transform(Number);

const TraceRowSchema = z.strictObject({
  job_id: z.string().trim().min(1, 'must not be empty'),
  submit_s: decimal,
  flavor: z.string().trim().min(1, 'must not be empty'),
  units: z
    .string()
    .trim()
    .regex(/^[1-9]\d*$/, 'expected a positive whole number of capacity units')
    .transform(Number),
  duration_s: decimal.refine((seconds) => seconds > 0, 'must be greater than 0'),
  pool: z.string().trim().optional(),
});

/**
 * Parses a trace CSV. Rows may come in any order; the result is sorted by submit time, ties kept in file order,
 * which is the order jobs enter their flavor's queue.
 */
export function parseTrace(text: string): TraceJob[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const headerLine = lines[0]?.trim() ?? '';
  if (headerLine === '') throw new TraceParseError(1, undefined, `missing header ${TRACE_COLUMNS.join(',')}`);
  const header = headerLine.split(',').map((name) => name.trim());
  for (const name of header) {
    if (!KNOWN_COLUMNS.includes(name)) throw new TraceParseError(1, name, 'unknown column');
  }
  for (const name of TRACE_COLUMNS) {
    if (!header.includes(name)) throw new TraceParseError(1, name, 'required column is missing');
  }
  if (new Set(header).size !== header.length)
    throw new TraceParseError(1, undefined, 'a column appears twice');

  const jobs: TraceJob[] = [];
  const seen = new Map<string, number>();
  lines.forEach((raw, index) => {
    const lineNumber = index + 1;
    if (index === 0 || raw.trim() === '') return;
    const cells = raw.split(',');
    if (cells.length !== header.length) {
      throw new TraceParseError(
        lineNumber,
        undefined,
        `expected ${header.length} cells, found ${cells.length}`,
      );
    }
    const record: Record<string, string> = {};
    header.forEach((name, column) => {
      record[name] = cells[column] ?? '';
    });
    const parsed = TraceRowSchema.safeParse(record);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const column = issue?.path[0];
      throw new TraceParseError(
        lineNumber,
        typeof column === 'string' ? column : undefined,
        issue?.message ?? 'invalid row',
      );
    }
    const row = parsed.data;
    const previous = seen.get(row.job_id);
    if (previous !== undefined) {
      throw new TraceParseError(lineNumber, 'job_id', `duplicate of line ${previous}`);
    }
    seen.set(row.job_id, lineNumber);
    const job: TraceJob = {
      jobId: row.job_id,
      submitS: row.submit_s,
      flavor: row.flavor,
      units: row.units,
      durationS: row.duration_s,
    };
    if (row.pool !== undefined && row.pool !== '') job.pool = row.pool;
    jobs.push(job);
  });
  // Array.prototype.sort is stable, so equal submit times keep their file order.
  return jobs.sort((a, b) => a.submitS - b.submitS);
}

/** Writes jobs as a trace CSV that `parseTrace` reads back unchanged. */
export function formatTrace(jobs: readonly TraceJob[]): string {
  const withPool = jobs.some((job) => job.pool !== undefined);
  const header = withPool ? [...TRACE_COLUMNS, 'pool'] : [...TRACE_COLUMNS];
  const rows = jobs.map((job) => {
    const cells = [job.jobId, String(job.submitS), job.flavor, String(job.units), String(job.durationS)];
    if (withPool) cells.push(job.pool ?? '');
    return cells.join(',');
  });
  return `${[header.join(','), ...rows].join('\n')}\n`;
}
