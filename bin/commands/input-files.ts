import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { JsonSyntaxError, parseJsonText } from '../../functions/shared/json-text';
import { InputError, UsageError } from './errors';

/** `-` names standard input wherever a command reads a file. */
export const STDIN = '-';

/** What the source is called in messages. */
export function sourceName(path: string): string {
  return path === STDIN ? 'standard input' : path;
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY)
    throw new UsageError("'-' reads standard input, but it is a terminal: pipe the JSON in, or name a file");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** The text of a file, or of standard input for `-`. */
export async function readText(path: string): Promise<string> {
  return path === STDIN ? readStdin() : readFile(path, 'utf8');
}

/** JSON from a file or standard input; a syntax error names the line and column. */
export async function readJson(path: string): Promise<unknown> {
  const text = await readText(path);
  try {
    return parseJsonText(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError)
      throw new InputError(sourceName(path), `not valid JSON: ${error.message}`);
    throw error;
  }
}

function parsesAlone(line: string): boolean {
  try {
    parseJsonText(line);
    return true;
  } catch {
    return false;
  }
}

/**
 * One JSON document (an array counts as its elements), or JSON lines (one value per line): what `event send
 * --file` reads. Blank lines are skipped; a bad line is named by its number.
 */
export async function readJsonValues(path: string): Promise<unknown[]> {
  const text = await readText(path);
  try {
    const whole = parseJsonText(text);
    return Array.isArray(whole) ? whole : [whole];
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    const lines = text.split('\n');
    const first = lines.find((line) => line.trim() !== '');
    // JSON lines when the first line is a value of its own; else the syntax error is the document's.
    if (first === undefined || !parsesAlone(first))
      throw new InputError(sourceName(path), `not valid JSON: ${error.message}`);
    return lines.flatMap((line, index) => {
      if (line.trim() === '') return [];
      try {
        return [parseJsonText(line)];
      } catch (lineError) {
        if (!(lineError instanceof JsonSyntaxError)) throw lineError;
        throw new InputError(
          sourceName(path),
          `line ${index + 1} is not JSON (column ${lineError.column}: ${lineError.detail})`,
        );
      }
    });
  }
}

/**
 * The JSON files a path names: the file itself, or the `*.json` files of a directory (not its subdirectories),
 * sorted, JSON Schema files (`*.schema.json`) left out.
 */
export async function jsonFilesOf(path: string): Promise<string[]> {
  if (path === STDIN) return [STDIN];
  const info = await stat(path);
  if (!info.isDirectory()) return [path];
  const names = (await readdir(path))
    .filter((name) => name.endsWith('.json') && !name.endsWith('.schema.json'))
    .sort();
  if (names.length === 0) throw new InputError(path, 'holds no .json file');
  return names.map((name) => join(path, name));
}
