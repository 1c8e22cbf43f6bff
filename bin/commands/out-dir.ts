import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { InputError } from './errors';

/**
 * Makes sure results can be written before any work starts: the directory is created (with its parents) and
 * must be writable. `flag` names the option in the error (`--out`).
 */
export async function ensureWritableDirectory(path: string, flag: string): Promise<void> {
  const source = `${flag} ${path}`;
  const existing = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    if (error.code === 'ENOTDIR')
      throw new InputError(source, 'a part of the path is a file, not a directory');
    throw new InputError(source, error.message);
  });
  if (existing !== undefined && !existing.isDirectory())
    throw new InputError(source, 'is a file, not a directory');
  try {
    await mkdir(path, { recursive: true });
    await access(path, constants.W_OK);
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    const problem =
      code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? 'cannot be written here (permission denied)'
        : code === 'ENOTDIR' || code === 'EEXIST'
          ? 'a part of the path is a file, not a directory'
          : (error as Error).message;
    throw new InputError(source, problem);
  }
}
