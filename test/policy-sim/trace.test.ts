import { describe, expect, it } from 'vitest';
import { TraceParseError } from '../../policy-sim/errors';
import { formatTrace, parseTrace } from '../../policy-sim/trace';

const HEADER = 'job_id,submit_s,flavor,units,duration_s';

function parseError(text: string): TraceParseError {
  try {
    parseTrace(text);
  } catch (error) {
    if (error instanceof TraceParseError) return error;
    throw error;
  }
  throw new Error('expected a TraceParseError');
}

describe('parseTrace', () => {
  it('reads rows, sorts them by submit time and keeps file order on ties', () => {
    const jobs = parseTrace(`${HEADER}\nb,10,gpu,8,60\na,0,gpu,4,30.5\nc,10,cpu,1,5\n`);
    expect(jobs.map((job) => job.jobId)).toEqual(['a', 'b', 'c']);
    expect(jobs[0]).toEqual({ jobId: 'a', submitS: 0, flavor: 'gpu', units: 4, durationS: 30.5 });
  });

  it('accepts columns in any order, the optional pool column, CRLF line ends and blank lines', () => {
    const jobs = parseTrace('pool,units,job_id,duration_s,flavor,submit_s\r\np1,2,j1,60,gpu,5\r\n\r\n');
    expect(jobs).toEqual([{ jobId: 'j1', submitS: 5, flavor: 'gpu', units: 2, durationS: 60, pool: 'p1' }]);
  });

  it.each([
    ['a missing header', '', 1, undefined, 'missing header'],
    ['a missing column', 'job_id,submit_s,flavor,units\nj,0,gpu,1\n', 1, 'duration_s', 'required column'],
    ['an unknown column', `${HEADER},priority\nj,0,gpu,1,5,high\n`, 1, 'priority', 'unknown column'],
    ['a negative submit time', `${HEADER}\nj,-1,gpu,1,5\n`, 2, 'submit_s', 'non-negative'],
    ['fractional units', `${HEADER}\nj,0,gpu,1.5,5\n`, 2, 'units', 'positive whole number'],
    ['zero units', `${HEADER}\nj,0,gpu,0,5\n`, 2, 'units', 'positive whole number'],
    ['a zero duration', `${HEADER}\nj1,0,gpu,1,5\nj2,0,gpu,1,0\n`, 3, 'duration_s', 'greater than 0'],
    ['an empty flavor', `${HEADER}\nj,0,,1,5\n`, 2, 'flavor', 'must not be empty'],
    ['a short row', `${HEADER}\nj,0,gpu,1\n`, 2, undefined, 'expected 5 cells'],
    ['a duplicate job id', `${HEADER}\nj,0,gpu,1,5\nj,1,gpu,1,5\n`, 3, 'job_id', 'duplicate of line 2'],
  ])('rejects %s, naming line and column', (_name, text, line, column, message) => {
    const error = parseError(text);
    expect(error.line).toBe(line);
    expect(error.column).toBe(column);
    expect(error.message).toContain(message);
    expect(error.message).toContain(`trace line ${line}`);
  });

  it('round-trips through formatTrace', () => {
    const text = `${HEADER},pool\nj1,0,gpu,8,600,p\nj2,12.5,cpu,1,30,p\n`;
    expect(formatTrace(parseTrace(text))).toBe(text);
  });
});
