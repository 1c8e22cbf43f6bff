import { describe, expect, it } from 'vitest';
import {
  CreatePoolRequestSchema,
  ModelArtsErrorBodySchema,
  PoolListSchema,
  PoolSchema,
  UpdatePoolRequestSchema,
} from '../../functions/shared/modelarts';
import {
  seedCreateLogicalPoolRequest,
  seedCreatePhysicalPoolRequest,
  seedUpdatePoolRequest,
} from '../../simulator/fixtures';

/** Seed update-pool-api.rst, 200 example response. */
const SEED_PATCH_RESPONSE = {
  kind: 'Pool',
  apiVersion: 'v2',
  metadata: {
    name: 'auto-pool-os-86c13962597848eeb29c5861153a391f',
    creationTimestamp: '2022-09-16T03:10:40Z',
    labels: { 'os.modelarts/name': 'auto-pool-os', 'os.modelarts/resource.id': 'maos-auto-pool-os-72w8d' },
    annotations: { 'os.modelarts/description': '', 'os.modelarts/billing.mode': '0' },
  },
  spec: {
    type: 'Dedicate',
    scope: ['Train', 'Infer'],
    resources: [{ flavor: 'modelarts.vm.cpu.4ud', count: 3 }],
    network: { name: 'network-maos-86c13962597848eeb29c5861153a391f' },
  },
  status: {
    phase: 'Running',
    root: 'auto-pool-os-86c13962597848eeb29c5861153a391f',
    scope: [
      { scopeType: 'Train', state: 'Enabled' },
      { scopeType: 'Infer', state: 'Enabled' },
    ],
    resources: {
      creating: [{ flavor: 'modelarts.vm.cpu.4ud', count: 1, azs: [{ az: 'az-7c', count: 1 }] }],
      available: [{ flavor: 'modelarts.vm.cpu.4ud', count: 2, azs: [{ az: 'az-7c', count: 2 }] }],
    },
  },
};

/** Seed create-pool-api.txt, 200 example response. */
const SEED_CREATE_RESPONSE = {
  kind: 'Pool',
  apiVersion: 'v2',
  metadata: {
    name: 'pool-ae01-6f5da086876d4cd084d36f8bd3346036',
    creationTimestamp: '2024-10-24T12:42:43Z',
    labels: { 'os.modelarts/name': 'pool-ae01', 'os.modelarts.pool/biz': 'private' },
    annotations: {
      'os.modelarts/flavor.resource.ids': '{"modelarts.vm.cpu.8ud":"maos.vm.cpu.8ud.1976103046"}',
    },
  },
  spec: {
    type: 'Dedicate',
    scope: ['Train'],
    resources: [{ flavor: 'modelarts.vm.cpu.8ud', count: 1, maxCount: 1 }],
    network: { name: 'network-21e1-6f5da086876d4cd084d36f8bd3346036' },
  },
  status: { resources: {} },
};

const FULL_RESOURCE = {
  flavor: 'modelarts.vm.gpu.8v100',
  count: 4,
  maxCount: 4,
  azs: [{ az: 'cn-north-4a', count: 4 }],
  tags: [{ key: 'team', value: 'vision' }],
  extendParams: { dockerBaseSize: '200', postInstall: 'ZWNobyBoaQ==' },
  creatingStep: { step: 2, type: 'rack' },
  rootVolume: { volumeType: 'GPSSD', size: '200' },
  dataVolumes: [{ volumeType: 'SSD', size: '500', count: 2, extendParams: { volumeGroup: 'vguser1' } }],
  volumeGroupConfigs: [
    { volumeGroup: 'vguser1', lvmConfig: { lvType: 'striped', path: '/data' }, types: ['volume'] },
    { volumeGroup: 'vgpaas', dockerThinPool: 30 },
  ],
  nodePool: 'np-1',
  labels: { 'os.modelarts/extra': 'kept' },
};

function firstIssuePath(result: {
  success: boolean;
  error?: { issues: Array<{ path: PropertyKey[] }> };
}): string {
  return result.error?.issues[0]?.path.map(String).join('.') ?? '';
}

describe('response schemas', () => {
  it.each([
    ['update example', SEED_PATCH_RESPONSE],
    ['create example', SEED_CREATE_RESPONSE],
  ])('parse the seed %s', (_name, body) => {
    expect(PoolSchema.safeParse(body).success).toBe(true);
  });

  it('keep every field of every resource entry, known or not', () => {
    const body = {
      ...SEED_PATCH_RESPONSE,
      spec: { ...SEED_PATCH_RESPONSE.spec, resources: [FULL_RESOURCE] },
    };
    const pool = PoolSchema.parse(body);
    expect(pool.spec.resources[0]).toEqual(FULL_RESOURCE);
    expect(UpdatePoolRequestSchema.parse({ spec: { resources: pool.spec.resources } })).toEqual({
      spec: { resources: [FULL_RESOURCE] },
    });
  });

  it('default a missing status to an empty object', () => {
    const { status: _status, ...withoutStatus } = SEED_CREATE_RESPONSE;
    expect(PoolSchema.parse(withoutStatus).status).toEqual({});
  });

  it('accept disk types beyond the documented ones', () => {
    const resource = { ...FULL_RESOURCE, rootVolume: { volumeType: 'ESSD', size: '100' } };
    const body = { ...SEED_CREATE_RESPONSE, spec: { ...SEED_CREATE_RESPONSE.spec, resources: [resource] } };
    expect(PoolSchema.safeParse(body).success).toBe(true);
  });

  it.each([
    ['status.phase', { status: { phase: 'Sleeping' } }],
    ['spec.type', { spec: { ...SEED_PATCH_RESPONSE.spec, type: 'Shared' } }],
    [
      'spec.resources.0.count',
      { spec: { ...SEED_PATCH_RESPONSE.spec, resources: [{ flavor: 'f', count: 1.5 }] } },
    ],
    ['spec.resources.0.flavor', { spec: { ...SEED_PATCH_RESPONSE.spec, resources: [{ count: 1 }] } }],
    ['kind', { kind: 'Node' }],
  ])('name %s when it is wrong', (field, change) => {
    expect(firstIssuePath(PoolSchema.safeParse({ ...SEED_PATCH_RESPONSE, ...change }))).toBe(field);
  });

  it('parse a list with or without metadata.continue', () => {
    expect(
      PoolListSchema.parse({ apiVersion: 'v2', kind: 'PoolList', items: [SEED_PATCH_RESPONSE] }).items,
    ).toHaveLength(1);
    expect(PoolListSchema.parse({ metadata: { continue: 'abc' }, items: [] }).metadata?.continue).toBe('abc');
  });

  it('parse error bodies, with the gateway request id when present', () => {
    expect(
      ModelArtsErrorBodySchema.parse({ error_code: 'APIGW.0308', error_msg: 'x', request_id: 'r' }),
    ).toEqual({
      error_code: 'APIGW.0308',
      error_msg: 'x',
      request_id: 'r',
    });
  });
});

describe('request schemas', () => {
  const physical = seedCreatePhysicalPoolRequest();
  const logical = seedCreateLogicalPoolRequest();

  it.each([
    ['physical', physical],
    ['logical', logical],
  ])('accept the seed %s pool create example', (_name, body) => {
    expect(CreatePoolRequestSchema.safeParse(body).success).toBe(true);
  });

  it('accept the seed update example', () => {
    const patch = seedUpdatePoolRequest();
    expect(UpdatePoolRequestSchema.parse(patch)).toEqual(patch);
  });

  it.each([
    [
      'metadata.labels.os.modelarts/name',
      { ...physical, metadata: { labels: { 'os.modelarts/name': 'ab' } } },
    ],
    [
      'metadata.labels.os.modelarts/name',
      { ...physical, metadata: { labels: { 'os.modelarts/name': 'Pool_A' } } },
    ],
    [
      'metadata.annotations.os.modelarts/description',
      {
        ...physical,
        metadata: { ...physical.metadata, annotations: { 'os.modelarts/description': 'a<b' } },
      },
    ],
    ['spec.scope.0', { ...physical, spec: { ...physical.spec, scope: ['Batch'] } }],
    [
      'spec.resources.0.tags.0.key',
      {
        ...physical,
        spec: {
          ...physical.spec,
          resources: [{ flavor: 'f', count: 1, tags: [{ key: 'CCE-x', value: 'v' }] }],
        },
      },
    ],
    [
      'spec.resources.0.creatingStep.type',
      {
        ...physical,
        spec: { ...physical.spec, resources: [{ flavor: 'f', count: 1, creatingStep: { type: 'row' } }] },
      },
    ],
    [
      'spec.resources.0.volumeGroupConfigs.0.lvmConfig.lvType',
      {
        ...physical,
        spec: {
          ...physical.spec,
          resources: [
            {
              flavor: 'f',
              count: 1,
              volumeGroupConfigs: [{ volumeGroup: 'vgpaas', lvmConfig: { lvType: 'raid' } }],
            },
          ],
        },
      },
    ],
    [
      'spec.resources.0.dataVolumes.0.extendParams.volumeGroup',
      {
        ...physical,
        spec: {
          ...physical.spec,
          resources: [
            {
              flavor: 'f',
              count: 1,
              dataVolumes: [{ volumeType: 'SSD', size: '1', extendParams: { volumeGroup: 'vgx' } }],
            },
          ],
        },
      },
    ],
    [
      'spec.driver.updateStrategy',
      { ...physical, spec: { ...physical.spec, driver: { updateStrategy: 'later' } } },
    ],
    ['apiVersion', { ...physical, apiVersion: 'v3' }],
  ])('name %s when it is invalid', (field, body) => {
    expect(firstIssuePath(CreatePoolRequestSchema.safeParse(body))).toBe(field);
  });

  it('allow null in a merge patch to remove an annotation', () => {
    const patch = { metadata: { annotations: { 'os.modelarts/description': null } } };
    expect(UpdatePoolRequestSchema.parse(patch)).toEqual(patch);
  });
});
