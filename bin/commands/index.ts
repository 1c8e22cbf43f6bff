import type { Command } from 'commander';
import { registerSimulateCommand } from './simulate';
import { registerSimCommand } from './sim';
import { registerPoolCommand } from './pool';
import { registerPolicyCommand } from './policy';
import { registerActivitiesCommand } from './activities';
import { registerEvaluateCommand } from './evaluate';
import { registerEventCommand } from './event';
import { registerLocalCommand } from './local';

/** Each command module adds its commands to the program; one line per module below. */
const registrations: Array<(program: Command) => void> = [
  registerSimulateCommand,
  registerSimCommand,
  registerPoolCommand,
  registerPolicyCommand,
  registerActivitiesCommand,
  registerEvaluateCommand,
  registerEventCommand,
  registerLocalCommand,
];

export function registerCommands(program: Command): void {
  for (const register of registrations) register(program);
}
