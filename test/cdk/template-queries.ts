import type { Template } from 'aws-cdk-lib/assertions';

/** The parts of a synthesized resource the CDK tests read. */
export interface TemplateResource {
  Type: string;
  Properties: {
    Environment?: { Variables: Record<string, unknown> };
    TimeToLiveSpecification?: unknown;
    AlarmActions?: unknown[];
    OKActions?: unknown[];
    PolicyDocument?: { Statement: PolicyStatementJson[] };
    Roles?: { Ref: string }[];
    [key: string]: unknown;
  };
  DeletionPolicy?: string;
}

interface PolicyStatementJson {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** One statement of an identity policy with the roles it is attached to (logical ids). */
export interface IamStatement {
  policy: string;
  roles: string[];
  actions: string[];
  resources: unknown[];
}

export function resourcesOfType(template: Template, type: string): Record<string, TemplateResource> {
  return template.findResources(type) as Record<string, TemplateResource>;
}

/** Every statement of every `AWS::IAM::Policy` in the template. */
export function iamStatements(template: Template): IamStatement[] {
  return Object.entries(resourcesOfType(template, 'AWS::IAM::Policy')).flatMap(([policy, resource]) =>
    (resource.Properties.PolicyDocument?.Statement ?? []).map((statement) => ({
      policy,
      roles: (resource.Properties.Roles ?? []).map((role) => role.Ref),
      actions: ([] as string[]).concat(statement.Action),
      resources: ([] as unknown[]).concat(statement.Resource),
    })),
  );
}
