import { AKSKSigner } from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner';
import type { ICredential } from '@huaweicloud/huaweicloud-sdk-core/auth/ICredential';
import type { IHttpRequest } from '@huaweicloud/huaweicloud-sdk-core/http/IHttpRequest';
import { request as httpRequest } from 'node:http';

export interface SimResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Parsed JSON body (undefined when the body is not JSON). */
  json: unknown;
}

/** Sends exactly the given bytes and headers (node:http lets tests set `host` and keep header case). */
export function send(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<SimResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text === '' ? undefined : (JSON.parse(text) as unknown);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });
}

/** JSON helper for unauthenticated simulators. */
export function sendJson(url: string, method: string, body?: unknown, contentType = 'application/json') {
  return send(url, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': contentType },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/**
 * Signs with Huawei's reference signer (`AKSKSigner` of `@huaweicloud/huaweicloud-sdk-core`) and returns the
 * headers to send. The signer hashes `JSON.stringify(data)`, so the body to send is exactly that text.
 */
export function referenceSignedHeaders(input: {
  method: string;
  url: string;
  headers: Record<string, string>;
  data?: unknown;
  ak: string;
  sk: string;
}): Record<string, string> {
  const url = new URL(input.url);
  const credential = { getAk: () => input.ak, getSk: () => input.sk } as unknown as ICredential;
  const request = {
    endpoint: `${url.origin}${url.pathname}`,
    method: input.method,
    headers: { ...input.headers },
    queryParams: Object.fromEntries(url.searchParams),
    data: input.data,
  } as unknown as IHttpRequest;
  return AKSKSigner.sign(request, credential) as Record<string, string>;
}

export function errorOf(response: SimResponse): { error_code?: string; error_msg?: string } {
  return (response.json ?? {}) as { error_code?: string; error_msg?: string };
}
