import { describe, expect, it } from 'vitest';
import { ScaledClock } from '../../local/scaled-clock';
import { parseLocalRunOptions } from '../../local/options';

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
