/**
 * Resource quantities of nodes and workloads, read in one place. The API sends Kubernetes quantity strings
 * (`"8"`, `"3920m"`, `"6270Mi"`, `"1Gi"`, `"1.5"`, `"2e3"`); these functions turn them into plain numbers:
 * CPU in cores, memory in bytes, accelerators as whole counts.
 */
import { ModelArtsQuantityError } from './errors';
import type { ResourceQuantities } from './schemas';

/**
 * Accelerator keys of the reference: nodes report `nvidia.com/gpu`, `huawei.com/ascend-snt3|snt9`, workloads
 * `nvidia.com/gpu`, `huawei.com/ascend-310|1980` for the same cards. Other `huawei.com/ascend-*` keys count too.
 */
export const ACCELERATOR_KEYS = [
  'nvidia.com/gpu',
  'huawei.com/ascend-snt3',
  'huawei.com/ascend-snt9',
  'huawei.com/ascend-310',
  'huawei.com/ascend-1980',
] as const;
export type AcceleratorKey = (typeof ACCELERATOR_KEYS)[number];

const DECIMAL_SUFFIXES: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$/;

/** The value of a quantity string; `field` names it in the error when it is not a quantity. */
export function parseQuantity(text: string, field = 'quantity'): number {
  const match = typeof text === 'string' ? QUANTITY.exec(text.trim()) : null;
  if (!match) throw new ModelArtsQuantityError(field, text, 'is not a resource quantity');
  const [, number = '', exponent, suffix = ''] = match;
  const mantissa = Number(number);
  if (exponent !== undefined) return scaleDecimal(mantissa, Number(exponent.slice(1)));
  const binary = BINARY_SUFFIXES[suffix];
  if (binary !== undefined) return mantissa * 2 ** binary;
  return scaleDecimal(mantissa, DECIMAL_SUFFIXES[suffix] ?? 0);
}

/** Dividing for negative powers keeps `3920m` at exactly 3.92. */
function scaleDecimal(mantissa: number, power: number): number {
  return power < 0 ? mantissa / 10 ** -power : mantissa * 10 ** power;
}

/** CPU in cores: `"3920m"` is 3.92. */
export function cpuCores(text: string, field = 'cpu'): number {
  return nonNegative(parseQuantity(text, field), field, text);
}

/** Memory in bytes: `"6270Mi"` is 6 574 571 520. */
export function memoryBytes(text: string, field = 'memory'): number {
  return nonNegative(parseQuantity(text, field), field, text);
}

/** A whole number of accelerators: `"8"` is 8; `"0.5"` is refused. */
export function acceleratorCount(text: string, field = 'accelerators'): number {
  const value = nonNegative(parseQuantity(text, field), field, text);
  if (!Number.isInteger(value)) throw new ModelArtsQuantityError(field, text, 'is not a whole number');
  return value;
}

function nonNegative(value: number, field: string, text: string): number {
  if (!Number.isFinite(value) || value < 0) throw new ModelArtsQuantityError(field, text, 'is negative');
  return value;
}

export function isAcceleratorKey(key: string): boolean {
  return (ACCELERATOR_KEYS as readonly string[]).includes(key) || key.startsWith('huawei.com/ascend-');
}

/** What a node's `resources`/`availableResources` or a workload's `resourceRequirement` amounts to. */
export interface ResourceAmounts {
  /** Undefined when the object has no `cpu`. */
  cpuCores: number | undefined;
  /** Undefined when the object has no `memory`. */
  memoryBytes: number | undefined;
  /** Sum over every accelerator key (an object carries one in practice); 0 when there is none. */
  accelerators: number;
  /** The accelerator keys present, in the order found. */
  acceleratorKeys: string[];
}

/** Reads every quantity of a resources object; throws `ModelArtsQuantityError` naming the bad key. */
export function resourceAmounts(
  resources: ResourceQuantities | Record<string, unknown> | undefined,
): ResourceAmounts {
  const amounts: ResourceAmounts = {
    cpuCores: undefined,
    memoryBytes: undefined,
    accelerators: 0,
    acceleratorKeys: [],
  };
  for (const [key, value] of Object.entries(resources ?? {})) {
    if (value === undefined) continue;
    const text = String(value);
    if (key === 'cpu') amounts.cpuCores = cpuCores(text, key);
    else if (key === 'memory') amounts.memoryBytes = memoryBytes(text, key);
    else if (isAcceleratorKey(key)) {
      amounts.accelerators += acceleratorCount(text, key);
      amounts.acceleratorKeys.push(key);
    }
  }
  return amounts;
}

/** Accelerators of a node's or a workload's resources, whatever the key (`nvidia.com/gpu`, `huawei.com/ascend-*`). */
export function acceleratorsOf(resources: ResourceQuantities | Record<string, unknown> | undefined): number {
  return resourceAmounts(resources).accelerators;
}
