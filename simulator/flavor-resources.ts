import { cpuCores, memoryBytes } from '../functions/shared/modelarts/quantities';

/*
 * What one node of a flavor holds. The service's flavor catalogue is not public, so the simulator reads it
 * from the flavor name and lets options override any flavor:
 *   - `*.gpu.<n><model>` (`modelarts.vm.gpu.8v100`): n `nvidia.com/gpu` (1 when the name has no leading
 *     number, as `modelarts.vm.gpu.tnt004`);
 *   - `*.npu.<n>snt9...` or any `snt9`: n `huawei.com/ascend-snt9`; `snt3`: n `huawei.com/ascend-snt3`;
 *   - anything else is a CPU flavor without accelerators, `<n>u<m>g` giving n cores and m GiB, otherwise
 *     the leading number giving the cores (`modelarts.vm.cpu.8ud`: 8) with 4 GiB per core.
 * Accelerator flavors get 8 cores and 64 GiB per accelerator. Workloads report the same cards under their
 * own keys: `nvidia.com/gpu`, `huawei.com/ascend-1980` (snt9) and `huawei.com/ascend-310` (snt3).
 */

export interface FlavorResources {
  /** Accelerators per node; 0 for a CPU flavor. */
  accelerators: number;
  /** Key of the node's `resources` (`nvidia.com/gpu`, `huawei.com/ascend-snt9`, ...), when it has accelerators. */
  nodeAcceleratorKey?: string;
  /** Key of a workload's `resourceRequirement` for the same cards. */
  workloadAcceleratorKey?: string;
  cpuMillicores: number;
  memoryMi: number;
}

/** Per-flavor override of the simulator options; fields left out keep the rule's value. */
export interface FlavorResourcesOverride {
  accelerators?: number;
  /** Node resource key of the accelerators, e.g. `huawei.com/ascend-snt9`. */
  acceleratorKey?: string;
  /** Workload resource key of the accelerators, e.g. `huawei.com/ascend-1980`. */
  workloadAcceleratorKey?: string;
  /** Quantity, e.g. `"64"` or `"3920m"`. */
  cpu?: string;
  /** Quantity, e.g. `"512Gi"` or `"6270Mi"`. */
  memory?: string;
}

const WORKLOAD_KEYS: Record<string, string> = {
  'nvidia.com/gpu': 'nvidia.com/gpu',
  'huawei.com/ascend-snt9': 'huawei.com/ascend-1980',
  'huawei.com/ascend-snt3': 'huawei.com/ascend-310',
};

function leadingNumber(text: string): number | undefined {
  const match = /^(\d+)/.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** The rule above, for a flavor no option overrides. */
export function flavorResourcesByName(flavor: string): FlavorResources {
  const segments = flavor.toLowerCase().split('.');
  const tail = segments.at(-1) ?? '';
  const count = Math.max(1, leadingNumber(tail) ?? 1);
  const accelerator = (key: string): FlavorResources => ({
    accelerators: count,
    nodeAcceleratorKey: key,
    workloadAcceleratorKey: WORKLOAD_KEYS[key],
    cpuMillicores: count * 8 * 1000,
    memoryMi: count * 64 * 1024,
  });
  if (tail.includes('snt3')) return accelerator('huawei.com/ascend-snt3');
  if (segments.includes('npu') || tail.includes('snt9')) return accelerator('huawei.com/ascend-snt9');
  if (segments.includes('gpu')) return accelerator('nvidia.com/gpu');
  const sized = /^(\d+)u(\d+)g/.exec(tail);
  const cores = sized ? Number(sized[1]) : Math.max(1, leadingNumber(tail) ?? 8);
  const memoryGi = sized ? Number(sized[2]) : cores * 4;
  return { accelerators: 0, cpuMillicores: cores * 1000, memoryMi: memoryGi * 1024 };
}

export function flavorResources(
  flavor: string,
  overrides: Readonly<Record<string, FlavorResourcesOverride>> = {},
): FlavorResources {
  const base = flavorResourcesByName(flavor);
  const override = overrides[flavor];
  if (!override) return base;
  const key = override.acceleratorKey ?? base.nodeAcceleratorKey ?? 'nvidia.com/gpu';
  const accelerators = override.accelerators ?? base.accelerators;
  const resources: FlavorResources = {
    accelerators,
    cpuMillicores:
      override.cpu === undefined
        ? base.cpuMillicores
        : Math.round(cpuCores(override.cpu, `${flavor}.cpu`) * 1000),
    memoryMi:
      override.memory === undefined
        ? base.memoryMi
        : Math.floor(memoryBytes(override.memory, `${flavor}.memory`) / 2 ** 20),
  };
  if (accelerators > 0) {
    resources.nodeAcceleratorKey = key;
    resources.workloadAcceleratorKey = override.workloadAcceleratorKey ?? WORKLOAD_KEYS[key] ?? key;
  }
  return resources;
}

/** Placement units of one node: its accelerators, or 1 (the whole node) for a flavor without any. */
export function unitsPerNode(resources: FlavorResources): number {
  return resources.accelerators > 0 ? resources.accelerators : 1;
}

/** CPU and memory of `units` of a node, in proportion, rounded down. */
export function shareOf(
  resources: FlavorResources,
  units: number,
): { cpuMillicores: number; memoryMi: number } {
  const per = unitsPerNode(resources);
  return {
    cpuMillicores: Math.floor((resources.cpuMillicores * units) / per),
    memoryMi: Math.floor((resources.memoryMi * units) / per),
  };
}

export function formatCpu(millicores: number): string {
  return millicores % 1000 === 0 ? String(millicores / 1000) : `${millicores}m`;
}

export function formatMemory(mebibytes: number): string {
  return mebibytes % 1024 === 0 ? `${mebibytes / 1024}Gi` : `${mebibytes}Mi`;
}

/** A `resources` object in the API's string form. */
export function quantities(
  resources: FlavorResources,
  amounts: { cpuMillicores: number; memoryMi: number; accelerators: number },
  acceleratorKey: string | undefined,
): Record<string, string> {
  const result: Record<string, string> = {
    cpu: formatCpu(amounts.cpuMillicores),
    memory: formatMemory(amounts.memoryMi),
  };
  if (resources.accelerators > 0 && acceleratorKey) result[acceleratorKey] = String(amounts.accelerators);
  return result;
}
