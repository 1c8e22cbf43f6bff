import { AKSKSigner } from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner';
import type { ICredential } from '@huaweicloud/huaweicloud-sdk-core/auth/ICredential';
import type { IHttpRequest } from '@huaweicloud/huaweicloud-sdk-core/http/IHttpRequest';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildCanonicalRequest,
  buildQueryString,
  canonicalQueryString,
  canonicalUri,
  computeSignature,
  formatSdkDate,
  parseSdkDate,
  signRequest,
  verifySignature,
  type VerifiableRequest,
} from '../../functions/shared/modelarts/signer';

const AK = 'AKEXAMPLE0000000000';
const SK = 'SKEXAMPLEsecret0000000000000000000000000';
const PROJECT = '0123456789abcdef0123456789abcdef';
const HOST = 'modelarts.cn-north-4.myhuaweicloud.com';
const DATE = new Date(Date.UTC(2024, 0, 1, 12, 0, 0));
const B1_BODY = '{"spec":{"resources":[{"flavor":"modelarts.vm.cpu.4ud","count":3}]}}';

function signatureOf(authorization: string | undefined): string {
  return /Signature=([0-9a-f]{64})$/.exec(authorization ?? '')?.[1] ?? '';
}

/** Huawei's Node SDK signer, the reference implementation. */
function referenceAuthorization(input: {
  method: string;
  origin: string;
  path: string;
  query?: Record<string, string>;
  headers: Record<string, string>;
  data?: unknown;
  ak?: string;
  sk?: string;
  date?: Date;
}): string {
  const credential = { getAk: () => input.ak ?? AK, getSk: () => input.sk ?? SK } as unknown as ICredential;
  const request = {
    endpoint: `${input.origin}${input.path}`,
    method: input.method,
    headers: { 'X-Sdk-Date': formatSdkDate(input.date ?? DATE), ...input.headers },
    queryParams: input.query ?? {},
    data: input.data,
  } as unknown as IHttpRequest;
  const signed = AKSKSigner.sign(request, credential) as Record<string, string>;
  return signed.Authorization ?? '';
}

/** Our signer on the same request, with the query built the way the client builds it. */
function ourAuthorization(input: Parameters<typeof referenceAuthorization>[0]): string {
  const query = input.query ? buildQueryString(input.query) : '';
  const url = `${input.origin}${input.path}${query ? `?${query}` : ''}`;
  const body = input.data === undefined ? undefined : JSON.stringify(input.data);
  return signRequest(
    { method: input.method, url, headers: input.headers, body },
    { ak: input.ak ?? AK, sk: input.sk ?? SK },
    input.date ?? DATE,
  ).Authorization!;
}

describe('official test vectors', () => {
  it('A1: GET with query, host signed (python SDK test_signer1)', () => {
    const auth = signRequest(
      { method: 'GET', url: 'https://service.endpoint.myhuaweicloud.com/resources?size=1', headers: {} },
      { ak: 'AccessKey', sk: 'SecretKey' },
      new Date(Date.UTC(2020, 5, 8, 2, 39, 0)),
    );
    expect(auth['X-Sdk-Date']).toBe('20200608T023900Z');
    expect(signatureOf(auth.Authorization)).toBe(
      'cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842',
    );
  });

  it('A2: POST with a JSON body (python SDK test_signer2)', () => {
    const auth = signRequest(
      {
        method: 'POST',
        url: 'https://service.endpoint.myhuaweicloud.com/resources?size=1',
        headers: {},
        body: '{"name":"test","id":1}',
      },
      { ak: 'AccessKey', sk: 'SecretKey' },
      new Date(Date.UTC(2020, 5, 8, 2, 39, 0)),
    );
    expect(signatureOf(auth.Authorization)).toBe(
      '436b1ac0a1ae03705934bb70ef2f2e09f7bfed2117d731a38235053199323a1f',
    );
  });

  it('A3/A4: only x-sdk-date signed (Go SDK), via the canonical-request core', () => {
    const date = '20060102T150405Z';
    const emptyHash = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    const a3 = buildCanonicalRequest({
      method: 'GET',
      canonicalUri: canonicalUri('/path'),
      canonicalQuery: canonicalQueryString('limit=1'),
      signedHeaders: { 'x-sdk-date': date },
      payloadHash: emptyHash,
    });
    expect(computeSignature('SecretKey', date, a3)).toBe(
      '5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624',
    );
  });

  it('A5: HMAC step of the signing guide', () => {
    const canonicalRequestHash = 'b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a';
    // computeSignature hashes a canonical request; A5 starts from the hash, so check the HMAC directly.
    const signature = createHmac('sha256', 'MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc')
      .update(`SDK-HMAC-SHA256\n20191115T033655Z\n${canonicalRequestHash}`)
      .digest('hex');
    expect(signature).toBe('7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe');
  });

  it('B1: ModelArts PATCH with hashed merge-patch body', () => {
    const auth = signRequest(
      {
        method: 'PATCH',
        url: `https://${HOST}/v2/${PROJECT}/pools/mypool-${PROJECT}`,
        headers: { 'Content-Type': 'application/merge-patch+json', 'X-Project-Id': PROJECT },
        body: B1_BODY,
      },
      { ak: AK, sk: SK },
      DATE,
    );
    expect(auth.Authorization).toBe(
      `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=content-type;host;x-project-id;x-sdk-date, ` +
        'Signature=b7c0647c0e3d19bd261a1cf2bb88795cdeee9677dd116d8a22fa9fdface24b27',
    );
  });

  it('B2: list with an encoded label selector', () => {
    const query = buildQueryString({ labelSelector: 'os.modelarts/name=pool a', status: 'created' });
    expect(query).toBe('labelSelector=os.modelarts%2Fname%3Dpool%20a&status=created');
    const auth = signRequest(
      {
        method: 'GET',
        url: `https://${HOST}/v2/${PROJECT}/pools?${query}`,
        headers: { 'X-Project-Id': PROJECT },
      },
      { ak: AK, sk: SK },
      DATE,
    );
    expect(signatureOf(auth.Authorization)).toBe(
      '4d047106ce1b295d0b5dae0c9f310e41c8b7097ccf2d1dbb08641219993616c1',
    );
  });

  it('B3: PATCH with X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD', () => {
    const auth = signRequest(
      {
        method: 'PATCH',
        url: `https://${HOST}/v2/${PROJECT}/pools/mypool-${PROJECT}`,
        headers: {
          'Content-Type': 'application/merge-patch+json',
          'X-Project-Id': PROJECT,
          'X-Sdk-Content-Sha256': 'UNSIGNED-PAYLOAD',
        },
        body: B1_BODY,
      },
      { ak: AK, sk: SK },
      DATE,
    );
    expect(signatureOf(auth.Authorization)).toBe(
      '2ec4040405a2196407410755bc8ac68b939eca2ad6027b5124a57b79e628b81e',
    );
  });
});

describe('known answers from Huawei reference signer (AKSKSigner)', () => {
  const origin = `https://${HOST}`;
  const cases: Array<[string, Parameters<typeof referenceAuthorization>[0]]> = [
    [
      'GET list with query',
      {
        method: 'GET',
        origin,
        path: `/v2/${PROJECT}/pools`,
        query: { workspaceId: '0', labelSelector: 'os.modelarts/name=pool-ae01', status: 'created' },
        headers: { 'X-Project-Id': PROJECT },
      },
    ],
    [
      'GET show pool',
      {
        method: 'GET',
        origin,
        path: `/v2/${PROJECT}/pools/pool-ae01-${PROJECT}`,
        headers: { 'X-Project-Id': PROJECT },
      },
    ],
    [
      'PATCH with merge-patch body',
      {
        method: 'PATCH',
        origin,
        path: `/v2/${PROJECT}/pools/pool-ae01-${PROJECT}`,
        headers: { 'Content-Type': 'application/merge-patch+json', 'X-Project-Id': PROJECT },
        data: {
          spec: {
            resources: [
              {
                flavor: 'modelarts.vm.gpu.8v100',
                count: 4,
                maxCount: 4,
                azs: [{ az: 'cn-north-4a', count: 4 }],
              },
              { flavor: 'modelarts.vm.cpu.8ud', count: 1, tags: [{ key: 'team', value: 'vision ü' }] },
            ],
          },
        },
      },
    ],
    [
      'POST create with body',
      {
        method: 'POST',
        origin,
        path: `/v2/${PROJECT}/pools`,
        headers: { 'Content-Type': 'application/json', 'X-Project-Id': PROJECT },
        data: { kind: 'Pool', apiVersion: 'v2', metadata: { labels: { 'os.modelarts/name': 'pool-ae01' } } },
      },
    ],
    [
      'path segment needing encoding',
      {
        method: 'DELETE',
        origin,
        path: `/v2/${PROJECT}/pools/a:b@c(d),e=f;g+h!*$&ü中`,
        headers: { 'X-Project-Id': PROJECT },
      },
    ],
    [
      'temporary credentials with X-Security-Token, non-default port',
      {
        method: 'GET',
        origin: 'https://modelarts.example.com:8443',
        path: `/v2/${PROJECT}/pools`,
        query: { parent: 'pool-a', status: 'failed' },
        headers: { 'X-Project-Id': PROJECT, 'X-Security-Token': 'temporary-token-value' },
      },
    ],
  ];

  it.each(cases)('%s', (_name, input) => {
    const reference = referenceAuthorization(input);
    expect(reference).toMatch(/^SDK-HMAC-SHA256 Access=/);
    expect(ourAuthorization(input)).toBe(reference);
  });

  it('matches the reference on generated requests', () => {
    // Characters the legacy url.parse in Huawei's Node signer leaves unescaped; it escapes space, quotes,
    // braces and the like before encoding again (double encoding), where the gateway and the Go and
    // Python SDKs decode first, as we do.
    const segmentChar = fc.constantFrom(
      ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:@(),=;+!*$&'.split(''),
      'ü',
      '中',
    );
    // Dot segments are resolved by URL parsing before anything is sent, so they are not signed as such.
    const segment = fc
      .string({ unit: segmentChar, minLength: 1, maxLength: 12 })
      .filter((text) => text !== '.' && text !== '..');
    const key = fc.string({
      unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCXYZ0189'.split('')),
      minLength: 1,
    });
    fc.assert(
      fc.property(
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        fc.dictionary(key, fc.string({ maxLength: 20 }), { maxKeys: 4 }),
        // Bodies are JSON objects or arrays; the reference skips hashing falsy scalars.
        fc.option(fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.array(fc.jsonValue())), {
          nil: undefined,
        }),
        fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE'),
        fc.date({
          min: new Date('2000-01-01T00:00:00Z'),
          max: new Date('2099-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        (segments, query, data, method, date) => {
          const input = {
            method,
            origin: `https://${HOST}`,
            path: `/${segments.join('/')}`,
            query,
            headers: { 'X-Project-Id': PROJECT },
            data,
            date: new Date(Math.floor(date.getTime() / 1000) * 1000),
          };
          expect(ourAuthorization(input)).toBe(referenceAuthorization(input));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('verifySignature', () => {
  const path = `/v2/${PROJECT}/pools/mypool-${PROJECT}`;
  const secrets = (ak: string): string | undefined => (ak === AK ? SK : undefined);

  function signed(body: string, extraHeaders: Record<string, string> = {}, date = DATE): VerifiableRequest {
    const headers = {
      'Content-Type': 'application/merge-patch+json',
      'X-Project-Id': PROJECT,
      ...extraHeaders,
    };
    const auth = signRequest(
      { method: 'PATCH', url: `https://${HOST}${path}`, headers, body },
      { ak: AK, sk: SK },
      date,
    );
    // As a Node server sees them: lowercase names, host added by the transport.
    const received: Record<string, string> = { host: HOST };
    for (const [name, value] of Object.entries({ ...headers, ...auth })) received[name.toLowerCase()] = value;
    return { method: 'PATCH', path, headers: received, body: Buffer.from(body) };
  }

  it('accepts what signRequest produced', () => {
    expect(verifySignature(signed(B1_BODY), secrets, DATE)).toEqual({ ok: true, ak: AK });
  });

  it('accepts a request with a query string given in the path', () => {
    const query = buildQueryString({ labelSelector: 'os.modelarts/name=pool a', status: 'created' });
    const auth = signRequest(
      { method: 'GET', url: `https://${HOST}/v2/${PROJECT}/pools?${query}`, headers: {} },
      { ak: AK, sk: SK },
      DATE,
    );
    const request = {
      method: 'GET',
      path: `/v2/${PROJECT}/pools?${query}`,
      headers: { host: HOST, 'x-sdk-date': auth['X-Sdk-Date'], authorization: auth.Authorization },
      body: '',
    };
    expect(verifySignature(request, secrets, DATE).ok).toBe(true);
  });

  it('accepts requests signed by Huawei reference signer', () => {
    const data = JSON.parse(B1_BODY) as unknown;
    const authorization = referenceAuthorization({
      method: 'PATCH',
      origin: `https://${HOST}`,
      path,
      headers: { 'Content-Type': 'application/merge-patch+json', 'X-Project-Id': PROJECT },
      data,
    });
    const request: VerifiableRequest = {
      method: 'PATCH',
      path,
      headers: {
        host: HOST,
        'content-type': 'application/merge-patch+json',
        'x-project-id': PROJECT,
        'x-sdk-date': formatSdkDate(DATE),
        authorization,
      },
      body: JSON.stringify(data),
    };
    expect(verifySignature(request, secrets, DATE)).toEqual({ ok: true, ak: AK });
  });

  it('does not require host to be signed (Go SDK style)', () => {
    const date = formatSdkDate(DATE);
    const canonical = buildCanonicalRequest({
      method: 'GET',
      canonicalUri: canonicalUri(path),
      canonicalQuery: '',
      signedHeaders: { 'x-sdk-date': date },
      payloadHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    });
    const signature = computeSignature(SK, date, canonical);
    const request: VerifiableRequest = {
      method: 'GET',
      path,
      headers: {
        host: HOST,
        'x-sdk-date': date,
        authorization: `SDK-HMAC-SHA256 Access=${AK}, SignedHeaders=x-sdk-date, Signature=${signature}`,
      },
      body: Buffer.alloc(0),
    };
    expect(verifySignature(request, secrets, DATE).ok).toBe(true);
  });

  it('rejects a body altered after signing', () => {
    const request = signed(B1_BODY);
    request.body = Buffer.from(B1_BODY.replace('"count":3', '"count":30'));
    const result = verifySignature(request, secrets, DATE);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toMatch(/^verify aksk signature fail,canonicalRequest:PATCH\|/);
  });

  it('accepts an altered body under UNSIGNED-PAYLOAD, since the body is not covered', () => {
    const request = signed(B1_BODY, { 'X-Sdk-Content-Sha256': 'UNSIGNED-PAYLOAD' });
    request.body = Buffer.from('{"spec":{}}');
    expect(verifySignature(request, secrets, DATE).ok).toBe(true);
  });

  it('rejects a signature made with another secret key', () => {
    expect(verifySignature(signed(B1_BODY), () => `${SK}x`, DATE).ok).toBe(false);
  });

  it('rejects an unknown access key', () => {
    const result = verifySignature(signed(B1_BODY), () => undefined, DATE);
    expect(result).toEqual({ ok: false, reason: `Get secretKey failed,ak:${AK},err:ak not exist` });
  });

  it.each([
    ['16 minutes old', -16],
    ['16 minutes ahead', 16],
  ])('rejects a date %s and accepts one 14 minutes off', (_name, minutes) => {
    const skewed = new Date(DATE.getTime() + minutes * 60_000);
    const result = verifySignature(signed(B1_BODY, {}, skewed), secrets, DATE);
    expect(result.ok ? '' : result.reason).toMatch(/clock skew/);
    const close = new Date(DATE.getTime() + Math.sign(minutes) * 14 * 60_000);
    expect(verifySignature(signed(B1_BODY, {}, close), secrets, DATE).ok).toBe(true);
  });

  it.each([
    ['missing Authorization', (r: VerifiableRequest) => delete r.headers.authorization],
    ['malformed Authorization', (r: VerifiableRequest) => (r.headers.authorization = 'Bearer abc')],
    ['missing X-Sdk-Date', (r: VerifiableRequest) => delete r.headers['x-sdk-date']],
    ['unparsable X-Sdk-Date', (r: VerifiableRequest) => (r.headers['x-sdk-date'] = '2024-01-01T12:00:00Z')],
    ['missing signed header', (r: VerifiableRequest) => delete r.headers['x-project-id']],
    ['changed signed header', (r: VerifiableRequest) => (r.headers['x-project-id'] = 'other')],
    ['changed method', (r: VerifiableRequest) => (r.method = 'POST')],
    ['changed path', (r: VerifiableRequest) => (r.path = `${path}x`)],
    ['added query', (r: VerifiableRequest) => (r.query = 'a=1')],
  ])('rejects a request with %s', (_name, alter) => {
    const request = signed(B1_BODY);
    alter(request);
    expect(verifySignature(request, secrets, DATE).ok).toBe(false);
  });

  it('rejects a signature that omits x-sdk-date from the signed headers', () => {
    const request = signed(B1_BODY);
    request.headers.authorization = String(request.headers.authorization).replace(';x-sdk-date', '');
    const result = verifySignature(request, secrets, DATE);
    expect(result.ok ? '' : result.reason).toMatch(/x-sdk-date is not signed/);
  });
});

describe('canonical forms', () => {
  it('always ends the canonical URI with a slash and encodes each segment', () => {
    expect(canonicalUri('')).toBe('/');
    expect(canonicalUri('/v2/p/pools')).toBe('/v2/p/pools/');
    expect(canonicalUri('/v2/p/pools/')).toBe('/v2/p/pools/');
    expect(canonicalUri('/a%20b/c d/ü')).toBe('/a%20b/c%20d/%C3%BC/');
  });

  it('sorts query keys in byte order and keeps empty values', () => {
    expect(canonicalQueryString('?b=2&a=1&B=0&flag')).toBe('B=0&a=1&b=2&flag=');
    expect(canonicalQueryString('')).toBe('');
  });

  it('round-trips X-Sdk-Date and rejects impossible dates', () => {
    expect(parseSdkDate('20240101T120000Z')?.toISOString()).toBe('2024-01-01T12:00:00.000Z');
    expect(parseSdkDate('20240230T120000Z')).toBeUndefined();
    expect(parseSdkDate('20240101T120000')).toBeUndefined();
  });
});
