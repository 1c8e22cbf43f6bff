import type { Command } from 'commander';
import { registerSimCommand } from './sim';

/** Each command module adds its commands to the program; one line per module below. */
const registrations: Array<(program: Command) => void> = [registerSimCommand];

export function registerCommands(program: Command): void {
  for (const register of registrations) register(program);
}
