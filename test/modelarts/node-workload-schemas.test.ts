import { describe, expect, it } from 'vitest';
import {
  BatchDeletePoolNodesRequestSchema,
  ListPoolWorkloadsQuerySchema,
  NodeListSchema,
  NodeSchema,
  PoolStatisticsSchema,
  WorkloadListSchema,
  WorkloadStatisticsSchema,
} from '../../functions/shared/modelarts';

/** A node as the reference shows it (ListPoolNodes example, shortened), with a field the client does not model. */
const NODE = {
  kind: 'Node',
  apiVersion: 'v2',
  metadata: {
    name: 'os-node-created-zlncn',
    creationTimestamp: '2024-10-24T12:50:03Z',
    labels: {
      'os.modelarts.node/nodepool': 'nodepool-1',
      'os.modelarts.node/nodepoolname': 'nodepool-1',
      'os.modelarts/billing.status': '0',
      'os.modelarts/resource.id': 'maos-node-abc',
    },
    annotations: { 'os.modelarts/billing.mode': '0', 'os.modelarts.node/lock.action': '' },
  },
  spec: {
    flavor: 'modelarts.vm.gpu.8v100',
    hostNetwork: { vpc: 'vpc-1', subnet: 'subnet-1', securityGroups: ['sg-1'] },
    extendParams: { dockerBaseSize: '100' },
  },
  status: {
    phase: 'Available',
    az: 'cn-north-4a',
    privateIp: '192.168.0.11',
    resources: { cpu: '3920m', memory: '6270Mi', 'nvidia.com/gpu': '8' },
    availableResources: { cpu: '1920m', memory: '3000Mi', 'nvidia.com/gpu': '6' },
    futureField: { kept: true },
  },
};

const WORKLOAD = {
  apiVersion: 'v1',
  kind: 'Workload',
  type: 'train',
  namespace: 'default',
  name: 'job-7f1c-worker-0',
  jobName: 'job-7f1c',
  uid: '2b1e1c1e-0d6b-4c5e-9b35-5b6a3f2c8e10',
  jobUUID: '8c9d3e1a-2f4b-4b1c-8a9e-1b2c3d4e5f60',
  flavor: 'modelarts.vm.gpu.8v100',
  status: 'Running',
  resourceRequirement: { cpu: '1960m', memory: '3135Mi', 'nvidia.com/gpu': '4' },
  priority: '1',
  runningDuration: 120,
  pendingDuration: 30,
  createTime: 1_700_000_000_000,
  gvk: 'batch.volcano.sh/v1alpha1, Kind=Job',
  hostIps: '192.168.0.11',
  nodes: [{ hostIp: '192.168.0.11', resourceRequirement: { 'nvidia.com/gpu': '4' } }],
  extra: 'kept',
};

describe('node, workload and statistics schemas', () => {
  it('reads a node with unknown fields kept', () => {
    const node = NodeSchema.parse(NODE);
    expect(node).toEqual(NODE);
    expect(node.status.phase).toBe('Available');
  });

  it('keeps a node phase it does not know, so one new phase does not make the list unreadable', () => {
    const node = NodeSchema.parse({ ...NODE, status: { ...NODE.status, phase: 'Frozen' } });
    expect(node.status.phase).toBe('Frozen');
  });

  it('reads a node without spec or status as empty ones', () => {
    expect(NodeSchema.parse({ metadata: { name: 'n' } })).toEqual({
      metadata: { name: 'n' },
      spec: {},
      status: {},
    });
  });

  it.each([
    ['a node without a name', { items: [{ metadata: {} }] }, 'items.0.metadata.name'],
    [
      'a label that is not a string',
      { items: [{ metadata: { name: 'n', labels: { a: 1 } } }] },
      'items.0.metadata.labels.a',
    ],
    [
      'a quantity that is a number',
      { items: [{ metadata: { name: 'n' }, status: { resources: { cpu: 8 } } }] },
      'items.0.status.resources.cpu',
    ],
    [
      'a negative remaining count',
      { metadata: { remainingItemCount: -1 }, items: [] },
      'metadata.remainingItemCount',
    ],
  ])('refuses %s at %s', (_name, body, path) => {
    const parsed = NodeListSchema.safeParse(body);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path.join('.')).toBe(path);
  });

  it('reads a node list page with its continue token', () => {
    const list = NodeListSchema.parse({
      apiVersion: 'v2',
      kind: 'NodeList',
      metadata: { continue: 'abc', remainingItemCount: 3 },
      items: [NODE],
    });
    expect(list.metadata).toEqual({ continue: 'abc', remainingItemCount: 3 });
  });

  it('reads a workload list with unknown fields kept and an unknown status as it is', () => {
    const list = WorkloadListSchema.parse({
      apiVersion: 'v1',
      kind: 'WorkloadList',
      items: [WORKLOAD, { status: 'Suspended' }],
    });
    expect(list.items[0]).toEqual(WORKLOAD);
    expect(list.items[1]?.status).toBe('Suspended');
  });

  it('reads workload statistics as the example shows them, counts as numbers or strings', () => {
    const example = {
      statistics: {
        total: 234,
        items: [{ type: 'train', total: 234, status: { Pending: 0, Queue: 234, Running: 0 } }],
      },
    };
    expect(WorkloadStatisticsSchema.parse(example)).toEqual(example);
    const asStrings = WorkloadStatisticsSchema.parse({
      statistics: { total: '2', items: [{ type: 'infer', total: '2', status: { Running: '2' } }] },
    });
    expect(asStrings.statistics.items[0]?.status.Running).toBe(2);
  });

  it('reads the reference table field name `statics` as `statistics`', () => {
    const parsed = WorkloadStatisticsSchema.parse({ statics: { total: 1, items: [] } });
    expect(parsed.statistics.total).toBe(1);
  });

  it('reads pool statistics as the example shows them', () => {
    const example = {
      statistics: { status: { created: 9, creating: 0, deleting: 1, failed: 0, pending: 0 } },
      operationTime: '2025-03-27 11:48:55.446172146 +0000 UTC',
    };
    expect(PoolStatisticsSchema.parse(example)).toEqual(example);
  });

  it.each([
    ['no names', [], 'must name at least one node'],
    ['an empty name', [''], 'must not be empty'],
    ['a repeated name', ['a', 'a'], 'must not repeat a node'],
  ])('a batch-delete with %s is refused', (_name, names, message) => {
    const parsed = BatchDeletePoolNodesRequestSchema.safeParse({ deleteNodeNames: names });
    expect(parsed.error?.issues[0]?.message).toBe(message);
  });

  it.each([
    ['an unknown type', { type: 'batch' }, 'type'],
    ['an unknown status', { status: 'Done' }, 'status'],
    ['a page of 501', { limit: 501 }, 'limit'],
    ['a page of 0', { limit: 0 }, 'limit'],
    ['a negative offset', { offset: -1 }, 'offset'],
    ['an unknown sort', { sort: 'name' }, 'sort'],
    ['an unknown filter', { flavor: 'x' }, ''],
  ])('a workload query with %s is refused at %s', (_name, query, path) => {
    const parsed = ListPoolWorkloadsQuerySchema.safeParse(query);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path.join('.')).toBe(path);
  });
});
