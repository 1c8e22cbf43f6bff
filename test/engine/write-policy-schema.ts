// Regenerates examples/policy.schema.json from the policy schema: `npx tsx test/engine/write-policy-schema.ts`.
import { writeFileSync } from 'node:fs';
import { policySchemaFile, renderPolicySchema } from './policy-schema-file';

writeFileSync(policySchemaFile, renderPolicySchema());
process.stdout.write(`wrote ${policySchemaFile}\n`);
