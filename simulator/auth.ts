import { timingSafeEqual } from 'node:crypto';
import { verifySignature } from '../functions/shared/modelarts/signer';
import { authenticationFailed, type ModelArtsHttpError } from './errors';
import type { SimulatorCredentials } from './types';

export interface AuthConfig {
  credentials: SimulatorCredentials[];
  token?: string;
  /** Real time for the `X-Sdk-Date` skew check. */
  now: () => number;
}

export interface ReceivedRequest {
  method: string;
  /** Path as received, percent-encoded, without the query. */
  rawPath: string;
  rawQuery: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface AuthOutcome {
  method: 'aksk' | 'token' | 'none';
  /** `null` when no signature was checked. */
  signatureValid: boolean | null;
  error?: ModelArtsHttpError;
}

/** Whether requests must authenticate at all: only when keys or a token were configured. */
export function authRequired(config: AuthConfig): boolean {
  return config.credentials.length > 0 || config.token !== undefined;
}

/**
 * The API gateway's check: an `X-Auth-Token` header takes the token path, otherwise the AK/SK signature is
 * verified. Failures are 401 `APIG.0301` with the gateway's wording.
 */
export function authenticate(request: ReceivedRequest, config: AuthConfig): AuthOutcome {
  const token = headerText(request.headers['x-auth-token']);
  const required = authRequired(config);
  if (token !== undefined) {
    if (!required) return { method: 'token', signatureValid: null };
    if (config.token !== undefined && sameText(token, config.token))
      return { method: 'token', signatureValid: null };
    return { method: 'token', signatureValid: null, error: authenticationFailed('decrypt token fail') };
  }
  const hasSignature = headerText(request.headers.authorization) !== undefined;
  if (!required) return { method: hasSignature ? 'aksk' : 'none', signatureValid: null };

  const secrets = new Map(config.credentials.map((credential) => [credential.ak, credential.sk]));
  const verification = verifySignature(
    {
      method: request.method,
      path: request.rawPath,
      query: request.rawQuery,
      headers: request.headers,
      body: request.body,
    },
    (ak) => secrets.get(ak),
    new Date(config.now()),
  );
  if (verification.ok) return { method: 'aksk', signatureValid: true };
  return {
    method: hasSignature ? 'aksk' : 'none',
    signatureValid: hasSignature ? false : null,
    error: authenticationFailed(verification.reason),
  };
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
