import { describe, expect, it } from 'vitest';
import {
  acceleratorCount,
  acceleratorsOf,
  cpuCores,
  memoryBytes,
  ModelArtsQuantityError,
  parseQuantity,
  resourceAmounts,
} from '../../functions/shared/modelarts';

describe('resource quantities', () => {
  it.each([
    ['plain integer', '8', 8],
    ['millicores', '3920m', 3.92],
    ['mebibytes', '6270Mi', 6270 * 2 ** 20],
    ['gibibytes', '1Gi', 2 ** 30],
    ['kibibytes', '512Ki', 512 * 1024],
    ['decimal kilo', '2k', 2000],
    ['decimal mega', '3M', 3_000_000],
    ['decimal fraction', '1.5', 1.5],
    ['leading dot', '.5', 0.5],
    ['exponent', '2e3', 2000],
    ['negative exponent', '25E-2', 0.25],
    ['nano', '500n', 5e-7],
    ['micro', '250u', 0.00025],
    ['surrounding spaces', ' 4 ', 4],
    ['zero', '0', 0],
  ])('%s: %s is %d', (_name, text, value) => {
    expect(parseQuantity(text)).toBeCloseTo(value, 12);
  });

  it.each([
    ['empty', ''],
    ['unit only', 'Mi'],
    ['unknown suffix', '3Xi'],
    ['two numbers', '1 2'],
    ['words', 'eight'],
    ['lowercase binary', '1gi'],
  ])('%s (%j) is refused with the field named', (_name, text) => {
    expect(() => parseQuantity(text, 'status.resources.memory')).toThrow(ModelArtsQuantityError);
    expect(() => parseQuantity(text, 'status.resources.memory')).toThrow(/status\.resources\.memory/);
  });

  it('reads cpu in cores and memory in bytes', () => {
    expect(cpuCores('3920m')).toBe(3.92);
    expect(cpuCores('64')).toBe(64);
    expect(memoryBytes('6270Mi')).toBe(6_574_571_520);
    expect(() => cpuCores('-1')).toThrow(/cpu "-1" is negative/);
  });

  it('counts accelerators as whole numbers only', () => {
    expect(acceleratorCount('8')).toBe(8);
    expect(() => acceleratorCount('0.5', 'nvidia.com/gpu')).toThrow(
      /nvidia\.com\/gpu "0\.5" is not a whole number/,
    );
  });

  it.each([
    ['a GPU node', { cpu: '3920m', memory: '6270Mi', 'nvidia.com/gpu': '8' }, 8],
    ['an Ascend snt9 node', { 'huawei.com/ascend-snt9': '8' }, 8],
    ['an Ascend snt3 node', { 'huawei.com/ascend-snt3': '4' }, 4],
    ['an Ascend 910 workload', { 'huawei.com/ascend-1980': '16' }, 16],
    ['an Ascend 310 workload', { 'huawei.com/ascend-310': '1' }, 1],
    ['a future Ascend key', { 'huawei.com/ascend-910c': '2' }, 2],
    ['a CPU node', { cpu: '8', memory: '32Gi' }, 0],
    ['nothing', undefined, 0],
  ])('the accelerators of %s', (_name, resources, count) => {
    expect(acceleratorsOf(resources)).toBe(count);
  });

  it('reads a resources object whole, naming the key that is not a quantity', () => {
    expect(resourceAmounts({ cpu: '3920m', memory: '1Gi', 'nvidia.com/gpu': '2', other: 'x' })).toEqual({
      cpuCores: 3.92,
      memoryBytes: 2 ** 30,
      accelerators: 2,
      acceleratorKeys: ['nvidia.com/gpu'],
    });
    expect(resourceAmounts({})).toEqual({
      cpuCores: undefined,
      memoryBytes: undefined,
      accelerators: 0,
      acceleratorKeys: [],
    });
    expect(() => resourceAmounts({ 'huawei.com/ascend-snt9': 'lots' })).toThrow(
      expect.objectContaining({ name: 'ModelArtsQuantityError', field: 'huawei.com/ascend-snt9' }),
    );
  });
});
