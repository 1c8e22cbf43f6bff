/** The earliest of the times after `now` at which a time-bound rule changes the outcome, epoch ms. */
export function earliestAfter(times: readonly (number | undefined)[], now: number): number | undefined {
  let result: number | undefined;
  for (const time of times) {
    if (time === undefined || time <= now) continue;
    result = result === undefined ? time : Math.min(result, time);
  }
  return result;
}
