import type { CliCommand } from '../cli-command';
import { codeCommand } from './code.command';
import { tokenCommand } from './token.command';

/** Every command of `npm run cli`; a new command is a file beside this one and a line here. */
export const COMMANDS: CliCommand[] = [tokenCommand, codeCommand];
