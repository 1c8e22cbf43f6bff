import { describe, expect, it } from 'vitest';
import { ScaledClock } from '../../local/scaled-clock';
import { DEFAULT_POLICY, parseLocalRunOptions } from '../../local/options';

describe('ScaledClock', () => {
  it('stands still until it begins, then runs speed times faster, in whole milliseconds', () => {
    let real = 1000;
    const clock = new ScaledClock(60, Date.UTC(2026, 0, 1), () => real);
    real += 5000;
    expect(clock.now()).toBe(Date.UTC(2026, 0, 1));
    clock.begin();
    real += 1500.5;
    expect(clock.now()).toBe(Date.UTC(2026, 0, 1) + 90_030);
    expect(clock.elapsedS()).toBe(90.03);
    expect(clock.realMs(60_000)).toBe(1000);
    expect(() => clock.startAt(0)).toThrow('already running');
  });
});

describe('local run options', () => {
  it('applies the defaults and names the flag of a bad value', () => {
    expect(parseLocalRunOptions({})).toMatchObject({
      trace: 'examples/traces/demo.csv',
      speed: 60,
      duration: 120,
      out: 'out/local-run',
      apply: false,
    });
    expect(() => parseLocalRunOptions({ duration: 'soon' })).toThrow('--duration must be a number');
    expect(() => parseLocalRunOptions({ endpoint: 'http://modelarts.example.com' })).toThrow(
      '--endpoint must be an https URL (http only for loopback)',
    );
    expect(() => parseLocalRunOptions({ logLevel: 'LOUD' })).toThrow(/^--log-level: /);
  });
});

describe('the policy of a local run', () => {
  it.each<[string, Record<string, unknown>, string, string]>([
    ['no flags: the demo trace with the demo policy', {}, DEFAULT_POLICY, 'demo'],
    [
      'a trace with its own policy beside it: that one',
      { trace: 'examples/traces/steady.csv' },
      'examples/traces/steady.policy.json',
      'trace',
    ],
    ['a trace without one: the demo policy', { trace: 'test/cli/fixtures/tiny.csv' }, DEFAULT_POLICY, 'demo'],
    [
      '--policy always wins',
      { trace: 'examples/traces/steady.csv', policy: 'examples/policy.json' },
      'examples/policy.json',
      'given',
    ],
  ])('%s', (_name, raw, policy, origin) => {
    expect(parseLocalRunOptions(raw)).toMatchObject({ policy, policyOrigin: origin });
  });
});

describe('--az-capacity', () => {
  it.each<[string, string, unknown]>([
    ['one AZ for every flavor', 'cn-north-4a=2', { 'cn-north-4a': 2 }],
    [
      'a flavor of one AZ, and another AZ',
      'cn-north-4a/modelarts.vm.gpu.8v100=1, cn-north-4b=5',
      { 'cn-north-4a': { 'modelarts.vm.gpu.8v100': 1 }, 'cn-north-4b': 5 },
    ],
  ])('reads %s', (_name, text, expected) => {
    expect(parseLocalRunOptions({ azCapacity: text }).azCapacity).toEqual(expected);
  });

  it('names the flag and the part it cannot read', () => {
    expect(() => parseLocalRunOptions({ azCapacity: 'cn-north-4a:2' })).toThrow(
      '--az-capacity: "cn-north-4a:2" is not AZ=N or AZ/FLAVOR=N',
    );
  });
});

describe('--demand and --drop-events', () => {
  it.each<[string, Record<string, unknown>, { demand?: string; dropEvents: number }]>([
    ["the policy's own demand, no event lost", {}, { dropEvents: 0 }],
    ['the workloads, forced', { demand: 'workloads' }, { demand: 'workloads', dropEvents: 0 }],
    [
      'reconciled events, a third of them lost',
      { demand: 'events+workloads', dropEvents: '0.3' },
      { demand: 'events+workloads', dropEvents: 0.3 },
    ],
  ])('reads %s', (_name, raw, expected) => {
    const options = parseLocalRunOptions(raw);
    expect({ demand: options.demand, dropEvents: options.dropEvents }).toEqual({
      demand: expected.demand,
      dropEvents: expected.dropEvents,
    });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a share above 1', { dropEvents: '2' }, '--drop-events must be from 0 to 1'],
    ['a negative share', { dropEvents: '-0.1' }, '--drop-events must be from 0 to 1'],
    ['an unknown mode', { demand: 'queue' }, '--demand must be events, workloads or events+workloads'],
    [
      'events to drop where none is sent',
      { demand: 'workloads', dropEvents: '0.3' },
      '--drop-events: --demand workloads sends no job event to drop',
    ],
  ])('refuses %s, naming the flag', (_name, raw, message) => {
    expect(() => parseLocalRunOptions(raw)).toThrow(message);
  });
});
