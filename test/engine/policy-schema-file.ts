import { fileURLToPath } from 'node:url';
import { policyJsonSchema } from '../../functions/shared/engine';

export const policySchemaFile = fileURLToPath(new URL('../../examples/policy.schema.json', import.meta.url));

export function renderPolicySchema(): string {
  const schema = {
    title: 'pool-autoscaler policy',
    ...policyJsonSchema(),
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}
