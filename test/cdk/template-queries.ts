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

/** One widget of a dashboard body, with references replaced by `REF`. */
export interface DashboardWidget {
  type: string;
  properties: {
    title?: string;
    metrics: Array<Array<string | { expression?: string; label?: string }>>;
    alarms?: string[];
  };
}

/** Parses a dashboard body (a `Fn::Join` of text and references) into its widgets. */
export function dashboardWidgets(dashboard: TemplateResource): DashboardWidget[] {
  const body = dashboard.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] } | string;
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'REF')).join('');
  const widgets = (JSON.parse(text) as { widgets: DashboardWidget[] }).widgets;
  return widgets.map((widget) => ({
    ...widget,
    properties: { ...widget.properties, metrics: widget.properties.metrics ?? [] },
  }));
}
