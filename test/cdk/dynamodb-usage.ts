import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { build } from 'esbuild';
import type { TableAction } from '../../lib/autoscaler-tables';

/** DynamoDB actions found in source code, per table name the code uses (`this.store.tables.<key>`). */
export type DynamoDbUsage = Map<string, Set<TableAction>>;

const COMMAND_ACTIONS: Record<string, TableAction> = {
  GetCommand: 'dynamodb:GetItem',
  GetItemCommand: 'dynamodb:GetItem',
  PutCommand: 'dynamodb:PutItem',
  PutItemCommand: 'dynamodb:PutItem',
  UpdateCommand: 'dynamodb:UpdateItem',
  UpdateItemCommand: 'dynamodb:UpdateItem',
  DeleteCommand: 'dynamodb:DeleteItem',
  DeleteItemCommand: 'dynamodb:DeleteItem',
  QueryCommand: 'dynamodb:Query',
  ScanCommand: 'dynamodb:Scan',
};

/** Items of TransactWriteItems / TransactGetItems: each needs the action of its kind. */
const TRANSACT_ITEM_ACTIONS: Record<string, TableAction> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
  Get: 'dynamodb:GetItem',
};

const BATCH_ACTIONS: Record<string, TableAction> = {
  BatchWriteCommand: 'dynamodb:BatchWriteItem',
  BatchWriteItemCommand: 'dynamodb:BatchWriteItem',
  BatchGetCommand: 'dynamodb:BatchGetItem',
  BatchGetItemCommand: 'dynamodb:BatchGetItem',
};

function add(usage: DynamoDbUsage, table: string, action: TableAction): void {
  const actions = usage.get(table) ?? new Set<TableAction>();
  actions.add(action);
  usage.set(table, actions);
}

/**
 * Which DynamoDB actions the given source files can issue on which table, read from the commands they build:
 * `new XCommand({ TableName: ...tables.<key> })`, transaction items `Put: { TableName: ...tables.<key> }`, and
 * batch requests keyed by `[...tables.<key>]:` in the same file. A command whose table is not named this way is reported under `?`.
 */
export function dynamoDbUsageOf(files: readonly string[]): DynamoDbUsage {
  const usage: DynamoDbUsage = new Map();
  for (const file of files) {
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/new (\w+Command)\(/g)) {
      const command = match[1] ?? '';
      const after = source.slice(match.index, match.index + 400);
      const single = COMMAND_ACTIONS[command];
      if (single) add(usage, /tables\.(\w+)/.exec(after)?.[1] ?? '?', single);
      const batch = BATCH_ACTIONS[command];
      // The store's `batchGetAll` sends whatever request it is handed: its callers name the tables.
      const passThrough = /^new BatchGetCommand\(\{\s*RequestItems:\s*pending\s*\}\)/.test(after);
      if (batch && !passThrough) {
        // Batch requests are keyed by table name, often in a literal built before the command.
        const tables = [...source.matchAll(/\[\s*[\w.]*tables\.(\w+)\s*\]\s*:/g)].map((key) => key[1] ?? '?');
        for (const table of tables.length > 0 ? tables : ['?']) add(usage, table, batch);
      }
    }
    if (/\bbatchGetAll\(/.test(source)) {
      for (const key of source.matchAll(/\[\s*[\w.]*tables\.(\w+)\s*\]\s*:/g)) {
        add(usage, key[1] ?? '?', 'dynamodb:BatchGetItem');
      }
    }
    for (const match of source.matchAll(
      /\b(Put|Update|Delete|ConditionCheck|Get):\s*\{\s*TableName:\s*[\w.]*tables\.(\w+)/g,
    )) {
      const action = TRANSACT_ITEM_ACTIONS[match[1] ?? ''];
      if (action) add(usage, match[2] ?? '?', action);
    }
  }
  return usage;
}

/** The project's own source files a handler entry reaches, as esbuild resolves them (packages left out). */
export async function sourcesReachableFrom(entry: string, projectRoot: string): Promise<string[]> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'silent',
  });
  return Object.keys(result.metafile.inputs).map((input) => path.resolve(projectRoot, input));
}
