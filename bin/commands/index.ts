import type { Command } from 'commander';
import { registerSimulateCommand } from './simulate';
import { registerSimCommand } from './sim';
import { registerPoolCommand } from './pool';

/** Each command module adds its commands to the program; one line per module below. */
const registrations: Array<(program: Command) => void> = [
  registerSimulateCommand,
  registerSimCommand,
  registerPoolCommand,
];

export function registerCommands(program: Command): void {
  for (const register of registrations) register(program);
}
