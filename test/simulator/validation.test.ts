import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  seedCreateLogicalPoolRequest,
  seedCreatePhysicalPoolRequest,
  startModelArtsSimulator,
  type ModelArtsSimulator,
} from '../../simulator';
import { errorOf, send, sendJson } from './http';

type Body = Record<string, unknown> & {
  metadata: { labels: Record<string, unknown>; annotations?: Record<string, unknown> };
  spec: Record<string, unknown> & { resources: Record<string, unknown>[] };
};

function physical(change: (body: Body) => void): Body {
  const body = seedCreatePhysicalPoolRequest() as unknown as Body;
  change(body);
  return body;
}

function logical(change: (body: Body) => void): Body {
  const body = seedCreateLogicalPoolRequest() as unknown as Body;
  change(body);
  return body;
}

function entry(body: Body): Record<string, unknown> {
  return body.spec.resources[0]!;
}

/** One create (POST) body per line, each breaking one rule of the seed documents, and the field the 400 must name. */
const createCases: [name: string, body: unknown, field: string][] = [
  [
    'label name shorter than 4',
    physical((b) => (b.metadata.labels['os.modelarts/name'] = 'abc')),
    'metadata.labels.os.modelarts/name',
  ],
  [
    'label name longer than 25',
    physical((b) => (b.metadata.labels['os.modelarts/name'] = 'a'.repeat(26))),
    'metadata.labels.os.modelarts/name',
  ],
  [
    'label name with uppercase',
    physical((b) => (b.metadata.labels['os.modelarts/name'] = 'Pool-AE01')),
    'metadata.labels.os.modelarts/name',
  ],
  [
    'label name with underscore',
    physical((b) => (b.metadata.labels['os.modelarts/name'] = 'pool_ae01')),
    'metadata.labels.os.modelarts/name',
  ],
  [
    'label name missing',
    physical((b) => delete b.metadata.labels['os.modelarts/name']),
    'metadata.labels.os.modelarts/name',
  ],
  [
    'labels missing',
    physical((b) => delete (b.metadata as Partial<Body['metadata']>).labels),
    'metadata.labels',
  ],
  ['metadata missing', physical((b) => delete (b as Partial<Body>).metadata), 'metadata'],
  ['apiVersion missing', physical((b) => delete b.apiVersion), 'apiVersion'],
  ['apiVersion unknown', physical((b) => (b.apiVersion = 'v3')), 'apiVersion'],
  ['kind other than Pool', physical((b) => (b.kind = 'Pools')), 'kind'],
  [
    'sharing outside enum',
    physical((b) => (b.metadata.labels['os.modelarts/sharing'] = 'public')),
    'metadata.labels.os.modelarts/sharing',
  ],
  [
    'description with forbidden character',
    physical((b) => (b.metadata.annotations!['os.modelarts/description'] = 'a<b')),
    'metadata.annotations.os.modelarts/description',
  ],
  [
    'description with quote',
    physical((b) => (b.metadata.annotations!['os.modelarts/description'] = "it's")),
    'metadata.annotations.os.modelarts/description',
  ],
  [
    'billing mode outside enum',
    physical((b) => (b.metadata.annotations!['os.modelarts/billing.mode'] = '2')),
    'metadata.annotations.os.modelarts/billing.mode',
  ],
  ['spec missing', physical((b) => delete (b as Partial<Body>).spec), 'spec'],
  ['type missing', physical((b) => delete b.spec.type), 'spec.type'],
  ['type Dedicated (with d)', physical((b) => (b.spec.type = 'Dedicated')), 'spec.type'],
  ['scope outside enum', physical((b) => (b.spec.scope = ['Training'])), 'spec.scope[0]'],
  ['scope repeated', physical((b) => (b.spec.scope = ['Train', 'Train'])), 'spec.scope'],
  [
    'resources missing',
    physical((b) => delete (b.spec as Partial<Body['spec']>).resources),
    'spec.resources',
  ],
  ['resources empty', physical((b) => (b.spec.resources = [])), 'spec.resources'],
  ['flavor missing', physical((b) => delete entry(b).flavor), 'spec.resources[0].flavor'],
  ['count missing', physical((b) => delete entry(b).count), 'spec.resources[0].count'],
  ['count zero', physical((b) => (entry(b).count = 0)), 'spec.resources[0].count'],
  ['count not an integer', physical((b) => (entry(b).count = 1.5)), 'spec.resources[0].count'],
  ['count as a string', physical((b) => (entry(b).count = '1')), 'spec.resources[0].count'],
  ['physical maxCount above count', physical((b) => (entry(b).maxCount = 2)), 'spec.resources[0].maxCount'],
  ['logical maxCount below count', logical((b) => (entry(b).maxCount = 1)), 'spec.resources[0].maxCount'],
  [
    'azs summing above count',
    physical((b) => (entry(b).azs = [{ az: 'cn-north-4a', count: 2 }])),
    'spec.resources[0].azs',
  ],
  [
    'azs summing below count',
    physical((b) => Object.assign(entry(b), { count: 3, azs: [{ az: 'cn-north-4a', count: 1 }] })),
    'spec.resources[0].azs',
  ],
  [
    'azs repeating an AZ',
    physical((b) =>
      Object.assign(entry(b), {
        count: 2,
        azs: [
          { az: 'cn-north-4a', count: 1 },
          { az: 'cn-north-4a', count: 1 },
        ],
      }),
    ),
    'spec.resources[0].azs[1].az',
  ],
  [
    'azs naming an unknown AZ',
    physical((b) => (entry(b).azs = [{ az: 'mars-1a', count: 1 }])),
    'spec.resources[0].azs[0].az',
  ],
  [
    'azs count negative',
    physical((b) => (entry(b).azs = [{ az: 'cn-north-4a', count: -1 }])),
    'spec.resources[0].azs[0].count',
  ],
  [
    'tag key starting with CCE-',
    physical((b) => (entry(b).tags = [{ key: 'CCE-owner', value: 'x' }])),
    'spec.resources[0].tags[0].key',
  ],
  [
    'tag key starting with __type_baremetal',
    physical((b) => (entry(b).tags = [{ key: '__type_baremetal', value: 'x' }])),
    'spec.resources[0].tags[0].key',
  ],
  [
    'tag value missing',
    physical((b) => (entry(b).tags = [{ key: 'team' }])),
    'spec.resources[0].tags[0].value',
  ],
  [
    'count not a multiple of creatingStep.step',
    physical((b) => Object.assign(entry(b), { count: 3, creatingStep: { step: 2, type: 'rack' } })),
    'spec.resources[0].count',
  ],
  [
    'creatingStep type outside enum',
    physical((b) => (entry(b).creatingStep = { step: 1, type: 'cabinet' })),
    'spec.resources[0].creatingStep.type',
  ],
  [
    'rootVolume type outside enum',
    physical((b) => (entry(b).rootVolume = { volumeType: 'HDD', size: '100' })),
    'spec.resources[0].rootVolume.volumeType',
  ],
  [
    'rootVolume size not in GiB',
    physical((b) => (entry(b).rootVolume = { volumeType: 'SSD', size: '100GB' })),
    'spec.resources[0].rootVolume.size',
  ],
  [
    'dataVolumes with unknown volume group',
    physical((b) =>
      Object.assign(entry(b), {
        dataVolumes: [{ volumeType: 'SSD', size: '100', extendParams: { volumeGroup: 'vgbad' } }],
        volumeGroupConfigs: [{ volumeGroup: 'vgbad' }],
      }),
    ),
    'spec.resources[0].dataVolumes[0].extendParams.volumeGroup',
  ],
  [
    'dataVolumes without volumeGroupConfigs',
    physical(
      (b) =>
        (entry(b).dataVolumes = [
          { volumeType: 'SSD', size: '100', extendParams: { volumeGroup: 'vgpaas' } },
        ]),
    ),
    'spec.resources[0].volumeGroupConfigs',
  ],
  [
    'dockerThinPool on a group other than vgpaas',
    physical((b) => (entry(b).volumeGroupConfigs = [{ volumeGroup: 'default', dockerThinPool: 20 }])),
    'spec.resources[0].volumeGroupConfigs[0].dockerThinPool',
  ],
  [
    'lvType outside enum',
    physical(
      (b) => (entry(b).volumeGroupConfigs = [{ volumeGroup: 'vguser1', lvmConfig: { lvType: 'mirror' } }]),
    ),
    'spec.resources[0].volumeGroupConfigs[0].lvmConfig.lvType',
  ],
  [
    'postInstall not Base64',
    physical((b) => (entry(b).extendParams = { postInstall: 'echo hi!' })),
    'spec.resources[0].extendParams.postInstall',
  ],
  [
    'same flavor listed twice',
    physical((b) => b.spec.resources.push({ flavor: 'modelarts.vm.cpu.8ud', count: 1 })),
    'spec.resources[1].flavor',
  ],
  ['network missing for a physical pool', physical((b) => delete b.spec.network), 'spec.network'],
  [
    'network given for a logical pool',
    logical((b) => (b.spec.network = { name: 'network-21e1' })),
    'spec.network',
  ],
  [
    'masters given for a logical pool',
    logical((b) => (b.spec.masters = [{ az: 'cn-north-4a' }])),
    'spec.masters',
  ],
  [
    'driver update strategy outside enum',
    physical((b) => (b.spec.driver = { updateStrategy: 'now' })),
    'spec.driver.updateStrategy',
  ],
  [
    'container CIDR not a CIDR',
    physical((b) => (b.spec.containerNetwork = { cidr: '10.0.0.0' })),
    'spec.containerNetwork.cidr',
  ],
  ['body is an array', [seedCreatePhysicalPoolRequest()], 'body'],
];

/** One merge patch per line against a running one-flavor physical pool, and the field the 400 must name. */
const patchCases: [name: string, patch: unknown, field: string][] = [
  [
    'count zero',
    { spec: { resources: [{ flavor: 'modelarts.vm.cpu.8ud', count: 0 }] } },
    'spec.resources[0].count',
  ],
  [
    'maxCount differing from count',
    { spec: { resources: [{ flavor: 'modelarts.vm.cpu.8ud', count: 2, maxCount: 3 }] } },
    'spec.resources[0].maxCount',
  ],
  [
    'azs not summing to count',
    {
      spec: {
        resources: [{ flavor: 'modelarts.vm.cpu.8ud', count: 2, azs: [{ az: 'cn-north-4a', count: 1 }] }],
      },
    },
    'spec.resources[0].azs',
  ],
  ['empty resources', { spec: { resources: [] } }, 'spec.resources'],
  [
    'tag key starting with CCE-',
    {
      spec: {
        resources: [{ flavor: 'modelarts.vm.cpu.8ud', count: 1, tags: [{ key: 'CCE-x', value: 'y' }] }],
      },
    },
    'spec.resources[0].tags[0].key',
  ],
  [
    'count not a multiple of the step',
    { spec: { resources: [{ flavor: 'modelarts.vm.cpu.8ud', count: 3, creatingStep: { step: 2 } }] } },
    'spec.resources[0].count',
  ],
  ['pool type is not patchable', { spec: { type: 'Logical' } }, 'spec.type'],
  ['network is not patchable', { spec: { network: { name: 'other' } } }, 'spec.network'],
  [
    'label name is not patchable',
    { metadata: { labels: { 'os.modelarts/name': 'other' } } },
    'metadata.labels.os.modelarts/name',
  ],
  [
    'workspace change together with scaling',
    {
      metadata: { labels: { 'os.modelarts/workspace.id': 'ws1' } },
      spec: { resources: [{ flavor: 'modelarts.vm.cpu.8ud', count: 2 }] },
    },
    'metadata.labels.os.modelarts/workspace.id',
  ],
  [
    'description with forbidden character',
    { metadata: { annotations: { 'os.modelarts/description': 'a&b' } } },
    'metadata.annotations.os.modelarts/description',
  ],
  ['scope outside enum', { spec: { scope: ['Batch'] } }, 'spec.scope[0]'],
  ['body not an object', [1, 2], 'body'],
];

describe('request validation from the seed documents', () => {
  let sim: ModelArtsSimulator;
  let pools: string;
  let seeded: string;

  beforeAll(async () => {
    sim = await startModelArtsSimulator({ provisioningDelayMs: 0 });
    pools = `${sim.url}/v2/${sim.projectId}/pools`;
    seeded = `${pools}/${sim.seedPool(seedCreatePhysicalPoolRequest()).metadata.name}`;
  });
  afterAll(() => sim.close());

  it.each(createCases)('POST rejects %s', async (_name, body, field) => {
    const response = await sendJson(pools, 'POST', body);
    expect(response.status).toBe(400);
    expect(errorOf(response).error_code).toBe('ModelArts.50004000');
    expect(errorOf(response).error_msg).toContain(`${field}:`);
  });

  it.each(patchCases)('PATCH rejects %s', async (_name, patch, field) => {
    const response = await sendJson(seeded, 'PATCH', patch, 'application/merge-patch+json');
    expect(response.status).toBe(400);
    expect(errorOf(response).error_code).toBe('ModelArts.50004000');
    expect(errorOf(response).error_msg).toContain(`${field}:`);
  });

  it('a rejected PATCH leaves the pool unchanged', async () => {
    const before = sim.pool(seeded.split('/').pop()!);
    await sendJson(seeded, 'PATCH', patchCases[0]![1], 'application/merge-patch+json');
    expect(sim.pool(seeded.split('/').pop()!)?.spec).toEqual(before?.spec);
  });

  it('POST rejects malformed JSON naming the body', async () => {
    const response = await send(pools, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"kind": "Pool",}',
    });
    expect(response.status).toBe(400);
    expect(errorOf(response)).toEqual({
      error_code: 'ModelArts.50004000',
      error_msg: 'Bad request. body: malformed JSON',
    });
  });

  it('error bodies have exactly the documented fields', async () => {
    const response = await sendJson(
      pools,
      'POST',
      physical((b) => (entry(b).count = 0)),
    );
    expect(Object.keys(response.json as object).sort()).toEqual(['error_code', 'error_msg']);
  });
});
