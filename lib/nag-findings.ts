import type * as cxapi from 'aws-cdk-lib/cx-api';

/** One error-level annotation of a synthesized stack (cdk-nag findings included). */
export interface SynthError {
  readonly stack: string;
  readonly path: string;
  readonly message: string;
}

/** Every error annotation in the assembly; unsuppressed cdk-nag errors show up here. */
export function synthErrors(assembly: cxapi.CloudAssembly): SynthError[] {
  return assembly.stacks.flatMap((stack) =>
    stack.messages
      .filter((message) => message.level === 'error')
      .map((message) => ({ stack: stack.stackName, path: message.id, message: String(message.entry.data) })),
  );
}
