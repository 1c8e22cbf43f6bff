/**
 * The one reason a table has room for. A reason trail (ARCHITECTURE 3.1, the engine's `reasons`) lists the
 * pool-level reasons, then each rule that shaped the flavor's target in the order the steps ran, then a summary
 * (`unchanged at 16`, `scale 2 → 4`), then what became of the PATCH (`dry run: PATCH not sent`). The summary
 * only repeats the before and after columns, so the rule is:
 *
 * 1. a failure's error message, when there is one;
 * 2. else, when the count stayed (`unchanged at N`) and a rule held it (`...: holding`, `... held at N`), the
 *    last such rule: `depth is 20027 s old (staleAfterSeconds 300): holding, no scale-down`;
 * 3. else the last reason of the trail that is neither a summary, nor an after-the-fact note about the PATCH,
 *    nor a note that explains placement rather than the count (AZ back-off and steering, creating nodes
 *    counted as capacity, a logical pool's maxCount following its count): the last rule that set the count,
 *    such as `clamped to maxCount 16`;
 * 4. else the last reason there is.
 */

/** Lines that restate the before and after columns, or name the nodes a scale-in removes. */
const SUMMARIES = [
  /^unchanged at \d+$/,
  /^scale \d+ → \d+/,
  /^AZ placement changes/,
  /^removing .+ by name$/,
];

/** Notes written after the decision, about the PATCH or the batch-delete. */
const PATCH_NOTES = [
  /^dry run: (PATCH|batch-delete) not sent$/,
  /^PATCH /,
  /^request budget exhausted: (PATCH|batch-delete) deferred/,
];

/** Notes that explain where nodes go or how they are counted, not how many the flavor gets. */
const PLACEMENT_NOTES = [
  /^AZ \S+ backed off/,
  /^steering around backed-off AZ/,
  /^every weighted AZ is backed off/,
  /still creating: counted as capacity on its way$/,
  /^logical pool: maxCount raised to count/,
];

/** Rules that keep the count where it is whatever the demand says. */
const HOLDS = /: holding\b|\bheld at \d+/;
const UNCHANGED = /^unchanged at \d+$/;

function isDeciding(reason: string): boolean {
  return ![...SUMMARIES, ...PATCH_NOTES, ...PLACEMENT_NOTES].some((pattern) => pattern.test(reason));
}

export function decidingReason(reasons: readonly string[], errorMessage?: string): string {
  if (errorMessage !== undefined && errorMessage !== '') return errorMessage;
  if (reasons.some((reason) => UNCHANGED.test(reason))) {
    const hold = reasons.findLast((reason) => HOLDS.test(reason));
    if (hold !== undefined) return hold;
  }
  for (let index = reasons.length - 1; index >= 0; index--) {
    const reason = reasons[index]!;
    if (isDeciding(reason)) return reason;
  }
  return reasons[reasons.length - 1] ?? '';
}
