/** An error response in the ModelArts / API gateway shape `{error_code, error_msg}`. */
export class ModelArtsHttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    readonly errorMsg: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${status} ${errorCode}: ${errorMsg}`);
    this.name = 'ModelArtsHttpError';
  }
}

/** 400 `ModelArts.50004000` naming the offending field, as `Bad request. <field>: <reason>`. */
export class PoolValidationError extends ModelArtsHttpError {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(400, 'ModelArts.50004000', `Bad request. ${field}: ${reason}`);
    this.name = 'PoolValidationError';
  }
}

export function badRequest(message: string): ModelArtsHttpError {
  return new ModelArtsHttpError(400, 'ModelArts.50004000', `Bad request. ${message}`);
}

export function poolNotFound(): ModelArtsHttpError {
  return new ModelArtsHttpError(404, 'ModelArts.50015001', 'pool not found');
}

/** 404 for an unknown node name; the service's own code for it is not documented. */
export function nodeNotFound(name: string): ModelArtsHttpError {
  return new ModelArtsHttpError(404, 'ModelArts.50015002', `node ${name} not found`);
}

export function poolAlreadyExists(): ModelArtsHttpError {
  return new ModelArtsHttpError(409, 'ModelArts.50015000', 'Pool already exists.');
}

export function contentTypeNotSupported(): ModelArtsHttpError {
  return new ModelArtsHttpError(400, 'ModelArts.50004100', 'Content type not supported');
}

export function authenticationFailed(detail: string): ModelArtsHttpError {
  return new ModelArtsHttpError(401, 'APIG.0301', `Incorrect IAM authentication information: ${detail}`);
}
