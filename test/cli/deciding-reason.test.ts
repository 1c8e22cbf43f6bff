import { describe, expect, it } from 'vitest';
import { decidingReason } from '../../bin/commands/deciding-reason';

const DEMAND = 'demand 200 units (200 pending + 0 running) / 8 per node → 25 nodes';
const STALE = 'depth is 20027 s old (staleAfterSeconds 300): holding, no scale-down';

describe('the reason a table shows', () => {
  it.each([
    [
      'a clamp to maxCount, not the no-op summary',
      [DEMAND, 'clamped to maxCount 16', 'unchanged at 16'],
      'clamped to maxCount 16',
    ],
    [
      'a hold on stale depth that kept the count',
      [
        STALE,
        'idle: demand 0 units below activationUnits 1 → fall back to minCount',
        'raised to minCount 1',
        'unchanged at 4',
      ],
      STALE,
    ],
    ['a hold that did not decide: the count went up', [STALE, DEMAND, 'scale 4 → 25'], DEMAND],
    [
      'the demand, when it alone set a scale',
      [DEMAND, 'scale 16 → 25 (cn-north-4a: 13, cn-north-4b: 12)'],
      DEMAND,
    ],
    [
      "past a dry run's note about the PATCH",
      ['dry run: would scale f; PATCH not sent', DEMAND, 'scale 2 → 25', 'dry run: PATCH not sent'],
      DEMAND,
    ],
    [
      'past notes on placement',
      [
        DEMAND,
        'clamped to maxCount 16',
        '3 nodes still creating: counted as capacity on its way',
        'AZ cn-north-4a backed off for 600 s: nodes creating without progress or abnormal for 1200 s',
        'unchanged at 16',
      ],
      'clamped to maxCount 16',
    ],
    [
      'a cooldown',
      [DEMAND, 'cooldown: last scale 20 s ago (cooldownSeconds 60): held at 8', 'unchanged at 8'],
      'cooldown: last scale 20 s ago (cooldownSeconds 60): held at 8',
    ],
    [
      'a pool-level stop',
      ['pool is changing (nodes creating): nothing is changed'],
      'pool is changing (nodes creating): nothing is changed',
    ],
    ['only a summary', ['unchanged at 2'], 'unchanged at 2'],
    ['nothing', [], ''],
  ])('%s', (_name, reasons, expected) => {
    expect(decidingReason(reasons)).toBe(expected);
  });

  it('a failure says its error first', () => {
    expect(decidingReason(['GET pool failed: nothing decided'], 'HTTP 503 ModelArts.0001: busy')).toBe(
      'HTTP 503 ModelArts.0001: busy',
    );
  });
});
