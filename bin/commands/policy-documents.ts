import type { EndpointAllowlist } from '../../functions/shared/endpoint-allowlist';
import { type Policy, PolicyValidationError, SCHEMA_KEY, parsePolicy } from '../../functions/shared/engine';
import { POLICY_BOOKKEEPING_ATTRIBUTES } from '../../functions/shared/store/policy-repository';
import { InputError } from './errors';
import { readJson, sourceName } from './input-files';

/** A policy file as read: the document to store, the version it was based on, the validated policy. */
export interface PolicyDocument {
  source: string;
  document: Record<string, unknown> & { pool: string };
  /** A `version` in the file (as `policy get` prints it): the write is conditional on it. */
  version: number | undefined;
  policy: Policy;
}

/** Keys of a file that are not part of the document stored: bookkeeping `policy get` prints, `$schema`. */
const NOT_STORED = new Set<string>([...POLICY_BOOKKEEPING_ATTRIBUTES, SCHEMA_KEY]);

/** The document without what is never stored, in the order it was written. */
export function storedPart(json: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(json).filter(([key]) => !NOT_STORED.has(key)));
}

/**
 * Reads and validates one policy file (or standard input), its endpoint against the allowlist (default: the
 * deployment's, from the environment); every problem is reported with the file's name.
 */
export async function readPolicyDocument(
  path: string,
  endpointAllowlist?: EndpointAllowlist,
): Promise<PolicyDocument> {
  const source = sourceName(path);
  const json = await readJson(path);
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new InputError(source, 'a policy is a JSON object');
  const { version } = json as Record<string, unknown>;
  const document = storedPart(json as Record<string, unknown>);
  let policy: Policy;
  try {
    policy = parsePolicy(document, endpointAllowlist ? { endpointAllowlist } : {});
  } catch (error) {
    if (error instanceof PolicyValidationError) throw new InputError(source, 'invalid policy', error.issues);
    throw error;
  }
  return {
    source,
    document: document as Record<string, unknown> & { pool: string },
    version: typeof version === 'number' ? version : undefined,
    policy,
  };
}
