import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TABLE_KEYS, type TableKey } from '../../functions/shared/store/tables';
import { ModelArtsPoolAutoscaler } from '../../lib/modelarts-pool-autoscaler';
import {
  CONSUMER_TABLE_ACCESS,
  WATCHER_TABLE_ACCESS,
  evaluatorTableAccess,
  type TableAccess,
} from '../../lib/table-access';
import { dynamoDbUsageOf, sourcesReachableFrom, type DynamoDbUsage } from './dynamodb-usage';
import { iamStatements } from './template-queries';

// The CloudFormation schema check built into synth costs seconds per process and is advisory only;
// `npm run synth` keeps it. Everything asserted here comes from the templates and cdk-nag.
vi.stubEnv('CDK_VALIDATION', 'false');
afterAll(() => {
  vi.unstubAllEnvs();
});

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(here, '../..');
const FIXTURE_HANDLER = path.join(here, 'fixtures/handler.ts');

interface Reachable {
  usage: DynamoDbUsage;
  source: string;
}

const reachable: Record<'consumer' | 'evaluator' | 'watcher', Reachable> = {} as never;
const templates: Record<
  'fanOut' | 'inProcess',
  { template: Template; autoscaler: ModelArtsPoolAutoscaler; stack: Stack }
> = {} as never;

beforeAll(async () => {
  for (const name of ['consumer', 'evaluator', 'watcher'] as const) {
    const files = await sourcesReachableFrom(path.join(ROOT, `functions/${name}/handler.ts`), ROOT);
    reachable[name] = {
      usage: dynamoDbUsageOf(files),
      source: files.map((file) => readFileSync(file, 'utf8')).join('\n'),
    };
  }
  // Permissions do not depend on the handler code, so the small fixture keeps bundling out of this file.
  const app = new App({ outdir: path.join(ROOT, 'cdk.out/test-least-privilege') });
  const built: Array<['fanOut' | 'inProcess', Stack, ModelArtsPoolAutoscaler]> = [];
  for (const [id, evaluateInProcess] of [
    ['fanOut', false],
    ['inProcess', true],
  ] as const) {
    const stack = new Stack(app, id);
    const autoscaler = new ModelArtsPoolAutoscaler(stack, 'Autoscaler', {
      credentialsSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'Secret', 'modelarts'),
      consumerEntry: FIXTURE_HANDLER,
      evaluatorEntry: FIXTURE_HANDLER,
      watcherEntry: FIXTURE_HANDLER,
      evaluateInProcess,
    });
    built.push([id, stack, autoscaler]);
  }
  const assembly = app.synth();
  for (const [id, stack, autoscaler] of built) {
    templates[id] = {
      template: Template.fromJSON(assembly.getStackByName(stack.stackName).template),
      autoscaler,
      stack,
    };
  }
});

/** DynamoDB actions the template grants one role, per table (by the construct's table logical ids). */
function grantedTableActions(id: 'fanOut' | 'inProcess', role: iam.IRole): Map<TableKey, Set<string>> {
  const { template, autoscaler, stack } = templates[id];
  const roleId = stack.getLogicalId(role.node.defaultChild as never);
  const tableIds = new Map(
    TABLE_KEYS.map((key) => [stack.getLogicalId(autoscaler.tables[key].node.defaultChild as never), key]),
  );
  const granted = new Map<TableKey, Set<string>>();
  for (const statement of iamStatements(template).filter((s) => s.roles.includes(roleId))) {
    const dynamo = statement.actions.filter((action) => action.startsWith('dynamodb:'));
    if (dynamo.length === 0) continue;
    const text = JSON.stringify(statement.resources);
    const keys = [...tableIds].filter(([logicalId]) => text.includes(`"${logicalId}"`)).map(([, key]) => key);
    expect(keys, text).toHaveLength(1);
    const actions = granted.get(keys[0]!) ?? new Set<string>();
    for (const action of dynamo) actions.add(action);
    granted.set(keys[0]!, actions);
  }
  return granted;
}

function actionsOf(access: TableAccess): Map<TableKey, Set<string>> {
  return new Map(TABLE_KEYS.filter((key) => access[key]).map((key) => [key, new Set(access[key])]));
}

describe('DynamoDB permissions follow the code', () => {
  it('finds the table of every DynamoDB command the handlers can send', () => {
    expect(reachable.consumer.usage.has('?')).toBe(false);
    expect(reachable.evaluator.usage.has('?')).toBe(false);
    expect(reachable.watcher.usage.has('?')).toBe(false);
  });

  it.each([
    ['consumer', 'fanOut'],
    ['evaluator', 'fanOut'],
    ['evaluator', 'inProcess'],
    ['watcher', 'fanOut'],
  ] as const)(
    'the %s (%s) is granted only actions its code issues, on the tables it issues them to',
    (name, id) => {
      const role = templates[id].autoscaler[name]!.role!;
      const granted = grantedTableActions(id, role);
      expect(granted.size).toBeGreaterThan(0);
      for (const [table, actions] of granted) {
        const used = reachable[name].usage.get(table) ?? new Set();
        for (const action of actions)
          expect(used.has(action as never), `${name} ${table} ${action}`).toBe(true);
      }
    },
  );

  it('grants exactly the documented access sets', () => {
    const consumer = templates.fanOut.autoscaler.consumer.role!;
    const evaluator = templates.fanOut.autoscaler.evaluator.role!;
    expect(grantedTableActions('fanOut', consumer)).toEqual(actionsOf(CONSUMER_TABLE_ACCESS));
    expect(grantedTableActions('fanOut', evaluator)).toEqual(actionsOf(evaluatorTableAccess(false)));
    expect(grantedTableActions('inProcess', templates.inProcess.autoscaler.evaluator.role!)).toEqual(
      actionsOf(evaluatorTableAccess(true)),
    );
    expect(grantedTableActions('fanOut', templates.fanOut.autoscaler.watcher!.role!)).toEqual(
      actionsOf(WATCHER_TABLE_ACCESS),
    );
  });

  it('lets the fanning-out evaluator only scan policies', () => {
    const granted = grantedTableActions('fanOut', templates.fanOut.autoscaler.evaluator.role!);
    expect([...granted]).toEqual([['policies', new Set(['dynamodb:Scan'])]]);
  });
});

describe('queue and secret permissions follow the code', () => {
  const roleActions = (id: 'fanOut' | 'inProcess', name: 'consumer' | 'evaluator' | 'watcher') => {
    const { template, autoscaler, stack } = templates[id];
    const roleId = stack.getLogicalId(autoscaler[name]!.role!.node.defaultChild as never);
    return iamStatements(template)
      .filter((s) => s.roles.includes(roleId))
      .flatMap((s) => s.actions);
  };

  it('lets only code that sends to the queue send to it', () => {
    expect(reachable.evaluator.source).toMatch(/new SendMessageBatchCommand\(/);
    expect(reachable.consumer.source).not.toMatch(/new SendMessage(Batch)?Command\(/);
    expect(roleActions('fanOut', 'evaluator')).toContain('sqs:SendMessage');
    expect(roleActions('fanOut', 'consumer')).not.toContain('sqs:SendMessage');
    expect(roleActions('inProcess', 'evaluator')).not.toContain('sqs:SendMessage');
    expect(reachable.watcher.source).toMatch(/new SendMessageBatchCommand\(/);
    expect(roleActions('fanOut', 'watcher')).toContain('sqs:SendMessage');
  });

  it('lets only the functions that call ModelArts read the secret', () => {
    expect(reachable.consumer.source).toMatch(/new GetSecretValueCommand\(/);
    expect(roleActions('fanOut', 'consumer')).toContain('secretsmanager:GetSecretValue');
    expect(roleActions('fanOut', 'evaluator')).not.toContain('secretsmanager:GetSecretValue');
    expect(roleActions('inProcess', 'evaluator')).toContain('secretsmanager:GetSecretValue');
    expect(reachable.watcher.source).toMatch(/new GetSecretValueCommand\(/);
    expect(roleActions('fanOut', 'watcher')).toContain('secretsmanager:GetSecretValue');
  });

  it('lets only the consumer receive from the queue', () => {
    expect(roleActions('fanOut', 'consumer')).toContain('sqs:ReceiveMessage');
    expect(roleActions('fanOut', 'evaluator')).not.toContain('sqs:ReceiveMessage');
    expect(roleActions('fanOut', 'watcher')).not.toContain('sqs:ReceiveMessage');
  });
});

describe('secret named by name', () => {
  it('is granted by its name with the six-character suffix pattern, never a wildcard', () => {
    const { template } = templates.fanOut;
    const secretRead = iamStatements(template).find((s) =>
      s.actions.includes('secretsmanager:GetSecretValue'),
    );
    const resource = JSON.stringify(secretRead?.resources);
    expect(resource).toContain(':secret:modelarts-??????');
    expect(resource).not.toContain('*');
  });
});
