import type { Command } from 'commander';

/** Each command module adds its commands to the program; one line per module below. */
const registrations: Array<(program: Command) => void> = [];

export function registerCommands(program: Command): void {
  for (const register of registrations) register(program);
}
