import { readFile } from 'node:fs/promises';
import { parsePolicy, type Policy } from '../functions/shared/engine';
import { SimulationInputError } from './errors';
import { parseTrace, type TraceJob } from './trace';

export async function loadTraceFile(path: string): Promise<TraceJob[]> {
  return parseTrace(await readFile(path, 'utf8'));
}

/** Reads a policy item (ARCHITECTURE 3.1) from a JSON file; validation errors name the field. */
export async function loadPolicyFile(path: string): Promise<Policy> {
  const text = await readFile(path, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SimulationInputError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  return parsePolicy(json);
}
