import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  TABLE_KEYS,
  TABLES,
  type KeyAttribute,
  type TableDefinition,
  type TableKey,
} from '../functions/shared/store/tables';

/** The autoscaler's DynamoDB tables, by the name the code uses for each. */
export type AutoscalerTables = Record<TableKey, dynamodb.ITable>;

/** DynamoDB data-plane actions the autoscaler grants; nothing broader (no `dynamodb:*`). */
export type TableAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:Query'
  | 'dynamodb:Scan'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:BatchWriteItem'
  | 'dynamodb:ConditionCheckItem'
  | 'dynamodb:DescribeTable';

/** Actions that read through an index, so they also need the index ARNs. */
const INDEX_ACTIONS: ReadonlySet<TableAction> = new Set(['dynamodb:Query', 'dynamodb:Scan']);

const READ_ACTIONS: ReadonlySet<TableAction> = new Set([
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:DescribeTable',
]);

export interface AutoscalerTableOptions {
  readonly removalPolicy: RemovalPolicy;
  readonly deletionProtection: boolean;
}

function attributeType(key: KeyAttribute): dynamodb.AttributeType {
  return key.type === 'N' ? dynamodb.AttributeType.NUMBER : dynamodb.AttributeType.STRING;
}

function attribute(key: KeyAttribute): dynamodb.Attribute {
  return { name: key.name, type: attributeType(key) };
}

/**
 * A table built from its shared definition: on-demand, point-in-time recovery, encrypted with the AWS-managed
 * KMS key, TTL where the definition names an attribute. Physical names are left to CloudFormation so a
 * replacement never collides with the old table.
 */
export function createAutoscalerTable(
  scope: Construct,
  definition: TableDefinition,
  options: AutoscalerTableOptions,
): dynamodb.Table {
  const table = new dynamodb.Table(scope, `${definition.logicalName}Table`, {
    partitionKey: attribute(definition.partitionKey),
    ...(definition.sortKey ? { sortKey: attribute(definition.sortKey) } : {}),
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    deletionProtection: options.deletionProtection,
    removalPolicy: options.removalPolicy,
    ...(definition.timeToLiveAttribute ? { timeToLiveAttribute: definition.timeToLiveAttribute } : {}),
  });
  for (const index of definition.globalSecondaryIndexes) {
    table.addGlobalSecondaryIndex({
      indexName: index.indexName,
      partitionKey: attribute(index.partitionKey),
      ...(index.sortKey ? { sortKey: attribute(index.sortKey) } : {}),
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }
  return table;
}

/** Creates every table that `existing` does not provide. */
export function resolveAutoscalerTables(
  scope: Construct,
  existing: Partial<AutoscalerTables>,
  options: AutoscalerTableOptions,
): AutoscalerTables {
  const tables = {} as AutoscalerTables;
  for (const key of TABLE_KEYS) {
    tables[key] = existing[key] ?? createAutoscalerTable(scope, TABLES[key], options);
  }
  return tables;
}

/** Physical names of the tables, for the functions' environment. */
export function tableNamesOf(tables: AutoscalerTables): Record<TableKey, string> {
  const names = {} as Record<TableKey, string>;
  for (const key of TABLE_KEYS) names[key] = tables[key].tableName;
  return names;
}

/**
 * Grants exactly `actions` on one table. Index ARNs are named one by one from the table definition (never
 * `index/*`), and only when an action reads through an index.
 */
export function grantTableActions(
  grantee: iam.IGrantable,
  table: dynamodb.ITable,
  definition: TableDefinition,
  actions: readonly TableAction[],
): iam.Grant {
  const resourceArns = [table.tableArn];
  if (actions.some((action) => INDEX_ACTIONS.has(action))) {
    for (const index of definition.globalSecondaryIndexes) {
      resourceArns.push(`${table.tableArn}/index/${index.indexName}`);
    }
  }
  const grant = iam.Grant.addToPrincipal({ grantee, actions: [...actions], resourceArns });
  if (table.encryptionKey) {
    if (actions.some((action) => !READ_ACTIONS.has(action))) table.encryptionKey.grantEncryptDecrypt(grantee);
    else table.encryptionKey.grantDecrypt(grantee);
  }
  return grant;
}
