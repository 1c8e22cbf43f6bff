import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SimulationResult } from '../results';
import { reportHtml } from './report-html';
import { summaryJson, type SummaryContext } from './summary-json';
import { timelineCsv } from './timeline-csv';

export const OUTPUT_FILES = ['summary.json', 'timeline.csv', 'report.html'] as const;

/** Writes `summary.json`, `timeline.csv` and `report.html` into `dir`, creating it when needed. */
export async function writeSimulationOutputs(
  dir: string,
  result: SimulationResult,
  context: SummaryContext = {},
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const contents: Record<(typeof OUTPUT_FILES)[number], string> = {
    'summary.json': summaryJson(result, context),
    'timeline.csv': timelineCsv(result.timeline),
    'report.html': reportHtml(result, context),
  };
  const written: string[] = [];
  for (const name of OUTPUT_FILES) {
    const path = join(dir, name);
    await writeFile(path, contents[name], 'utf8');
    written.push(path);
  }
  return written;
}
