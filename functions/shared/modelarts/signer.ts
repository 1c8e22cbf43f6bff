/**
 * Huawei Cloud AK/SK request signing, `SDK-HMAC-SHA256` (API Gateway "APP/IAM" signing as used by the
 * Huawei SDK cores): canonical request → string to sign → hex HMAC-SHA256 keyed with the SK.
 * The signer and the verifier share the canonical forms below, so the simulator checks exactly what the
 * client signs.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNING_ALGORITHM = 'SDK-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** The gateway rejects an `X-Sdk-Date` further than this from its clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

const HEADER_DATE = 'x-sdk-date';
const HEADER_CONTENT_SHA256 = 'x-sdk-content-sha256';

/**
 * Headers never signed: the transport or a proxy may set or rewrite them, and `authorization` carries the
 * signature itself. Names with `_` are skipped too, as proxies commonly drop them.
 */
const UNSIGNABLE_HEADERS = new Set([
  'authorization',
  'content-length',
  'user-agent',
  'connection',
  'accept-encoding',
  'transfer-encoding',
  'x-auth-token',
]);

export interface SigningKey {
  ak: string;
  sk: string;
}

export type RequestBody = Buffer | Uint8Array | string;

export interface SignableRequest {
  method: string;
  url: string | URL;
  /** Headers to sign and send (for example `Content-Type`, `X-Project-Id`). */
  headers: Record<string, string>;
  /** The exact bytes that will be sent. */
  body?: RequestBody;
}

export interface VerifiableRequest {
  method: string;
  /** Raw request path as received (percent-encoded), with or without the query. */
  path: string;
  /** Raw query string as received, with or without the leading `?`. */
  query?: string;
  headers: Record<string, string | string[] | undefined>;
  body: RequestBody;
}

export type SignatureVerification = { ok: true; ak: string } | { ok: false; reason: string };

export interface VerifyOptions {
  maxSkewMs?: number;
}

/** RFC 3986 unreserved characters stay; every other UTF-8 byte becomes `%XX` (uppercase hex). */
export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function decodePercent(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    // A malformed escape is signed as the literal text, like the SDKs do.
    return value;
  }
}

/** Each segment decoded then re-encoded; the canonical form always ends with `/`. */
export function canonicalUri(path: string): string {
  const encoded = path
    .split('/')
    .map((segment) => encodeRfc3986(decodePercent(segment)))
    .join('/');
  if (encoded === '') return '/';
  return encoded.endsWith('/') ? encoded : `${encoded}/`;
}

export interface CanonicalQueryOptions {
  /** Old Go SDK releases lowercased query keys before signing. */
  lowercaseKeys?: boolean;
  /** Form-encoding clients send spaces as `+`. */
  plusAsSpace?: boolean;
}

/** Sorted `key=value` pairs, each part RFC 3986-encoded; an empty query gives an empty string. */
export function canonicalQueryString(rawQuery: string, options: CanonicalQueryOptions = {}): string {
  const query = rawQuery.startsWith('?') ? rawQuery.slice(1) : rawQuery;
  const pairs: Array<[string, string]> = [];
  for (const item of query.split('&')) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    let key = eq === -1 ? item : item.slice(0, eq);
    let value = eq === -1 ? '' : item.slice(eq + 1);
    if (options.plusAsSpace) {
      key = key.replace(/\+/g, ' ');
      value = value.replace(/\+/g, ' ');
    }
    key = decodePercent(key);
    if (options.lowercaseKeys) key = key.toLowerCase();
    pairs.push([encodeRfc3986(key), encodeRfc3986(decodePercent(value))]);
  }
  pairs.sort(([ka, va], [kb, vb]) => (ka === kb ? compareBytes(va, vb) : compareBytes(ka, kb)));
  return pairs.map(([key, value]) => `${key}=${value}`).join('&');
}

/** Builds a query string in canonical form, so the URL sent is the one signed. */
export function buildQueryString(params: Record<string, string | undefined>): string {
  const raw = Object.entries(params)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([key, value]) => `${encodeRfc3986(key)}=${encodeRfc3986(value)}`)
    .join('&');
  return canonicalQueryString(raw);
}

function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** `YYYYMMDDTHHMMSSZ` in UTC. */
export function formatSdkDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

export function parseSdkDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return formatSdkDate(date) === value ? date : undefined;
}

export function sha256Hex(data: RequestBody): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface CanonicalRequestParts {
  method: string;
  canonicalUri: string;
  canonicalQuery: string;
  /** Lowercase header name → value, for the signed headers only. */
  signedHeaders: Record<string, string>;
  payloadHash: string;
}

export function buildCanonicalRequest(parts: CanonicalRequestParts): string {
  const names = Object.keys(parts.signedHeaders).sort(compareBytes);
  const canonicalHeaders = names
    .map((name) => `${name}:${parts.signedHeaders[name]?.trim() ?? ''}\n`)
    .join('');
  return [
    parts.method.toUpperCase(),
    parts.canonicalUri,
    parts.canonicalQuery,
    canonicalHeaders,
    names.join(';'),
    parts.payloadHash,
  ].join('\n');
}

export function stringToSign(sdkDate: string, canonicalRequest: string): string {
  return `${SIGNING_ALGORITHM}\n${sdkDate}\n${sha256Hex(canonicalRequest)}`;
}

export function computeSignature(sk: string, sdkDate: string, canonicalRequest: string): string {
  return createHmac('sha256', sk).update(stringToSign(sdkDate, canonicalRequest), 'utf8').digest('hex');
}

/**
 * Signs a request. Returns the headers to add: `X-Sdk-Date` and `Authorization`. `host` is signed with
 * the URL's host (`:port` only when not the default), which is the `Host` header fetch sends; pass a
 * `host` header to sign another value. The body hash covers `body` as given: send those same bytes.
 */
export function signRequest(
  req: SignableRequest,
  creds: SigningKey,
  now: Date = new Date(),
): Record<string, string> {
  const url = typeof req.url === 'string' ? new URL(req.url) : req.url;
  const sdkDate = formatSdkDate(now);
  const signedHeaders: Record<string, string> = { host: url.host };
  for (const [name, value] of Object.entries(req.headers)) {
    const lower = name.toLowerCase();
    if (UNSIGNABLE_HEADERS.has(lower) || lower.includes('_')) continue;
    signedHeaders[lower] = value;
  }
  signedHeaders[HEADER_DATE] = sdkDate;
  const payloadHash = signedHeaders[HEADER_CONTENT_SHA256] ?? sha256Hex(req.body ?? '');
  const canonicalRequest = buildCanonicalRequest({
    method: req.method,
    canonicalUri: canonicalUri(url.pathname),
    canonicalQuery: canonicalQueryString(url.search),
    signedHeaders,
    payloadHash,
  });
  const signature = computeSignature(creds.sk, sdkDate, canonicalRequest);
  const names = Object.keys(signedHeaders).sort(compareBytes).join(';');
  return {
    'X-Sdk-Date': sdkDate,
    Authorization: `${SIGNING_ALGORITHM} Access=${creds.ak}, SignedHeaders=${names}, Signature=${signature}`,
  };
}

const AUTHORIZATION_PATTERN =
  /^SDK-HMAC-SHA256 Access=([^,\s]+), ?SignedHeaders=([^,\s]+), ?Signature=([0-9a-f]{64})$/;

function headerValue(headers: VerifiableRequest['headers'], name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    return Array.isArray(value) ? value.join(',') : value;
  }
  return undefined;
}

/**
 * Verifies an AK/SK signature as the API gateway does: `x-sdk-date` must be signed and within the clock
 * skew; `host` need not be signed (the Go SDK does not sign it); a signed
 * `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` skips the body hash (the Go and Python SDKs send it for
 * merge-patch bodies). Reasons use the gateway's wording after `Incorrect IAM authentication information: `.
 */
export function verifySignature(
  req: VerifiableRequest,
  lookupSecret: (ak: string) => string | undefined,
  now: Date,
  options: VerifyOptions = {},
): SignatureVerification {
  const authorization = headerValue(req.headers, 'authorization');
  if (authorization === undefined) return { ok: false, reason: 'missing Authorization header' };
  const match = AUTHORIZATION_PATTERN.exec(authorization.trim());
  if (!match) return { ok: false, reason: 'malformed Authorization header' };
  const [, ak = '', signedList = '', signature = ''] = match;

  const sk = lookupSecret(ak);
  if (sk === undefined) return { ok: false, reason: `Get secretKey failed,ak:${ak},err:ak not exist` };

  const sdkDate = headerValue(req.headers, HEADER_DATE);
  const date = sdkDate === undefined ? undefined : parseSdkDate(sdkDate.trim());
  if (sdkDate === undefined || date === undefined) {
    return { ok: false, reason: 'verify aksk signature fail: missing or unparsable X-Sdk-Date' };
  }
  const maxSkewMs = options.maxSkewMs ?? MAX_CLOCK_SKEW_MS;
  if (Math.abs(now.getTime() - date.getTime()) > maxSkewMs) {
    return { ok: false, reason: 'verify aksk signature fail: X-Sdk-Date outside the allowed clock skew' };
  }

  const names = signedList.split(';');
  if (!names.includes(HEADER_DATE)) {
    return { ok: false, reason: 'verify aksk signature fail: x-sdk-date is not signed' };
  }
  const signedHeaders: Record<string, string> = {};
  for (const name of names) {
    const value = headerValue(req.headers, name);
    if (value === undefined) {
      return { ok: false, reason: `verify aksk signature fail: signed header ${name} is missing` };
    }
    signedHeaders[name] = value;
  }

  const payloadHash = signedHeaders[HEADER_CONTENT_SHA256]?.trim() ?? sha256Hex(req.body);
  const questionMark = req.path.indexOf('?');
  const path = questionMark === -1 ? req.path : req.path.slice(0, questionMark);
  const rawQuery = req.query ?? (questionMark === -1 ? '' : req.path.slice(questionMark + 1));
  const queryVariants = new Set([
    canonicalQueryString(rawQuery),
    canonicalQueryString(rawQuery, { lowercaseKeys: true }),
    canonicalQueryString(rawQuery, { plusAsSpace: true }),
  ]);

  const given = Buffer.from(signature, 'hex');
  let firstCanonicalRequest = '';
  for (const canonicalQuery of queryVariants) {
    const canonicalRequest = buildCanonicalRequest({
      method: req.method,
      canonicalUri: canonicalUri(path),
      canonicalQuery,
      signedHeaders,
      payloadHash,
    });
    if (firstCanonicalRequest === '') firstCanonicalRequest = canonicalRequest;
    const expected = Buffer.from(computeSignature(sk, sdkDate.trim(), canonicalRequest), 'hex');
    if (timingSafeEqual(expected, given)) return { ok: true, ak };
  }
  return {
    ok: false,
    reason: `verify aksk signature fail,canonicalRequest:${firstCanonicalRequest.replace(/\n/g, '|')}`,
  };
}
