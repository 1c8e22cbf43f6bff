import Table from 'cli-table3';
import { type Command, Option } from 'commander';
import pc from 'picocolors';

/**
 * One output rule for every command: `-o json|tsv|table` (`--json` is `-o json`); without it, a table when a
 * person reads a terminal, tab-separated lines with a header when stdout is a pipe, a file or NO_COLOR is set.
 */
export const OUTPUT_MODES = ['json', 'tsv', 'table'] as const;
export type OutputMode = (typeof OUTPUT_MODES)[number];

export interface OutputOptions {
  output?: OutputMode;
  json?: boolean;
}

/** Adds `-o, --output` and the older `--json` (hidden, kept for scripts) to a command. */
export function addOutputOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '-o, --output <mode>',
        'json, tsv (tab-separated, with a header) or table (default: table on a terminal, tsv otherwise)',
      ).choices(OUTPUT_MODES),
    )
    .addOption(new Option('--json', 'same as -o json').hideHelp());
}

/** Colors and boxes only when a person is reading. */
export function isTerminal(
  stream: { isTTY?: boolean } = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  return stream.isTTY === true && env.NO_COLOR === undefined;
}

export function outputMode(options: OutputOptions, fallback?: OutputMode): OutputMode {
  if (options.output) return options.output;
  if (options.json) return 'json';
  return fallback ?? (isTerminal() ? 'table' : 'tsv');
}

/** Paints only on a terminal. */
export function paint(text: string, color: (text: string) => string): string {
  return isTerminal() ? color(text) : text;
}

export function write(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Status lines (`wrote ...`, `No activities found`) go to stderr, so piped output stays data only. */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}

export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  /** Colors the cell in a table (never in TSV). */
  color?: (text: string, row: Row) => string;
  /** Long text: wrapped in a table to what the terminal leaves over. */
  wrap?: boolean;
}

export interface RecordsOutput<Row> {
  columns: readonly Column<Row>[];
  rows: readonly Row[];
  /** What one row is in JSON. */
  json: (row: Row) => unknown;
  /** Said when there is nothing, e.g. `No activities found`. */
  empty: string;
}

/** A TSV cell stays on its line and in its column. */
function tsvCell(text: string): string {
  return text.replace(/[\t\r\n]+/g, ' ');
}

export function tsvLines<Row>(
  columns: readonly Column<Row>[],
  rows: readonly Row[],
  header = true,
): string[] {
  const lines = rows.map((row) => columns.map((column) => tsvCell(column.value(row))).join('\t'));
  return header ? [columns.map((column) => column.header).join('\t'), ...lines] : lines;
}

/** Widths so a wrapped column fits the terminal; `undefined` lets cli-table3 size a column to its text. */
function columnWidths<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): Array<number | null> {
  const terminal = process.stdout.columns ?? 120;
  const natural = columns.map(
    (column) => Math.max(column.header.length, ...rows.map((row) => longestLine(column.value(row)))) + 2,
  );
  const wrapped = columns.filter((column) => column.wrap).length;
  if (wrapped === 0) return columns.map(() => null);
  const fixed = natural.reduce((sum, width, index) => (columns[index]?.wrap ? sum : sum + width), 0);
  const borders = columns.length + 1;
  const left = Math.max(24, Math.floor((terminal - fixed - borders) / wrapped));
  return columns.map((column, index) => (column.wrap ? Math.min(left, natural[index] ?? left) : null));
}

function longestLine(text: string): number {
  return Math.max(0, ...text.split('\n').map((line) => line.length));
}

export function renderTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const table = new Table({
    head: columns.map((column) => pc.bold(column.header)),
    colWidths: columnWidths(columns, rows),
    wordWrap: true,
    style: { head: [], border: [] },
  });
  for (const row of rows) {
    table.push(
      columns.map((column) => {
        const text = column.value(row);
        return column.color && text !== '' ? column.color(text, row) : text;
      }),
    );
  }
  return table.toString();
}

/** Prints a list in the chosen mode: a JSON array, TSV with a header, or a table. */
export function printRecords<Row>(mode: OutputMode, output: RecordsOutput<Row>): void {
  const { columns, rows, empty } = output;
  if (mode === 'json') {
    write(JSON.stringify(rows.map(output.json), null, 2));
    return;
  }
  if (mode === 'tsv') {
    write(tsvLines(columns, rows).join('\n'));
    if (rows.length === 0) note(empty);
    return;
  }
  if (rows.length === 0) {
    write(paint(empty, pc.dim));
    return;
  }
  write(renderTable(columns, rows));
}

/** ISO 8601 for an epoch-ms time: every time the commands print looks the same. */
export function isoTime(epochMs: number | undefined): string {
  return epochMs === undefined || !Number.isFinite(epochMs) || epochMs <= 0
    ? ''
    : new Date(epochMs).toISOString();
}
