import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Max,
  Min,
  MinLength,
  validateSync,
  type ValidationError,
} from 'class-validator';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

/** The environment variables Signet reads, with their defaults. Validated once at start-up. */
export class SignetEnvironment {
  @Transform(toInt) @IsInt() @Min(0) @Max(65535) PORT = 3000;
  @IsString() HOST = '0.0.0.0';
  @IsString() @MinLength(1) DATA_DIR = './data';

  @Transform(toInt) @IsInt() @Min(30) @Max(86400) CODE_TTL_SECONDS = 600;
  @Transform(toInt) @IsInt() @Min(0) @Max(3600) RESEND_COOLDOWN_SECONDS = 60;
  @Transform(toInt) @IsInt() @Min(1) @Max(20) MAX_VERIFY_ATTEMPTS = 5;
  @Transform(toInt) @IsInt() @Min(1) @Max(20) MAX_CODES_PER_HOUR = 5;
  @Transform(toInt) @IsInt() @Min(1) @Max(50) MAX_CODES_PER_ACCOUNT_PER_HOUR = 10;

  /** HS256 signing secret (≥ 32 characters). Generated into DATA_DIR when neither it nor a JWKS URL is set. */
  @IsOptional() @IsString() @MinLength(32) JWT_SECRET?: string;
  /** Production: verify tokens against the identity provider's keys instead of a shared secret. */
  @IsOptional() @IsUrl({ require_tld: false, protocols: ['https', 'http'] }) JWT_JWKS_URL?: string;
  @IsOptional() @IsString() JWT_ISSUER?: string;
  @IsOptional() @IsString() JWT_AUDIENCE?: string;

  /** Derives verification codes (≥ 32 bytes, hex or base64). Generated into DATA_DIR when unset. */
  @IsOptional() @IsString() @MinLength(43) CODE_SECRET?: string;

  /** FULL: an acknowledged append survives a power cut. NORMAL: faster, may lose the last commits. */
  @IsIn(['FULL', 'NORMAL']) EVENTSTORE_SQLITE_SYNCHRONOUS: 'FULL' | 'NORMAL' = 'FULL';

  @IsIn(['error', 'warn', 'log', 'debug', 'verbose']) LOG_LEVEL:
    'error' | 'warn' | 'log' | 'debug' | 'verbose' = 'log';
}

export interface SignetConfig {
  port: number;
  host: string;
  dataDir: string;
  policy: {
    codeTtlSeconds: number;
    resendCooldownSeconds: number;
    maxVerifyAttempts: number;
    maxCodesPerHour: number;
    maxCodesPerAccountPerHour: number;
  };
  jwt:
    | { mode: 'secret'; secret: Uint8Array; issuer?: string; audience?: string }
    | { mode: 'jwks'; jwksUrl: string; issuer?: string; audience?: string };
  codeSecret: Buffer;
  /** Which secrets were generated into DATA_DIR rather than configured (worth a warning in production). */
  generatedSecrets: string[];
  eventStore: { filename: string; synchronous: 'FULL' | 'NORMAL' };
  logLevel: SignetEnvironment['LOG_LEVEL'];
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads and validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): SignetConfig {
  const known = Object.keys(new SignetEnvironment());
  const given = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => value !== undefined && value !== '' && known.includes(key)),
  );
  // JWT_* and CODE_SECRET are optional and have no default instance value, so pick them up explicitly.
  for (const key of ['JWT_SECRET', 'JWT_JWKS_URL', 'JWT_ISSUER', 'JWT_AUDIENCE', 'CODE_SECRET']) {
    if (env[key]) given[key] = env[key];
  }
  const vars = plainToInstance(SignetEnvironment, given);
  const errors = validateSync(vars, { forbidUnknownValues: false });
  if (errors.length > 0) throw new ConfigError(`Invalid configuration:\n${describe(errors, env)}`);

  const dataDir = resolve(vars.DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  const generatedSecrets: string[] = [];
  const stored = (name: string, bytes: number): Buffer => {
    generatedSecrets.push(name);
    return storedSecret(dataDir, name, bytes);
  };

  let codeSecret: Buffer;
  if (vars.CODE_SECRET) {
    codeSecret = decodeSecret(vars.CODE_SECRET);
    if (codeSecret.length < 32)
      throw new ConfigError(
        'Invalid configuration:\n- CODE_SECRET must decode to at least 32 bytes (hex or base64)',
      );
  } else {
    codeSecret = stored('CODE_SECRET', 32);
  }

  const jwt: SignetConfig['jwt'] = vars.JWT_JWKS_URL
    ? { mode: 'jwks', jwksUrl: vars.JWT_JWKS_URL, issuer: vars.JWT_ISSUER, audience: vars.JWT_AUDIENCE }
    : {
        mode: 'secret',
        secret: vars.JWT_SECRET ? new TextEncoder().encode(vars.JWT_SECRET) : stored('JWT_SECRET', 32),
        issuer: vars.JWT_ISSUER,
        audience: vars.JWT_AUDIENCE,
      };

  return {
    port: vars.PORT,
    host: vars.HOST,
    dataDir,
    policy: {
      codeTtlSeconds: vars.CODE_TTL_SECONDS,
      resendCooldownSeconds: vars.RESEND_COOLDOWN_SECONDS,
      maxVerifyAttempts: vars.MAX_VERIFY_ATTEMPTS,
      maxCodesPerHour: vars.MAX_CODES_PER_HOUR,
      maxCodesPerAccountPerHour: vars.MAX_CODES_PER_ACCOUNT_PER_HOUR,
    },
    jwt,
    codeSecret,
    generatedSecrets,
    eventStore: { filename: join(dataDir, 'events.sqlite'), synchronous: vars.EVENTSTORE_SQLITE_SYNCHRONOUS },
    logLevel: vars.LOG_LEVEL,
  };
}

function describe(errors: ValidationError[], env: NodeJS.ProcessEnv): string {
  return errors
    .map((e) => {
      const shown = /SECRET/.test(e.property) ? '(hidden)' : JSON.stringify(env[e.property]);
      return `- ${e.property}=${shown}: ${Object.values(e.constraints ?? {}).join('; ')}`;
    })
    .join('\n');
}

function decodeSecret(value: string): Buffer {
  return /^[0-9a-fA-F]+$/.test(value) && value.length % 2 === 0
    ? Buffer.from(value, 'hex')
    : Buffer.from(value, 'base64');
}

/**
 * The embedded default must work with no configuration, yet codes and tokens must survive a restart and be
 * shared by the API and the CLI: so a generated secret is kept in DATA_DIR, readable by its owner only.
 */
function storedSecret(dataDir: string, name: string, bytes: number): Buffer {
  const file = join(dataDir, `${name.toLowerCase().replace(/_/g, '-')}.key`);
  if (!existsSync(file)) {
    // Written aside then linked into place, so a concurrent reader never sees a half-written key.
    const draft = `${file}.${process.pid}.tmp`;
    writeFileSync(draft, randomBytes(bytes).toString('hex'), { mode: 0o600 });
    try {
      linkSync(draft, file);
    } catch (error) {
      // Another process (the CLI, a second API) created it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(draft);
    }
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
}
