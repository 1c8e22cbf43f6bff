import { afterEach, describe, expect, it } from 'vitest';
import { signRequest } from '../../functions/shared/modelarts/signer';
import {
  seedUpdatePoolRequest,
  seedUpdateTargetPoolRequest,
  startModelArtsSimulator,
  type ModelArtsSimulator,
  type ModelArtsSimulatorOptions,
} from '../../simulator';
import { errorOf, referenceSignedHeaders, send } from './http';

const AK = 'AKSIMULATORTEST00001';
const SK = 'SKsimulatorTestSecret000000000000000000';
const MERGE_PATCH = 'application/merge-patch+json';

let sim: ModelArtsSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options: ModelArtsSimulatorOptions = { auth: { ak: AK, sk: SK } }) {
  sim = await startModelArtsSimulator({ provisioningDelayMs: 0, ...options });
  const name = sim.seedPool(seedUpdateTargetPoolRequest()).metadata.name;
  return {
    sim,
    pools: `${sim.url}/v2/${sim.projectId}/pools`,
    pool: `${sim.url}/v2/${sim.projectId}/pools/${name}`,
    name,
  };
}

/** A PATCH signed by Huawei's reference signer; `sentBody` lets a test change the body after signing. */
function referencePatch(
  url: string,
  data: unknown,
  options: { sentBody?: string; headers?: Record<string, string>; sk?: string } = {},
) {
  const headers = referenceSignedHeaders({
    method: 'PATCH',
    url,
    headers: { 'Content-Type': MERGE_PATCH, ...options.headers },
    data,
    ak: AK,
    sk: options.sk ?? SK,
  });
  return send(url, { method: 'PATCH', headers, body: options.sentBody ?? JSON.stringify(data) });
}

describe('AK/SK signatures', () => {
  it("accepts a GET signed by Huawei's reference signer, query included", async () => {
    const { sim, pools } = await start();
    const url = `${pools}?status=created&labelSelector=os.modelarts/name=auto-pool-os`;
    const response = await send(url, {
      headers: referenceSignedHeaders({ method: 'GET', url, headers: {}, ak: AK, sk: SK }),
    });
    expect(response.status).toBe(200);
    expect((response.json as { items: unknown[] }).items).toHaveLength(1);
    expect(sim.requestLog.at(-1)).toMatchObject({ signatureValid: true, authMethod: 'aksk' });
  });

  it("accepts a merge-patch PATCH signed by Huawei's reference signer", async () => {
    const { sim, pool, name } = await start();
    const response = await referencePatch(pool, seedUpdatePoolRequest());
    expect(response.status).toBe(200);
    expect(sim.pool(name)?.spec.resources[0]?.count).toBe(3);
  });

  it('rejects with 401 APIG.0301 a PATCH whose body was altered after signing, and does not apply it', async () => {
    const { sim, pool, name } = await start();
    const signed = seedUpdatePoolRequest();
    const altered = JSON.stringify({ spec: { resources: [{ flavor: 'modelarts.vm.cpu.4ud', count: 30 }] } });
    const response = await referencePatch(pool, signed, { sentBody: altered });
    expect(response.status).toBe(401);
    expect(errorOf(response).error_code).toBe('APIG.0301');
    expect(errorOf(response).error_msg).toMatch(
      /^Incorrect IAM authentication information: verify aksk signature fail/,
    );
    expect((response.json as { request_id?: string }).request_id).toMatch(/^[0-9a-f]{32}$/);
    expect(sim.pool(name)?.spec.resources[0]?.count).toBe(2);
    expect(sim.requestLog.at(-1)).toMatchObject({ status: 401, signatureValid: false });
  });

  it('accepts UNSIGNED-PAYLOAD (what the Go and Python SDKs send for merge patches) whatever the body', async () => {
    const { pool } = await start();
    const response = await referencePatch(
      pool,
      { ignored: true },
      {
        headers: { 'X-Sdk-Content-Sha256': 'UNSIGNED-PAYLOAD' },
        sentBody: JSON.stringify(seedUpdatePoolRequest()),
      },
    );
    expect(response.status).toBe(200);
  });

  it("accepts requests signed by the product's own signer", async () => {
    const { pool } = await start();
    const body = JSON.stringify(seedUpdatePoolRequest());
    const headers = { 'Content-Type': MERGE_PATCH, 'X-Project-Id': sim!.projectId };
    const signed = signRequest({ method: 'PATCH', url: pool, headers, body }, { ak: AK, sk: SK });
    expect((await send(pool, { method: 'PATCH', headers: { ...headers, ...signed }, body })).status).toBe(
      200,
    );
  });

  it.each([
    ['no signature at all', (): Record<string, string> => ({})],
    [
      'a wrong secret key',
      (url: string) => referenceSignedHeaders({ method: 'GET', url, headers: {}, ak: AK, sk: 'wrong' }),
    ],
    [
      'an unknown access key',
      (url: string) => referenceSignedHeaders({ method: 'GET', url, headers: {}, ak: 'AKUNKNOWN', sk: SK }),
    ],
    [
      'a signature for another path',
      (url: string) => referenceSignedHeaders({ method: 'GET', url: `${url}x`, headers: {}, ak: AK, sk: SK }),
    ],
  ])('rejects %s with 401', async (_name, headersFor) => {
    const { pool } = await start();
    const response = await send(pool, { headers: headersFor(pool) });
    expect(response.status).toBe(401);
    expect(errorOf(response).error_code).toBe('APIG.0301');
  });

  it('checks X-Sdk-Date against real time, not the simulation clock', async () => {
    const offset = { ms: 0 };
    const { sim, pool } = await start({ auth: { ak: AK, sk: SK }, authNow: () => Date.now() + offset.ms });
    const headers = () => referenceSignedHeaders({ method: 'GET', url: pool, headers: {}, ak: AK, sk: SK });
    sim.advance(30 * 24 * 3600_000);
    expect((await send(pool, { headers: headers() })).status).toBe(200);
    offset.ms = 14 * 60_000;
    expect((await send(pool, { headers: headers() })).status).toBe(200);
    offset.ms = 16 * 60_000;
    expect((await send(pool, { headers: headers() })).status).toBe(401);
  });

  it('routes unknown paths before authenticating (404, not 401)', async () => {
    const { sim } = await start();
    expect((await send(`${sim.url}/v1/x`)).status).toBe(404);
  });
});

describe('IAM token', () => {
  it('accepts the configured X-Auth-Token beside signatures and rejects another one', async () => {
    const { sim, pool } = await start({ auth: { ak: AK, sk: SK }, token: 'T-123' });
    expect((await send(pool, { headers: { 'X-Auth-Token': 'T-123' } })).status).toBe(200);
    expect(sim.requestLog.at(-1)).toMatchObject({ authMethod: 'token', signatureValid: null });
    const wrong = await send(pool, { headers: { 'X-Auth-Token': 'T-999' } });
    expect(wrong.status).toBe(401);
    expect(errorOf(wrong).error_msg).toContain('decrypt token fail');
  });

  it('a token-only simulator still refuses unsigned, tokenless requests', async () => {
    const { pool } = await start({ token: 'T-123' });
    expect((await send(pool)).status).toBe(401);
    expect((await send(pool, { headers: { 'X-Auth-Token': 'T-123' } })).status).toBe(200);
  });
});

describe('auth disabled', () => {
  it('accepts unsigned requests and does not judge signatures', async () => {
    const { sim, pool } = await start({ auth: false });
    expect((await send(pool)).status).toBe(200);
    expect(
      (
        await send(pool, {
          headers: { Authorization: 'SDK-HMAC-SHA256 Access=x, SignedHeaders=x-sdk-date, Signature=00' },
        })
      ).status,
    ).toBe(200);
    expect(sim.requestLog.map((e) => e.signatureValid)).toEqual([null, null]);
  });
});
