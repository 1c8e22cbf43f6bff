/**
 * Credentials for the ModelArts API: an AK/SK pair (optionally temporary, with a security token) or an
 * IAM token. Secrets live in private fields, so printing, logging or serialising a credentials object
 * shows only the access key.
 */
import { inspect } from 'node:util';
import { z } from 'zod';
import { ModelArtsCredentialsError } from './errors';
import { parseFields } from '../validation-issues';

const REDACTED = '[redacted]';

export class AkSkCredentials {
  readonly kind = 'aksk' as const;
  readonly ak: string;
  readonly #sk: string;
  readonly #securityToken: string | undefined;

  constructor(ak: string, sk: string, securityToken?: string) {
    this.ak = ak;
    this.#sk = sk;
    this.#securityToken = securityToken;
  }

  get sk(): string {
    return this.#sk;
  }

  /** Sent (and signed) as `X-Security-Token` for temporary AK/SK. */
  get securityToken(): string | undefined {
    return this.#securityToken;
  }

  toJSON(): Record<string, string> {
    return { kind: this.kind, ak: this.ak, sk: REDACTED };
  }

  toString(): string {
    return `AkSkCredentials(ak=${this.ak}, sk=${REDACTED})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

export class TokenCredentials {
  readonly kind = 'token' as const;
  readonly #token: string;

  constructor(token: string) {
    this.#token = token;
  }

  /** Sent as `X-Auth-Token`. */
  get token(): string {
    return this.#token;
  }

  toJSON(): Record<string, string> {
    return { kind: this.kind, token: REDACTED };
  }

  toString(): string {
    return `TokenCredentials(token=${REDACTED})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

export type ModelArtsCredentials = AkSkCredentials | TokenCredentials;

/** What callers may pass: a credentials object or a plain `{ak, sk}` / `{token}`. */
export type CredentialsInput =
  ModelArtsCredentials | { ak: string; sk: string; securityToken?: string } | { token: string };

const AkSkInputSchema = z.object({
  ak: z.string().min(1, 'access key is empty'),
  sk: z.string().min(1, 'secret key is empty'),
  securityToken: z.string().min(1).optional(),
});
const TokenInputSchema = z.object({ token: z.string().min(1, 'token is empty') });

export function toCredentials(input: CredentialsInput): ModelArtsCredentials {
  if (input instanceof AkSkCredentials || input instanceof TokenCredentials) return input;
  if ('token' in input) {
    const parsed = TokenInputSchema.safeParse(input);
    if (!parsed.success)
      throw new ModelArtsCredentialsError('credentials.token', 'must be a non-empty string');
    return new TokenCredentials(parsed.data.token);
  }
  const parsed = parseFields(AkSkInputSchema, input, 'ak');
  if (!parsed.success) {
    const issue = parsed.issues[0];
    throw new ModelArtsCredentialsError(`credentials.${issue?.field ?? 'ak'}`, issue?.message ?? 'invalid');
  }
  return new AkSkCredentials(parsed.data.ak, parsed.data.sk, parsed.data.securityToken);
}

/** Names follow Huawei's SDKs; the token variable is this project's. */
export const CredentialEnv = {
  ak: 'HUAWEICLOUD_SDK_AK',
  sk: 'HUAWEICLOUD_SDK_SK',
  securityToken: 'HUAWEICLOUD_SDK_SECURITY_TOKEN',
  projectId: 'HUAWEICLOUD_SDK_PROJECT_ID',
  token: 'HUAWEICLOUD_SDK_TOKEN',
} as const;

const optionalValue = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const CredentialEnvSchema = z.object({
  [CredentialEnv.ak]: optionalValue,
  [CredentialEnv.sk]: optionalValue,
  [CredentialEnv.securityToken]: optionalValue,
  [CredentialEnv.projectId]: optionalValue.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9-]{1,64}$/, 'must be letters, digits or hyphens')
      .optional(),
  ),
  [CredentialEnv.token]: optionalValue,
});

export interface EnvCredentials {
  credentials: ModelArtsCredentials;
  /** From `HUAWEICLOUD_SDK_PROJECT_ID`; undefined when not set (a command-line flag may give it). */
  projectId: string | undefined;
}

/**
 * Reads `HUAWEICLOUD_SDK_AK` + `HUAWEICLOUD_SDK_SK` (and `HUAWEICLOUD_SDK_SECURITY_TOKEN` for temporary
 * keys), or else `HUAWEICLOUD_SDK_TOKEN`, plus `HUAWEICLOUD_SDK_PROJECT_ID`. AK/SK wins when both are set.
 */
export function credentialsFromEnv(env: Record<string, string | undefined> = process.env): EnvCredentials {
  const parsed = parseFields(CredentialEnvSchema, env, 'environment', 1);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    throw new ModelArtsCredentialsError(issue?.field ?? 'environment', issue?.message ?? 'invalid');
  }
  const values = parsed.data;
  const ak = values[CredentialEnv.ak];
  const sk = values[CredentialEnv.sk];
  const projectId = values[CredentialEnv.projectId];
  if (ak !== undefined || sk !== undefined) {
    if (ak === undefined)
      throw new ModelArtsCredentialsError(CredentialEnv.ak, 'is not set but the secret key is');
    if (sk === undefined)
      throw new ModelArtsCredentialsError(CredentialEnv.sk, 'is not set but the access key is');
    return { credentials: new AkSkCredentials(ak, sk, values[CredentialEnv.securityToken]), projectId };
  }
  const token = values[CredentialEnv.token];
  if (token !== undefined) return { credentials: new TokenCredentials(token), projectId };
  throw new ModelArtsCredentialsError(
    CredentialEnv.ak,
    `no credentials: set ${CredentialEnv.ak} and ${CredentialEnv.sk}, or ${CredentialEnv.token}`,
  );
}
