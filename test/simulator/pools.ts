import type { CreatePoolRequest } from '../../functions/shared/modelarts/schemas';
import type { ModelArtsSimulator } from '../../simulator';
import { sendJson } from './http';

export const GPU = 'modelarts.vm.gpu.8v100';
export const NPU = 'modelarts.vm.npu.8snt9b';
export const CPU = 'modelarts.vm.cpu.8ud';
export const AZ_A = 'cn-north-4a';
export const AZ_B = 'cn-north-4b';

/** The start of the current hour: a clock anchored to the real date without depending on the minute. */
export function thisHour(): number {
  return Math.floor(Date.now() / 3_600_000) * 3_600_000;
}

export interface EntryOptions {
  flavor: string;
  count: number;
  azs?: Record<string, number>;
  extendParams?: Record<string, string>;
}

/** A physical pool request of the given entries; `annotations` are the pool's. */
export function poolRequest(
  label: string,
  entries: EntryOptions[],
  annotations: Record<string, string> = {},
): CreatePoolRequest {
  return {
    kind: 'Pool',
    apiVersion: 'v2',
    metadata: { labels: { 'os.modelarts/name': label }, annotations },
    spec: {
      type: 'Dedicate',
      scope: ['Train'],
      network: { name: `network-${label}` },
      resources: entries.map(({ flavor, count, azs, extendParams }) => ({
        flavor,
        count,
        maxCount: count,
        ...(azs ? { azs: Object.entries(azs).map(([az, n]) => ({ az, count: n })) } : {}),
        ...(extendParams ? { extendParams } : {}),
      })),
    },
  };
}

export interface SimUrls {
  pool: string;
  nodes: string;
  workloads: string;
  control: string;
}

export function urls(sim: ModelArtsSimulator, pool: string): SimUrls {
  const pools = `${sim.url}/v2/${sim.projectId}/pools`;
  return {
    pool: `${pools}/${pool}`,
    nodes: `${pools}/${pool}/nodes`,
    workloads: `${pools}/${pool}/workloads`,
    control: `${sim.url}/_sim/v2/${sim.projectId}/pools/${pool}`,
  };
}

export function batchDelete(sim: ModelArtsSimulator, pool: string, names: unknown) {
  return sendJson(`${urls(sim, pool).nodes}/batch-delete`, 'POST', { deleteNodeNames: names });
}
