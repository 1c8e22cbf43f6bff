import type { CreatePoolRequest, UpdatePoolRequest } from '../functions/shared/modelarts/schemas';

/*
 * Request bodies from the seed documents, fixed where the seed is not valid JSON, and a demo pool for the
 * local runner and the `sim --demo` command.
 */

/** Seed `create-pool-api.txt`, "Create a physical pool" (its trailing comma after `flavor` removed). */
export function seedCreatePhysicalPoolRequest(): CreatePoolRequest {
  return {
    kind: 'Pool',
    apiVersion: 'v2',
    metadata: {
      annotations: { 'os.modelarts/description': '' },
      labels: { 'os.modelarts/name': 'pool-ae01', 'os.modelarts/workspace.id': '0' },
    },
    spec: {
      type: 'Dedicate',
      scope: ['Train'],
      network: { name: 'network-21e1-6f5da086876d4cd084d36f8bd3346036' },
      resources: [{ count: 1, flavor: 'modelarts.vm.cpu.8ud' }],
    },
  };
}

/** Seed `create-pool-api.txt`, "Create a logical pool", as printed (`apiVersion: v1`, numeric billing mode). */
export function seedCreateLogicalPoolRequest(): CreatePoolRequest {
  return {
    kind: 'Pool',
    apiVersion: 'v1',
    metadata: {
      labels: { 'os.modelarts/name': 'pool-logic-01' },
      annotations: {
        'os.modelarts/description': '',
        'os.modelarts/billing.mode': 0,
        'os.modelarts/product.id': 'xxx',
      },
    },
    spec: { type: 'Logical', scope: ['Train'], resources: [{ flavor: 'modelarts.vm.gpu.tnt004', count: 2 }] },
  };
}

/** Seed `update-pool-api.rst`, "Expand the capacity of a resource pool". */
export function seedUpdatePoolRequest(): UpdatePoolRequest {
  return { spec: { resources: [{ flavor: 'modelarts.vm.cpu.4ud', count: 3 }] } };
}

/**
 * A physical pool shaped like the one the seed's update example expands (`auto-pool-os`, one flavor
 * `modelarts.vm.cpu.4ud` at 2 nodes), so the update example can be replayed against it.
 */
export function seedUpdateTargetPoolRequest(): CreatePoolRequest {
  return {
    kind: 'Pool',
    apiVersion: 'v2',
    metadata: {
      labels: { 'os.modelarts/name': 'auto-pool-os' },
      annotations: { 'os.modelarts/description': '', 'os.modelarts/billing.mode': '0' },
    },
    spec: {
      type: 'Dedicate',
      scope: ['Train', 'Infer'],
      network: { name: 'network-maos-86c13962597848eeb29c5861153a391f' },
      resources: [{ flavor: 'modelarts.vm.cpu.4ud', count: 2 }],
    },
  };
}

export const DEMO_POOL_LABEL = 'pool-demo';
export const DEMO_FLAVORS = { gpu: 'modelarts.vm.gpu.8v100', npu: 'modelarts.vm.npu.8snt9b' } as const;

/** What a physical pool of the simulated account varies in; the rest every such pool carries. */
export interface PhysicalPoolOptions {
  label: string;
  description: string;
  network: string;
  resources: CreatePoolRequest['spec']['resources'];
}

/** A pay-per-use physical (`Dedicate`) training pool in workspace 0: the demo pool and the local run's pool. */
export function physicalPoolRequest(options: PhysicalPoolOptions): CreatePoolRequest {
  return {
    kind: 'Pool',
    apiVersion: 'v2',
    metadata: {
      labels: { 'os.modelarts/name': options.label, 'os.modelarts/workspace.id': '0' },
      annotations: { 'os.modelarts/description': options.description, 'os.modelarts/billing.mode': '0' },
    },
    spec: {
      type: 'Dedicate',
      scope: ['Train'],
      network: { name: options.network },
      resources: options.resources,
    },
  };
}

/**
 * The demo pool: a physical pool with two flavors spread over two AZs, carrying the per-entry fields
 * (tags, disks, extendParams) an autoscaler must send back untouched.
 */
export function demoPool(azs: [string, string] = ['cn-north-4a', 'cn-north-4b']): CreatePoolRequest {
  const [first, second] = azs;
  return physicalPoolRequest({
    label: DEMO_POOL_LABEL,
    description: 'demo pool for the autoscaler',
    network: 'network-demo-6f5da086876d4cd084d36f8bd3346036',
    resources: [
      {
        flavor: DEMO_FLAVORS.gpu,
        count: 2,
        maxCount: 2,
        azs: [
          { az: first, count: 1 },
          { az: second, count: 1 },
        ],
        tags: [{ key: 'team', value: 'ml-platform' }],
        extendParams: { dockerBaseSize: '100' },
        rootVolume: { volumeType: 'SSD', size: '100' },
      },
      {
        flavor: DEMO_FLAVORS.npu,
        count: 2,
        maxCount: 2,
        azs: [
          { az: first, count: 1 },
          { az: second, count: 1 },
        ],
        dataVolumes: [
          { volumeType: 'SSD', size: '500Gi', count: 1, extendParams: { volumeGroup: 'vgpaas' } },
        ],
        volumeGroupConfigs: [{ volumeGroup: 'vgpaas', dockerThinPool: 50, types: ['volume'] }],
      },
    ],
  });
}
