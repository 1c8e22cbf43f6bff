import { describe, expect, it } from 'vitest';
import {
  removalOrder,
  type RemovalCandidate,
  type RemovalStage,
} from '../../functions/shared/engine/removal-order';

/** A node named by what it is: `<stage>/<used units or ?>/<requested at>/<tiebreak>`. */
function node(text: string): RemovalCandidate & { text: string } {
  const [stage, used, at, tiebreak] = text.split('/');
  return {
    text,
    stage: stage as RemovalStage,
    usedUnits: used === '?' ? undefined : Number(used),
    requestedAt: Number(at),
    tiebreak: tiebreak ?? '',
  };
}

const order = (texts: string[], idleFirst: boolean): string[] =>
  removalOrder(texts.map(node), (candidate) => candidate, { idleFirst }).map((candidate) => candidate.text);

describe('node removal order', () => {
  it.each([
    // [case, nodes in pool order, idleFirst, removal order]
    [
      'not serving yet first: waiting, creating, abnormal, then available',
      ['available/0/1/a', 'abnormal/0/1/b', 'creating/0/1/c', 'waiting/0/1/d'],
      false,
      ['waiting/0/1/d', 'creating/0/1/c', 'abnormal/0/1/b', 'available/0/1/a'],
    ],
    [
      'the service ignores what runs: newest available first, busy or not',
      ['available/0/1/a', 'available/8/2/b', 'available/0/3/c'],
      false,
      ['available/0/3/c', 'available/8/2/b', 'available/0/1/a'],
    ],
    [
      'ties at one instant: the greater tiebreak first',
      ['available/0/5/a', 'available/0/5/c', 'available/0/5/b'],
      false,
      ['available/0/5/c', 'available/0/5/b', 'available/0/5/a'],
    ],
    [
      'idle first: idle nodes, newest first, before busy ones',
      ['available/0/1/a', 'available/8/3/b', 'available/0/2/c', 'creating/0/4/d'],
      true,
      ['creating/0/4/d', 'available/0/2/c', 'available/0/1/a', 'available/8/3/b'],
    ],
    [
      'idle first: the least loaded busy node first, unknown loads last',
      ['available/?/9/a', 'available/8/1/b', 'available/2/2/c', 'available/2/3/d'],
      true,
      ['available/2/3/d', 'available/2/2/c', 'available/8/1/b', 'available/?/9/a'],
    ],
    [
      'idle first: occupancy only matters on available nodes',
      ['creating/?/1/a', 'creating/0/2/b'],
      true,
      ['creating/0/2/b', 'creating/?/1/a'],
    ],
  ])('%s', (_case, nodes, idleFirst, expected) => {
    expect(order(nodes, idleFirst)).toEqual(expected);
  });

  it('leaves its input as it was', () => {
    const nodes = ['available/0/1/a', 'waiting/0/2/b'].map(node);
    const copy = [...nodes];
    removalOrder(nodes, (candidate) => candidate, { idleFirst: false });
    expect(nodes).toEqual(copy);
  });
});
