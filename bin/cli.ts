import './quiet-node';
import { describeError, fail } from './commands/errors';
import { buildProgram } from './program';

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    const described = describeError(error);
    fail(described.message, described.code);
  });
