import type { Command } from 'commander';
import { registerConfig } from './config.ts';

/** Each command lives in its own file and registers itself on the program. */
export type RegisterCommand = (program: Command) => void;

export const COMMANDS: RegisterCommand[] = [registerConfig];
