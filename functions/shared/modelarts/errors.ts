/** Errors raised by the ModelArts client. Messages never contain credentials. */
import { ModelArtsErrorCodes } from './schemas';

/** Facts shared by every error about one request. */
export interface RequestFacts {
  method: string;
  path: string;
  /** How many attempts were made before giving up (1 when no retry happened). */
  attempts?: number;
}

export abstract class ModelArtsError extends Error {
  readonly method: string;
  readonly path: string;
  attempts: number;

  protected constructor(message: string, facts: RequestFacts, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.method = facts.method;
    this.path = facts.path;
    this.attempts = facts.attempts ?? 1;
  }
}

/** The API answered with an HTTP error status. */
export class ModelArtsApiError extends ModelArtsError {
  readonly status: number;
  readonly errorCode: string | undefined;
  readonly errorMsg: string | undefined;
  readonly requestId: string | undefined;
  /** Delay the server asked for with `Retry-After`, in milliseconds. */
  readonly retryAfterMs: number | undefined;

  constructor(
    facts: RequestFacts & {
      status: number;
      errorCode?: string;
      errorMsg?: string;
      requestId?: string;
      retryAfterMs?: number;
    },
  ) {
    const code = facts.errorCode ? ` ${facts.errorCode}` : '';
    const text = facts.errorMsg ? `: ${facts.errorMsg}` : '';
    const id = facts.requestId ? ` (request id ${facts.requestId})` : '';
    super(`${facts.method} ${facts.path} failed with HTTP ${facts.status}${code}${text}${id}`, facts);
    this.status = facts.status;
    this.errorCode = facts.errorCode;
    this.errorMsg = facts.errorMsg;
    this.requestId = facts.requestId;
    this.retryAfterMs = facts.retryAfterMs;
  }

  /** 404 `ModelArts.50015001` (a gateway 404 such as `APIGW.0101` means a wrong path, not a missing pool). */
  get poolNotFound(): boolean {
    return this.status === 404 && this.errorCode === ModelArtsErrorCodes.poolNotFound;
  }

  /** 409 `ModelArts.50015000`. */
  get poolAlreadyExists(): boolean {
    return this.status === 409 && this.errorCode === ModelArtsErrorCodes.poolAlreadyExists;
  }

  /** 429, whatever the gateway prefix (`APIG.0308`, `APIGW.0308`, `ModelArts.*`). */
  get throttled(): boolean {
    return (
      this.status === 429 || (this.errorCode?.endsWith(ModelArtsErrorCodes.gatewayThrottledSuffix) ?? false)
    );
  }

  /** Throttling and server-side failures are worth another attempt; client errors are not. */
  get retryable(): boolean {
    return this.throttled || this.status >= 500;
  }
}

/** An attempt did not complete within the client's timeout. */
export class ModelArtsTimeoutError extends ModelArtsError {
  readonly timeoutMs: number;

  constructor(facts: RequestFacts & { timeoutMs: number }, options?: ErrorOptions) {
    super(`${facts.method} ${facts.path} timed out after ${facts.timeoutMs} ms`, facts, options);
    this.timeoutMs = facts.timeoutMs;
  }
}

/** The connection failed or was dropped before a complete response arrived. */
export class ModelArtsNetworkError extends ModelArtsError {
  readonly code: string | undefined;

  constructor(facts: RequestFacts & { code?: string; detail: string }, options?: ErrorOptions) {
    super(`${facts.method} ${facts.path} failed: ${facts.detail}`, facts, options);
    this.code = facts.code;
  }
}

/**
 * A request that must not be repeated blindly (a batch-delete) ended without a clear answer: a timeout, a
 * dropped connection, or a gateway timeout (504). It may or may not have been applied. List the nodes before
 * trying again; `cause` is the timeout, network or API error behind it.
 */
export class ModelArtsOutcomeUnknownError extends ModelArtsError {
  /** Always true: the outcome of the request is unknown. */
  readonly outcomeUnknown = true;

  constructor(facts: RequestFacts, cause: ModelArtsError, check = 'list the nodes before trying again') {
    super(`${facts.method} ${facts.path}: outcome unknown (${cause.message}); ${check}`, facts, { cause });
  }
}

/** A 2xx response whose body is not what the API documents (not JSON, too large, or a field is wrong). */
export class ModelArtsResponseError extends ModelArtsError {
  readonly status: number;
  /** Dotted path of the first offending field, for example `spec.resources[0].count`; empty for the whole body. */
  readonly field: string;
  readonly requestId: string | undefined;

  constructor(facts: RequestFacts & { status: number; field: string; detail: string; requestId?: string }) {
    const where = facts.field ? ` at ${facts.field}` : '';
    super(`${facts.method} ${facts.path}: unexpected response body${where}: ${facts.detail}`, facts);
    this.status = facts.status;
    this.field = facts.field;
    this.requestId = facts.requestId;
  }
}

/** A caller passed an argument the API cannot accept (empty pool name, unknown list filter). */
export class ModelArtsRequestError extends Error {
  readonly field: string;

  constructor(field: string, detail: string) {
    super(`invalid ${field}: ${detail}`);
    this.name = 'ModelArtsRequestError';
    this.field = field;
  }
}

/** Plain http is only allowed towards loopback addresses. */
export class InsecureEndpointError extends Error {
  readonly endpoint: string;

  constructor(endpoint: string, detail: string) {
    super(`refusing endpoint ${endpoint}: ${detail}`);
    this.name = 'InsecureEndpointError';
    this.endpoint = endpoint;
  }
}

/** Credentials are missing or malformed; `field` names the option or environment variable. */
export class ModelArtsCredentialsError extends Error {
  readonly field: string;

  constructor(field: string, detail: string) {
    super(`${field}: ${detail}`);
    this.name = 'ModelArtsCredentialsError';
    this.field = field;
  }
}

/** A resource quantity (`cpu`, `memory`, an accelerator count) that cannot be read as a number. */
export class ModelArtsQuantityError extends Error {
  readonly field: string;
  readonly value: unknown;

  constructor(field: string, value: unknown, detail: string) {
    super(`${field} ${JSON.stringify(value)} ${detail}`);
    this.name = 'ModelArtsQuantityError';
    this.field = field;
    this.value = value;
  }
}
