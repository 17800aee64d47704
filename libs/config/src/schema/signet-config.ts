import { accessSync, constants, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { plainToInstance, Transform } from 'class-transformer';
import { withoutPassword } from '../connection-string';
import { decodeSecret, previousGeneratedSecret, storedSecret } from '../secrets/stored-secrets';
import { ConfigError } from '../startup-errors';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
  validateSync,
  type ValidationError,
} from 'class-validator';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
/** A comma-separated list of country calling codes: `1,44`. */
const CALLING_CODES = /^\s*\d{1,4}(\s*,\s*\d{1,4})*\s*$/;
/** Comma-separated IPv4/IPv6 addresses or CIDRs: `10.0.0.0/8, ::1`. */
const CIDR_LIST = /^\s*[0-9A-Fa-f.:]+(\/\d{1,3})?(\s*,\s*[0-9A-Fa-f.:]+(\/\d{1,3})?)*\s*$/;
/** Comma-separated `acr` values (URIs or names: no spaces, quotes or commas in one). */
const ACR_LIST = /^\s*[\x21\x23-\x2b\x2d-\x5b\x5d-\x7e]+(\s*,\s*[\x21\x23-\x2b\x2d-\x5b\x5d-\x7e]+)*\s*$/;
/** Comma-separated origins: `https://a.example, http://localhost:5173`. */
const ORIGIN_LIST = /^\s*https?:\/\/[^\s,/]+(\s*,\s*https?:\/\/[^\s,/]+)*\s*$/;

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
  @Transform(toInt) @IsInt() @Min(1) @Max(720) PENDING_METHOD_TTL_HOURS = 24;
  /** Wrong sign-in challenge codes one person may enter in any rolling hour before challenges are refused. */
  @Transform(toInt) @IsInt() @Min(1) @Max(100) MAX_FAILED_CHALLENGES_PER_HOUR = 10;

  /** HS256 signing secret (≥ 32 characters). Generated into DATA_DIR when neither it nor a JWKS URL is set. */
  @IsOptional() @IsString() @MinLength(32) JWT_SECRET?: string;
  /** Production: verify tokens against the identity provider's keys instead of a shared secret. */
  @IsOptional() @IsUrl({ require_tld: false, protocols: ['https', 'http'] }) JWT_JWKS_URL?: string;
  @IsOptional() @IsString() JWT_ISSUER?: string;
  @IsOptional() @IsString() JWT_AUDIENCE?: string;
  /** The Security info page signs people in with this OpenID provider (authorization code + PKCE). */
  @IsOptional() @IsUrl({ require_tld: false, protocols: ['https', 'http'] }) OIDC_ISSUER?: string = undefined;
  /** The page's client id at OIDC_ISSUER (a public client: PKCE, no secret). */
  @ValidateIf((e: SignetEnvironment) => e.OIDC_ISSUER !== undefined)
  @IsString()
  @MinLength(1)
  OIDC_CLIENT_ID?: string = undefined;

  /** Derives verification codes (≥ 32 bytes, hex or base64). Generated into DATA_DIR when unset. */
  @IsOptional() @IsString() @MinLength(43) CODE_SECRET?: string;

  /**
   * The master key wrapping every person's data key (≥ 32 bytes, hex or base64). Generated into DATA_DIR when
   * unset; required with MONGO_URL, where the keys are shared by every instance.
   */
  @IsOptional() @IsString() @MinLength(43) DATA_KEY_SECRET?: string;
  /** During a master key rotation: the master key before it, still unwrapping keys not yet re-wrapped. */
  @IsOptional() @IsString() @MinLength(43) DATA_KEY_PREVIOUS_SECRET?: string;

  /** FULL: an acknowledged append survives a power cut. NORMAL: faster, may lose the last commits. */
  @IsIn(['FULL', 'NORMAL']) EVENTSTORE_SQLITE_SYNCHRONOUS: 'FULL' | 'NORMAL' = 'FULL';
  /**
   * inline: commits on the event loop (fastest where an fsync is cheap: local SSDs). thread: on a writer
   * thread, so a slow fsync (network block storage) never holds the loop.
   */
  @IsIn(['inline', 'thread']) EVENTSTORE_SQLITE_WRITER: 'inline' | 'thread' = 'inline';
  /** Selects EventStoreDB instead of the embedded store: `esdb://host:2113?tls=false`, `esdb+discover://...`. */
  @IsOptional()
  @Matches(/^esdb(\+discover)?:\/\/[^\s/?#]+/, {
    message: 'EVENTSTORE_URL must be an EventStoreDB connection string (esdb:// or esdb+discover://)',
  })
  EVENTSTORE_URL?: string = undefined;

  /** Selects MongoDB for the read model instead of the embedded file: `mongodb://host:27017/signet`. */
  @IsOptional()
  @Matches(/^mongodb(\+srv)?:\/\/[^\s/?#]+/, {
    message: 'MONGO_URL must be a MongoDB connection string (mongodb:// or mongodb+srv://)',
  })
  MONGO_URL?: string = undefined;
  /** How long start-up waits for each store (event store, read model, Redis) before giving up, named. */
  @Transform(toInt) @IsInt() @Min(0) @Max(600000) STARTUP_WAIT_MS = 15000;
  /** A projection runner's lease: with several API instances, one runs each projection; another takes over
   *  this long after it stops renewing (it renews every third of it). */
  @Transform(toInt) @IsInt() @Min(1000) @Max(600000) PROJECTION_LEASE_MS = 15000;

  /** How long `GET /v1/me/security-info?minPosition=` waits for the read model to reach a position. */
  @Transform(toInt) @IsInt() @Min(0) @Max(30000) READ_MODEL_MAX_WAIT_MS = 3000;
  /** Most events a projection commits in one read-model transaction while catching up. */
  @Transform(toInt) @IsInt() @Min(1) @Max(10000) PROJECTION_BATCH_SIZE = 500;
  /** The audit's as-of keeps a sealed snapshot of each Security info stream's fold every this many events, so
   *  a first look replays at most as many (0: none, every look replays from the start). */
  @Transform(toInt) @IsInt() @Min(0) @Max(1000000) AS_OF_SNAPSHOT_EVERY = 500;
  /** Threads a projection rebuild folds on, each a part of the people (embedded event store only; 1: the
   *  rebuild's own thread). Unset: min(2, the cores available). */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(64) REBUILD_THREADS?: number;

  /** How long a process's graceful shutdown may take before it gives up and exits 1 (every close is bounded). */
  @Transform(toInt) @IsInt() @Min(1000) @Max(600000) SHUTDOWN_TIMEOUT_MS = 15000;
  /** `npm start`: the first wait before restarting a child that crashed (doubles per crash in the window). */
  @Transform(toInt) @IsInt() @Min(10) @Max(600000) LAUNCHER_RESTART_BACKOFF_MS = 1000;
  /** `npm start`: crashes of one child tolerated within LAUNCHER_RESTART_WINDOW_MS; one more stops everything. */
  @Transform(toInt) @IsInt() @Min(0) @Max(100) LAUNCHER_MAX_RESTARTS = 5;
  @Transform(toInt) @IsInt() @Min(1000) @Max(86400000) LAUNCHER_RESTART_WINDOW_MS = 60000;
  // The HTTP edge: bodies, proxies, tokens, browsers, rate limits, metrics and logs.
  /** Largest request body accepted (after decompression); larger ones get 413. */
  @Transform(toInt) @IsInt() @Min(1024) @Max(10485760) MAX_BODY_BYTES = 16384;
  /** Comma-separated CIDRs (or addresses) of proxies whose X-Forwarded-For is believed; none by default. */
  @IsOptional()
  @Matches(CIDR_LIST, { message: 'TRUSTED_PROXIES must be a comma-separated list of CIDRs' })
  TRUSTED_PROXIES?: string = undefined;
  /** Tokens must carry `exp`; a token living longer than this (exp − iat, or exp − now) gets 401. */
  @Transform(toInt) @IsInt() @Min(60) @Max(31536000) MAX_TOKEN_LIFETIME_SECONDS = 86400;
  /** Step-up (RFC 9470): a change to an account with a verified method needs a sign-in (`auth_time`) this recent. */
  @Transform(toInt) @IsInt() @Min(0) @Max(86400) MAX_AUTH_AGE_SECONDS = 600;
  /** Comma-separated `acr` values a change also needs (or an `amr` showing a second factor); unset: none. */
  @IsOptional()
  @Matches(ACR_LIST, { message: 'STEP_UP_ACR must be a comma-separated list of acr values' })
  STEP_UP_ACR?: string = undefined;
  /** Comma-separated origins allowed by CORS (`https://portal.example.com`); unset: CORS is off. */
  @IsOptional()
  @Matches(ORIGIN_LIST, { message: 'CORS_ORIGINS must be a comma-separated list of origins' })
  CORS_ORIGINS?: string = undefined;
  /** The window every rate limit counts over. */
  @Transform(toInt) @IsInt() @Min(1) @Max(3600) RATE_LIMIT_WINDOW_SECONDS = 60;
  /** Commands (POST/PUT/PATCH/DELETE) one person may send per window; 0: no limit. */
  @Transform(toInt) @IsInt() @Min(0) @Max(100000) RATE_LIMIT_COMMANDS_PER_USER = 30;
  /** Commands one client address may send per window; 0: no limit. */
  @Transform(toInt) @IsInt() @Min(0) @Max(1000000) RATE_LIMIT_COMMANDS_PER_ADDRESS = 120;
  /** Reads and every other request (unauthenticated ones included) per client address per window; 0: no limit. */
  @Transform(toInt) @IsInt() @Min(0) @Max(1000000) RATE_LIMIT_REQUESTS_PER_ADDRESS = 600;
  /** When set, GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`. */
  @IsOptional() @IsString() @MinLength(16) METRICS_TOKEN?: string = undefined;
  /** When set, the worker serves its metrics on this port (GET /metrics). */
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(65535) WORKER_METRICS_PORT?: number = undefined;
  /** `json` (JSON lines) or `pretty` (for people); unset: pretty on a terminal, JSON otherwise. */
  @IsOptional() @IsIn(['json', 'pretty']) LOG_FORMAT?: 'json' | 'pretty' = undefined;

  @IsIn(['error', 'warn', 'log', 'debug', 'verbose']) LOG_LEVEL:
    'error' | 'warn' | 'log' | 'debug' | 'verbose' = 'log';

  // Code dispatch (the worker). Optional ones are initialised to undefined so loadConfig picks them up.
  /** Unset: the worker runs a private redis-server from PATH, data and socket under DATA_DIR/redis. */
  @IsOptional() @IsUrl({ require_tld: false, protocols: ['redis', 'rediss'] }) REDIS_URL?: string = undefined;
  @IsIn(['outbox', 'http', 'twilio']) SMS_PROVIDER: 'outbox' | 'http' | 'twilio' = 'outbox';
  @ValidateIf((e: SignetEnvironment) => e.SMS_PROVIDER === 'http')
  @IsUrl({ require_tld: false, protocols: ['https', 'http'] })
  SMS_HTTP_URL?: string = undefined;
  /** Signs the http provider's requests and checks its delivery reports (HMAC-SHA256). */
  @ValidateIf((e: SignetEnvironment) => e.SMS_PROVIDER === 'http' || e.SMS_HTTP_SECRET !== undefined)
  @IsString()
  @MinLength(32)
  SMS_HTTP_SECRET?: string = undefined;
  @ValidateIf((e: SignetEnvironment) => e.SMS_PROVIDER === 'twilio') @IsString() TWILIO_ACCOUNT_SID?: string =
    undefined;
  @ValidateIf((e: SignetEnvironment) => e.SMS_PROVIDER === 'twilio') @IsString() TWILIO_AUTH_TOKEN?: string =
    undefined;
  /** The sending number (E.164) or messaging service. */
  @ValidateIf((e: SignetEnvironment) => e.SMS_PROVIDER === 'twilio') @IsString() TWILIO_FROM?: string =
    undefined;
  @IsUrl({ require_tld: false, protocols: ['https', 'http'] }) TWILIO_BASE_URL = 'https://api.twilio.com';
  /** The API's public origin, for provider delivery reports (Twilio status callbacks and their signature). */
  @IsOptional() @IsUrl({ require_tld: false, protocols: ['https', 'http'] }) WEBHOOK_BASE_URL?: string =
    undefined;
  @Transform(toInt) @IsInt() @Min(100) @Max(60000) SMS_PROVIDER_TIMEOUT_MS = 10000;
  /** The origin in the message's last line (`@<domain> #<code>`), which browsers use to autofill the code. */
  @IsString() @MinLength(1) OTP_DOMAIN = 'localhost';
  /**
   * Jobs one worker runs at once. A job waits mostly on the provider (and on its outcome's commit): to reach the
   * default 50 messages/s with a provider answering in 400 ms takes 20 in flight (Little's law).
   */
  @Transform(toInt) @IsInt() @Min(1) @Max(100) WORKER_CONCURRENCY = 20;
  /** When set, the worker serves GET /health/live and /health/ready on this port (0: any free port). */
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(65535) WORKER_HEALTH_PORT?: number = undefined;
  @Transform(toInt) @IsInt() @Min(1) @Max(20) DISPATCH_MAX_ATTEMPTS = 5;
  /** How long a job held by a worker that died waits before another worker takes it over. */
  @Transform(toInt) @IsInt() @Min(1000) @Max(600000) DISPATCH_STALLED_AFTER_MS = 30000;
  /** The first retry's delay; each next one doubles, with jitter. */
  @Transform(toInt) @IsInt() @Min(1) @Max(600000) DISPATCH_BACKOFF_MS = 2000;
  @Transform(toInt) @IsInt() @Min(1) @Max(1000) DISPATCH_MAX_PER_DESTINATION_PER_HOUR = 5;
  @Transform(toInt) @IsInt() @Min(1) @Max(1000) DISPATCH_MAX_PER_DESTINATION_PER_DAY = 10;
  @Transform(toInt) @IsInt() @Min(1) @Max(100000) DISPATCH_MAX_PER_SECOND = 50;
  /** Comma-separated calling codes (`1,44`); when set, only these countries get messages. */
  @IsOptional() @Matches(CALLING_CODES) DISPATCH_ALLOWED_CALLING_CODES?: string = undefined;
  /** Comma-separated calling codes never sent to (checked after the allow list). */
  @IsOptional() @Matches(CALLING_CODES) DISPATCH_DENIED_CALLING_CODES?: string = undefined;

  // Security notices (the worker): a change to someone's methods is told to them.
  /** `off`: no security notices at all. */
  @IsIn(['on', 'off']) NOTICES: 'on' | 'off' = 'on';
  /** Where the signed `security-info.changed` webhook goes (for hosts that mail their users); unset: none. */
  @IsOptional() @IsUrl({ require_tld: false, protocols: ['https', 'http'] }) NOTICE_WEBHOOK_URL?: string =
    undefined;
  /** Signs the notice webhook as the http provider signs its messages (HMAC-SHA256); needed with its URL. */
  @ValidateIf((e: SignetEnvironment) => e.NOTICE_WEBHOOK_URL !== undefined)
  @IsString()
  @MinLength(32)
  NOTICE_WEBHOOK_SECRET?: string = undefined;
  /** The link back a notice carries (the Security info page); unset: the notice says to call the help desk. */
  @IsOptional() @IsUrl({ require_tld: false, protocols: ['https', 'http'] }) NOTICE_LINK_URL?: string =
    undefined;
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
    pendingMethodTtlHours: number;
    /** Sign-in challenges: wrong codes one person may enter in any rolling hour. */
    maxFailedChallengesPerHour: number;
  };
  /** Step-up (RFC 9470): what a change to an account with a verified method asks of the sign-in behind it. */
  stepUp: { maxAuthAgeSeconds: number; acrValues: string[] };
  jwt:
    | { mode: 'secret'; secret: Uint8Array; issuer?: string; audience?: string }
    | { mode: 'jwks'; jwksUrl: string; issuer?: string; audience?: string };
  codeSecret: Buffer;
  /** Per-person data keys (libs/personal-data): their master keys and where the keys are kept. */
  personalData: PersonalDataConfig;
  /** Which secrets were generated into DATA_DIR rather than configured (worth a warning in production). */
  generatedSecrets: string[];
  /** `url` set: EventStoreDB (EVENTSTORE_URL); otherwise the embedded SQLite file. */
  eventStore: {
    filename: string;
    synchronous: 'FULL' | 'NORMAL';
    writer?: 'inline' | 'thread';
    url?: string;
  };
  /** The read side: projections into DATA_DIR/read-model.sqlite, or MongoDB when `url` (MONGO_URL) is set. */
  readModel: {
    filename: string;
    maxWaitMs: number;
    batchSize: number;
    url?: string;
    leaseMs: number;
    asOfSnapshotEvery: number;
    /** REBUILD_THREADS: threads a rebuild folds on (1: its own only). */
    rebuildThreads: number;
  };
  /** How long start-up waits for an unreachable store before stopping, naming it (STARTUP_WAIT_MS). */
  startupWaitMs: number;
  /** How long a graceful shutdown may take (SHUTDOWN_TIMEOUT_MS). */
  shutdownTimeoutMs: number;
  /** `npm start`: restarting a child that crashed. */
  launcher: { restartBackoffMs: number; maxRestarts: number; restartWindowMs: number };
  logLevel: SignetEnvironment['LOG_LEVEL'];
  dispatch: DispatchConfig;
  http: HttpEdgeConfig;
  /** The Security info page: how it signs people in. */
  web: WebPageConfig;
}

/**
 * `oidc` (OIDC_ISSUER): authorization code + PKCE with the provider. Otherwise, on the embedded default (the
 * JWT secret Signet generated itself), the development sign-in form; with a JWT_SECRET you set (your own
 * services mint the tokens) or JWT_JWKS_URL, and no OIDC_ISSUER, no way to sign in on the page.
 */
export interface WebPageConfig {
  oidc?: { issuer: string; clientId: string };
  /**
   * POST /v1/dev/sign-in mints a token for any user name: only on the embedded default, where Signet generated
   * the signing secret itself. A JWT_SECRET that was set means tokens come from elsewhere (a gateway, the
   * docker-compose deployment): a public route minting them would hand out every account.
   */
  developmentSignIn: boolean;
}

export interface PersonalDataConfig {
  /** Wraps new data keys (DATA_KEY_SECRET, or the generated `data-key-secret.key`). */
  masterKey: Buffer;
  /** Earlier master keys still unwrapping keys not yet re-wrapped (DATA_KEY_PREVIOUS_SECRET, or the
   *  generated `data-key-secret.previous.key` a rotation leaves). */
  previousMasterKeys: Buffer[];
  /** Whether the master key was generated into DATA_DIR (a rotation then generates the next one). */
  generated: boolean;
  /** `DATA_DIR/keys.sqlite`, or the `dataKeys` collection when `url` (MONGO_URL) is set. */
  keyStore: { filename: string; url?: string };
}

/** The HTTP edge of the API (and the worker's metrics and logs). */
export interface HttpEdgeConfig {
  maxBodyBytes: number;
  /** CIDRs or addresses; empty: X-Forwarded-For is never believed. */
  trustedProxies: string[];
  maxTokenLifetimeSeconds: number;
  /** Empty: CORS is off. */
  corsOrigins: string[];
  rateLimits: {
    windowSeconds: number;
    commandsPerUser: number;
    commandsPerAddress: number;
    requestsPerAddress: number;
  };
  metricsToken?: string;
  workerMetricsPort?: number;
  /** Unset: pretty on a terminal, JSON otherwise. */
  logFormat?: 'json' | 'pretty';
}

/** What the code dispatcher and its worker need (see libs/messaging). */
export interface DispatchConfig {
  /** A redis:// URL, or the private server's unix socket path (see `privateRedis`). */
  redisUrl: string;
  /** Set when REDIS_URL is not: the worker starts this redis-server itself and stops it on exit. */
  privateRedis: { dir: string; socket: string } | null;
  provider:
    | { name: 'outbox'; filename: string }
    | { name: 'http'; url: string; secret: string; timeoutMs: number }
    | {
        name: 'twilio';
        accountSid: string;
        authToken: string;
        from: string;
        baseUrl: string;
        timeoutMs: number;
      };
  /** Checks the http provider's delivery reports; set whenever SMS_HTTP_SECRET is. */
  httpSecret?: string;
  /** Checks Twilio's delivery reports; set whenever TWILIO_AUTH_TOKEN is. */
  twilioAuthToken?: string;
  webhookBaseUrl?: string;
  otpDomain: string;
  concurrency: number;
  /** WORKER_HEALTH_PORT: where the worker answers health probes; null: it serves none. */
  healthPort: number | null;
  maxAttempts: number;
  backoffMs: number;
  stalledAfterMs: number;
  limits: {
    perDestinationPerHour: number;
    perDestinationPerDay: number;
    perSecond: number;
    /** Calling codes without '+'; empty means every country. */
    allowedCallingCodes: string[];
    deniedCallingCodes: string[];
  };
  /** Security notices: off with NOTICES=off; the signed webhook and the link back when configured. */
  notices: {
    enabled: boolean;
    webhook: { url: string; secret: string; timeoutMs: number } | null;
    linkUrl: string | null;
  };
}

/** Reads and validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): SignetConfig {
  const known = Object.keys(new SignetEnvironment());
  const given = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => value !== undefined && value !== '' && known.includes(key)),
  );
  // JWT_* and CODE_SECRET are optional and have no default instance value, so pick them up explicitly.
  for (const key of [
    'JWT_SECRET',
    'JWT_JWKS_URL',
    'JWT_ISSUER',
    'JWT_AUDIENCE',
    'CODE_SECRET',
    'DATA_KEY_SECRET',
    'DATA_KEY_PREVIOUS_SECRET',
  ]) {
    if (env[key]) given[key] = env[key];
  }
  const vars = plainToInstance(SignetEnvironment, given);
  const errors = validateSync(vars, { forbidUnknownValues: false });
  if (errors.length > 0) throw new ConfigError(`Invalid configuration:\n${describe(errors, env)}`);

  const dataDir = resolve(vars.DATA_DIR);
  usableDataDir(dataDir);
  const generatedSecrets: string[] = [];
  const stored = (name: string, bytes: number): Buffer => {
    generatedSecrets.push(name);
    try {
      return storedSecret(dataDir, name, bytes);
    } catch (error) {
      throw new ConfigError(
        `Invalid configuration:\n- DATA_DIR=${JSON.stringify(dataDir)}: cannot keep the generated ${name} there ` +
          `(${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
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

  const personalData = personalDataConfig(vars, dataDir, stored);

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
      pendingMethodTtlHours: vars.PENDING_METHOD_TTL_HOURS,
      maxFailedChallengesPerHour: vars.MAX_FAILED_CHALLENGES_PER_HOUR,
    },
    stepUp: { maxAuthAgeSeconds: vars.MAX_AUTH_AGE_SECONDS, acrValues: list(vars.STEP_UP_ACR) },
    jwt,
    codeSecret,
    personalData,
    generatedSecrets,
    eventStore: {
      filename: join(dataDir, 'events.sqlite'),
      synchronous: vars.EVENTSTORE_SQLITE_SYNCHRONOUS,
      writer: vars.EVENTSTORE_SQLITE_WRITER,
      url: vars.EVENTSTORE_URL,
    },
    readModel: {
      filename: join(dataDir, 'read-model.sqlite'),
      maxWaitMs: vars.READ_MODEL_MAX_WAIT_MS,
      batchSize: vars.PROJECTION_BATCH_SIZE,
      url: vars.MONGO_URL,
      leaseMs: vars.PROJECTION_LEASE_MS,
      asOfSnapshotEvery: vars.AS_OF_SNAPSHOT_EVERY,
      rebuildThreads: vars.REBUILD_THREADS ?? Math.min(2, availableParallelism()),
    },
    startupWaitMs: vars.STARTUP_WAIT_MS,
    shutdownTimeoutMs: vars.SHUTDOWN_TIMEOUT_MS,
    launcher: {
      restartBackoffMs: vars.LAUNCHER_RESTART_BACKOFF_MS,
      maxRestarts: vars.LAUNCHER_MAX_RESTARTS,
      restartWindowMs: vars.LAUNCHER_RESTART_WINDOW_MS,
    },
    logLevel: vars.LOG_LEVEL,
    dispatch: dispatchConfig(vars, dataDir),
    web: {
      oidc: vars.OIDC_ISSUER ? { issuer: vars.OIDC_ISSUER, clientId: vars.OIDC_CLIENT_ID! } : undefined,
      developmentSignIn:
        jwt.mode === 'secret' && generatedSecrets.includes('JWT_SECRET') && !vars.OIDC_ISSUER,
    },
    http: {
      maxBodyBytes: vars.MAX_BODY_BYTES,
      trustedProxies: list(vars.TRUSTED_PROXIES),
      maxTokenLifetimeSeconds: vars.MAX_TOKEN_LIFETIME_SECONDS,
      corsOrigins: list(vars.CORS_ORIGINS),
      rateLimits: {
        windowSeconds: vars.RATE_LIMIT_WINDOW_SECONDS,
        commandsPerUser: vars.RATE_LIMIT_COMMANDS_PER_USER,
        commandsPerAddress: vars.RATE_LIMIT_COMMANDS_PER_ADDRESS,
        requestsPerAddress: vars.RATE_LIMIT_REQUESTS_PER_ADDRESS,
      },
      metricsToken: vars.METRICS_TOKEN,
      workerMetricsPort: vars.WORKER_METRICS_PORT,
      logFormat: vars.LOG_FORMAT,
    },
  };
}

function personalDataConfig(
  vars: SignetEnvironment,
  dataDir: string,
  stored: (name: string, bytes: number) => Buffer,
): PersonalDataConfig {
  const keyStore = { filename: join(dataDir, 'keys.sqlite'), url: vars.MONGO_URL };
  const given = (name: 'DATA_KEY_SECRET' | 'DATA_KEY_PREVIOUS_SECRET'): Buffer | undefined => {
    const value = vars[name];
    if (value === undefined) return undefined;
    const secret = decodeSecret(value);
    if (secret.length !== 32) {
      throw new ConfigError(`Invalid configuration:\n- ${name} must decode to 32 bytes (hex or base64)`);
    }
    return secret;
  };
  const previous = given('DATA_KEY_PREVIOUS_SECRET');
  const configured = given('DATA_KEY_SECRET');
  if (configured) {
    return {
      masterKey: configured,
      previousMasterKeys: previous ? [previous] : [],
      generated: false,
      keyStore,
    };
  }
  if (vars.MONGO_URL) {
    throw new ConfigError(
      'Invalid configuration:\n- DATA_KEY_SECRET is required with MONGO_URL: every instance must share the ' +
        'master key of the data keys kept there',
    );
  }
  const rotatedOut = previousGeneratedSecret(dataDir, 'DATA_KEY_SECRET');
  return {
    masterKey: stored('DATA_KEY_SECRET', 32),
    previousMasterKeys: [previous, rotatedOut].filter((key): key is Buffer => key !== undefined),
    generated: true,
    keyStore,
  };
}

/** DATA_DIR must exist (it is made) and be writable: said in one line, never with a stack. */
function usableDataDir(dataDir: string): void {
  try {
    // Created private to its owner: the stores in it hold personal data (an existing one is left as it is).
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    accessSync(dataDir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError(
      `Invalid configuration:\n- DATA_DIR=${JSON.stringify(dataDir)}: not a writable directory (${code})`,
    );
  }
}

function list(value?: string): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function dispatchConfig(vars: SignetEnvironment, dataDir: string): DispatchConfig {
  const timeoutMs = vars.SMS_PROVIDER_TIMEOUT_MS;
  const provider: DispatchConfig['provider'] =
    vars.SMS_PROVIDER === 'http'
      ? { name: 'http', url: vars.SMS_HTTP_URL!, secret: vars.SMS_HTTP_SECRET!, timeoutMs }
      : vars.SMS_PROVIDER === 'twilio'
        ? {
            name: 'twilio',
            accountSid: vars.TWILIO_ACCOUNT_SID!,
            authToken: vars.TWILIO_AUTH_TOKEN!,
            from: vars.TWILIO_FROM!,
            baseUrl: vars.TWILIO_BASE_URL.replace(/\/+$/, ''),
            timeoutMs,
          }
        : { name: 'outbox', filename: join(dataDir, 'outbox.jsonl') };
  const callingCodes = (list?: string) =>
    (list ?? '')
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean);
  return {
    redisUrl: vars.REDIS_URL ?? join(dataDir, 'redis', 'redis.sock'),
    privateRedis: vars.REDIS_URL
      ? null
      : { dir: join(dataDir, 'redis'), socket: join(dataDir, 'redis', 'redis.sock') },
    provider,
    httpSecret: vars.SMS_HTTP_SECRET,
    twilioAuthToken: vars.TWILIO_AUTH_TOKEN,
    webhookBaseUrl: vars.WEBHOOK_BASE_URL?.replace(/\/+$/, ''),
    otpDomain: vars.OTP_DOMAIN,
    concurrency: vars.WORKER_CONCURRENCY,
    healthPort: vars.WORKER_HEALTH_PORT ?? null,
    maxAttempts: vars.DISPATCH_MAX_ATTEMPTS,
    backoffMs: vars.DISPATCH_BACKOFF_MS,
    stalledAfterMs: vars.DISPATCH_STALLED_AFTER_MS,
    limits: {
      perDestinationPerHour: vars.DISPATCH_MAX_PER_DESTINATION_PER_HOUR,
      perDestinationPerDay: vars.DISPATCH_MAX_PER_DESTINATION_PER_DAY,
      perSecond: vars.DISPATCH_MAX_PER_SECOND,
      allowedCallingCodes: callingCodes(vars.DISPATCH_ALLOWED_CALLING_CODES),
      deniedCallingCodes: callingCodes(vars.DISPATCH_DENIED_CALLING_CODES),
    },
    notices: {
      enabled: vars.NOTICES === 'on',
      webhook: vars.NOTICE_WEBHOOK_URL
        ? { url: vars.NOTICE_WEBHOOK_URL, secret: vars.NOTICE_WEBHOOK_SECRET!, timeoutMs }
        : null,
      linkUrl: vars.NOTICE_LINK_URL ?? null,
    },
  };
}

function describe(errors: ValidationError[], env: NodeJS.ProcessEnv): string {
  return errors
    .map((e) => {
      const value = env[e.property];
      const shown = /SECRET|TOKEN/.test(e.property)
        ? '(hidden)'
        : // A connection string's credentials are never echoed.
          JSON.stringify(value === undefined ? value : withoutPassword(value));
      return `- ${e.property}=${shown}: ${Object.values(e.constraints ?? {}).join('; ')}`;
    })
    .join('\n');
}
