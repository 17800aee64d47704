import type { LoggerService, LogLevel } from '@nestjs/common';
import type { SignetConfig } from '@signet/config';
import pino, { type Logger as Pino, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

const PINO_LEVEL: Record<SignetConfig['logLevel'], LevelWithSilent> = {
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/**
 * Masks what must never reach a log line: full phone numbers (a `+` and 8 or more digits, spaced or not; any run
 * of 9 or more digits) keep their last two digits only. Codes are kept out at the source (bodies are never
 * logged; providers' echoes are scrubbed before they are logged).
 */
export function scrubbed(text: string): string {
  return text
    .replace(
      /\+\d[\d ().-]{6,}\d/g,
      (number) => `+${'X'.repeat(Math.max(0, number.length - 3))}${number.slice(-2)}`,
    )
    .replace(/\d{9,}/g, (digits) => `${'X'.repeat(digits.length - 2)}${digits.slice(-2)}`);
}

/** Header values never logged. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-signet-signature"]',
  'req.headers["x-twilio-signature"]',
  'res.headers["set-cookie"]',
];

let processLogger: Pino | null = null;

/**
 * The process's one pino logger: JSON lines on stdout by default; LOG_FORMAT=pretty (or, when unset, a terminal
 * on stdout) for people. Written synchronously, so the last lines before an exit are never lost.
 */
export function pinoFor(config: Pick<SignetConfig, 'logLevel' | 'http'>): Pino {
  if (processLogger) return processLogger;
  const format = config.http.logFormat ?? (process.stdout.isTTY ? 'pretty' : 'json');
  const stream =
    format === 'pretty'
      ? pretty({ sync: true, colorize: Boolean(process.stdout.isTTY), translateTime: 'SYS:HH:MM:ss.l' })
      : pino.destination({ fd: 1, sync: true });
  processLogger = pino(
    {
      level: PINO_LEVEL[config.logLevel],
      base: { pid: process.pid },
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((arg) => (typeof arg === 'string' ? scrubbed(arg) : arg)) as Parameters<typeof method>,
          );
        },
      },
    },
    stream,
  );
  return processLogger;
}

/** Nest's logger on top of pino: `context` as a field, Nest's levels mapped onto pino's. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly pino: Pino) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }
  setLogLevels(_levels: LogLevel[]): void {
    // The level is LOG_LEVEL's, set once on the pino logger.
  }

  /** Nest passes (message, context) or (message, stack, context); a stack stays one field of one line. */
  private write(
    level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal',
    message: unknown,
    rest: unknown[],
  ) {
    const context = rest.length > 0 && typeof rest.at(-1) === 'string' ? (rest.at(-1) as string) : undefined;
    const stack = level === 'error' && rest.length > 1 && typeof rest[0] === 'string' ? rest[0] : undefined;
    const fields: Record<string, unknown> = {};
    if (context) fields.context = context;
    if (stack) fields.stack = scrubbed(stack);
    if (message instanceof Error) {
      fields.err = {
        type: message.name,
        message: scrubbed(message.message),
        stack: scrubbed(message.stack ?? ''),
      };
      this.pino[level](fields, scrubbed(message.message));
    } else if (typeof message === 'object' && message !== null) {
      this.pino[level]({ ...fields, ...message });
    } else {
      this.pino[level](fields, String(message));
    }
  }
}

/** The Nest logger for an API or worker process. */
export function nestLoggerFor(config: Pick<SignetConfig, 'logLevel' | 'http'>): PinoNestLogger {
  return new PinoNestLogger(pinoFor(config));
}
