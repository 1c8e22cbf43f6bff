import { type FieldIssue, formatIssues } from '../validation-issues';

/** One problem found in a policy, with the dotted path of the field it concerns. */
export type PolicyIssue = FieldIssue;

/** A policy item failed validation; a broken policy never scales anything and is reported with its fields. */
export class PolicyValidationError extends Error {
  override readonly name = 'PolicyValidationError';
  /** Path of the first offending field, e.g. `flavors.modelarts.vm.gpu.8v100.scaleUp.policies[0].type`. */
  readonly field: string;
  readonly issues: PolicyIssue[];

  constructor(issues: PolicyIssue[]) {
    const first = issues[0] ?? { field: '(policy)', message: 'invalid policy' };
    super(formatIssues(issues));
    this.field = first.field;
    this.issues = issues;
  }
}

/** `buildPatchBody` was asked to change a flavor entry the pool does not have, or cannot identify uniquely. */
export class FlavorEntryNotFoundError extends Error {
  override readonly name = 'FlavorEntryNotFoundError';
  constructor(
    readonly pool: string,
    readonly flavor: string,
    readonly reason: string,
  ) {
    super(`pool ${pool}: flavor ${flavor}: ${reason}`);
  }
}

/** A target would break a pool rule (AZ counts not summing to count, negative counts, ...). */
export class InvalidTargetError extends Error {
  override readonly name = 'InvalidTargetError';
  constructor(
    readonly pool: string,
    readonly flavor: string,
    readonly reason: string,
  ) {
    super(`pool ${pool}: flavor ${flavor}: ${reason}`);
  }
}
