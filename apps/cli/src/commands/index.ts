import type { CliCommand } from '../cli-command';
import { auditCommand } from './audit.command';
import { codeCommand } from './code.command';
import { dispatchCommand } from './dispatch.command';
import { projectionsCommand } from './projections.command';
import { tokenCommand } from './token.command';

/** Every command of `npm run cli`; a new command is a file beside this one and a line here. */
export const COMMANDS: CliCommand[] = [
  tokenCommand,
  codeCommand,
  auditCommand,
  projectionsCommand,
  dispatchCommand,
];
