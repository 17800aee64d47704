import type { ReferenceObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

/**
 * A JSON Schema (2020-12, as OpenAPI 3.1 has it). @nestjs/swagger's own types are OpenAPI 3.0's, which know
 * no `type: [..., 'null']` or `const`.
 */
export type SchemaObject = { [keyword: string]: unknown };
type HeaderObject = { description: string; schema: SchemaObject };
type ParameterObject = HeaderObject & { name: string; in: 'header'; required: false };

/** A reference to one of the schemas below (or a DTO's), for `@ApiOkResponse({ schema: schemaRef('…') })`. */
export function schemaRef(name: string): ReferenceObject & SchemaObject {
  return { $ref: `#/components/schemas/${name}` };
}

const string: SchemaObject = { type: 'string' };
const dateTime: SchemaObject = { type: 'string', format: 'date-time' };
const nullable = (schema: SchemaObject): SchemaObject => ({ oneOf: [schema, { type: 'null' }] });
/** 64-bit revisions and positions travel as decimal strings. */
const bigintString = (description: string): SchemaObject => ({
  type: 'string',
  pattern: '^\\d+$',
  description,
});
const object = (properties: Record<string, SchemaObject>, description?: string): SchemaObject => ({
  type: 'object',
  ...(description ? { description } : {}),
  properties,
  required: Object.keys(properties),
});

/**
 * The one RFC 9457 problem every 4xx/5xx answer carries. Each operation narrows `code` to the codes it can
 * give (`allOf` with this schema), so a generated client can switch on it.
 */
const Problem: SchemaObject = {
  type: 'object',
  description: 'RFC 9457 problem details, with a stable machine-readable `code` (see docs/api.md#refusals).',
  properties: {
    type: {
      type: 'string',
      example: 'urn:signet:problem:code-incorrect',
      description: 'urn:signet:problem:<code>',
    },
    title: { type: 'string', example: 'Bad request' },
    status: { type: 'integer', example: 400 },
    detail: { type: 'string', example: 'That code is not right; 4 attempts left.' },
    code: {
      type: 'string',
      example: 'code-incorrect',
      description: 'Narrowed per operation to the codes it gives.',
    },
    errors: {
      type: 'array',
      description: 'The fields at fault (validation-failed, invalid input, a malformed header or parameter).',
      items: object({ field: string, message: string }),
    },
    attemptsRemaining: {
      type: 'integer',
      minimum: 0,
      description: 'code-incorrect: wrong entries left before the code locks (0: it is locked now).',
    },
    retryAt: {
      ...dateTime,
      description: 'resend-cooldown, code-limit-reached: when a new code can be sent.',
    },
    currentRevision: {
      type: ['string', 'null'],
      pattern: '^\\d+$',
      description: 'precondition-failed, revision-not-found: where the stream stands (null: no stream yet).',
    },
    progressUrl: { type: 'string', description: 'rebuild-in-progress: the running rebuild.' },
    store: { type: 'string', description: 'store-unavailable: which store cannot record anything now.' },
    limit: {
      type: 'string',
      description:
        'rate-limited: the limit that was reached (commandsPerUser, commandsPerAddress, requestsPerAddress).',
    },
  },
  required: ['type', 'title', 'status', 'detail', 'code'],
};

const DependencyStatus: SchemaObject = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['up', 'down'] },
    kind: { type: 'string', example: 'sqlite', description: 'What serves it.' },
    error: { type: 'string', description: 'Why it is down.' },
  },
  required: ['status'],
};

const HistoryItem: SchemaObject = {
  ...object({
    eventId: { type: 'string', format: 'uuid' },
    streamId: {
      type: 'string',
      example: 'securityInfo-alice',
      description: '`securityInfo-<userId>` (the page) or `codeDelivery-<userId>` (what became of a code).',
    },
    type: { type: 'string', example: 'PhoneMethodAdded' },
    data: {
      type: 'object',
      additionalProperties: true,
      description: 'The event body; phone numbers masked unless revealed.',
    },
    revision: bigintString('The revision of the event in its stream.'),
    position: bigintString('Its global log position (also the history cursor).'),
    occurredAt: dateTime,
    recordedAt: dateTime,
    actor: {
      description: 'Who caused it, as recorded (a subject and roles, the worker, a provider), or null.',
    },
    commandType: { type: ['string', 'null'] },
    correlationId: { type: ['string', 'null'] },
    causationId: { type: ['string', 'null'] },
    clientAddress: { type: ['string', 'null'] },
    userAgent: { type: ['string', 'null'] },
    authentication: {
      description:
        'How the actor had signed in ({auth_time, acr, amr} from their token) when a request caused it, or null.',
    },
    reason: {
      type: ['string', 'null'],
      description: 'Why an authentication administrator (help desk) made the change; null otherwise.',
    },
    chain: nullable(object({ previousHash: string, hash: string })),
  }),
  description: 'One recorded event as auditors see it.',
};

const disclosure: SchemaObject = {
  type: 'string',
  enum: ['masked', 'revealed'],
  description: 'Whether phone numbers are shown in full.',
};

const AuditHistoryPage = object(
  {
    userId: string,
    phoneNumbers: disclosure,
    items: { type: 'array', items: schemaRef('AuditHistoryItem') },
    next: {
      type: ['string', 'null'],
      description: 'The next page (also the `Link: rel="next"` header); null on the last one.',
    },
  },
  "One page of a user's history (both of their streams), in log order.",
);

const AuditSecurityInfoAsOf = object(
  {
    userId: string,
    phoneNumbers: disclosure,
    page: schemaRef('SecurityInfoPageResponse'),
    lastChange: nullable(schemaRef('AuditHistoryItem')),
  },
  'The Security info page exactly as it stood, and the event that last changed it (null before the first).',
);

const AccessLogEntry = object({
  accessId: { type: 'string', format: 'uuid' },
  accessedAt: dateTime,
  revision: bigintString('Its revision in the access log (also the cursor).'),
  position: bigintString('Its global position.'),
  accessor: object({
    subject: string,
    roles: { type: 'array', items: string },
    via: { type: 'string', enum: ['api', 'cli'] },
  }),
  action: {
    type: 'string',
    enum: [
      'history',
      'asOf',
      'export',
      'verify',
      'accessLog',
      'personalDataErasure',
      'personalDataExport',
      'securityInfoPage',
    ],
  },
  userId: {
    type: ['string', 'null'],
    description: "Whose history; null when the access covered everyone's.",
  },
  query: { type: 'object', additionalProperties: string, description: 'The parameters as asked.' },
  phoneNumbers: disclosure,
  reason: { type: ['string', 'null'] },
  clientAddress: { type: ['string', 'null'] },
  userAgent: { type: ['string', 'null'] },
  correlationId: { type: ['string', 'null'] },
});

const AccessLogPage = object(
  {
    items: { type: 'array', items: schemaRef('AccessLogEntry') },
    next: { type: ['string', 'null'], description: 'The next page; null on the last one.' },
  },
  'Every audit read and export, oldest first.',
);

const PersonalDataErasure = object(
  {
    userId: string,
    erasedAt: dateTime,
    keysDestroyed: {
      type: 'integer',
      minimum: 0,
      description: 'Data keys destroyed: what they sealed is unreadable for good (backups included).',
    },
    codesCancelled: {
      type: 'array',
      items: string,
      description: 'Codes not yet sent: the worker skips them (`methodGone`), no queued message goes out.',
    },
    revision: bigintString('The Security info revision of PersonalDataErased.'),
    position: bigintString('Its log position: `minPosition` for the page to show the erasure.'),
  },
  "What an erasure did: the person's keys destroyed, PersonalDataErased recorded, queued codes cancelled.",
);

const PersonalDataCopy = object(
  {
    userId: string,
    exportedAt: dateTime,
    page: schemaRef('SecurityInfoPageResponse'),
    history: {
      type: 'array',
      items: schemaRef('AuditHistoryItem'),
      description: 'Everything recorded about the person, oldest first, numbers in full.',
    },
    changesByOthers: {
      type: 'array',
      items: schemaRef('AuditHistoryItem'),
      description: 'The events of the history someone else caused (an administrator, a service, the worker).',
    },
    accesses: {
      type: 'array',
      items: schemaRef('AccessLogEntry'),
      description: 'Who read, exported or erased their data, and when (from the access log).',
    },
  },
  'Everything Signet holds about the signed-in person (GDPR Art. 15 and 20).',
);

const rebuildProgress = {
  state: { type: 'string', enum: ['building', 'swapped', 'failed', 'abandoned'] },
  processedEvents: { type: 'integer', minimum: 0 },
  targetPosition: bigintString('The position the shadow copy is catching up to.'),
  startedAt: dateTime,
  finishedAt: { ...dateTime, type: ['string', 'null'] },
  drift: nullable(
    object({
      position: bigintString('Where both copies were compared.'),
      documents: { type: 'integer', minimum: 0 },
      sampleKeys: { type: 'array', items: string, maxItems: 20 },
    }),
  ),
  error: { type: ['string', 'null'] },
} satisfies Record<string, SchemaObject>;

const RebuildView = object({
  projection: { type: 'string', example: 'securityInfoPage' },
  generation: { type: 'integer' },
  checkpoint: bigintString("The shadow copy's checkpoint."),
  ...rebuildProgress,
  eventsPerSecond: { type: 'number', minimum: 0 },
  etaSeconds: {
    type: ['number', 'null'],
    description: 'Seconds left at the current rate; null when unknown or done.',
  },
});

const ProjectionStatus = object({
  name: { type: 'string', example: 'securityInfoPage' },
  version: { type: 'integer', description: 'The version of the projection code running here.' },
  liveVersion: { type: ['integer', 'null'], description: 'The version that built the live copy.' },
  generation: { type: ['integer', 'null'] },
  state: { type: 'string', enum: ['notStarted', 'caughtUp', 'catchingUp', 'faulted'] },
  checkpoint: bigintString("The live copy's checkpoint."),
  headPosition: bigintString("The log's head."),
  lagEvents: { type: 'integer', minimum: 0 },
  lagEventsCapped: { type: 'boolean' },
  lagSeconds: { type: 'number', minimum: 0 },
  fault: nullable(
    object({
      position: string,
      eventId: string,
      streamId: string,
      eventType: string,
      error: string,
      at: dateTime,
    }),
  ),
  rebuild: nullable(
    object({
      generation: { type: 'integer' },
      checkpoint: bigintString("The shadow copy's checkpoint."),
      ...rebuildProgress,
    }),
  ),
});

/** The `http` provider's delivery report, signed with X-Signet-Signature over the exact bytes. */
const HttpDeliveryReport: SchemaObject = {
  type: 'object',
  description: 'A delivery report from the `http` provider (JSON).',
  properties: {
    reference: { type: 'string', description: 'The reference Signet gave with the message.' },
    messageId: { type: 'string', description: "The provider's id of the message." },
    status: { type: 'string', enum: ['delivered', 'undeliverable'] },
    reason: { type: 'string', maxLength: 200, description: 'Why it was undeliverable.' },
  },
  required: ['reference', 'messageId', 'status'],
  example: { reference: 'c0d3…', messageId: 'msg-42', status: 'delivered' },
};

const TwilioStatusCallback: SchemaObject = {
  type: 'object',
  description:
    "A Twilio status callback (form-encoded), signed with X-Twilio-Signature over the URL it called (which carries Signet's `?ref=`).",
  properties: {
    MessageSid: { type: 'string' },
    MessageStatus: {
      type: 'string',
      description: 'For texts: delivered, undelivered, failed, or an intermediate status.',
    },
    CallSid: { type: 'string' },
    CallStatus: {
      type: 'string',
      description: 'For calls: completed, busy, no-answer, failed, canceled, ...',
    },
    ErrorCode: { type: 'string' },
  },
  additionalProperties: { type: 'string' },
};

/** What Signet POSTs to SMS_HTTP_URL for each code (the generic http provider): the webhook it sends. */
const CodeMessage: SchemaObject = {
  type: 'object',
  description:
    'One text or call to make, signed with SMS_HTTP_SECRET over these exact bytes (X-Signet-Signature). ' +
    'Answer 2xx, optionally with `{"messageId": "…"}`; a 4xx is a permanent refusal, a 5xx or a timeout is retried.',
  properties: {
    to: { type: 'string', pattern: '^\\+[1-9]\\d{6,14}$', description: 'E.164.' },
    channel: { type: 'string', enum: ['sms', 'voice'] },
    body: { type: 'string', description: 'The text to send, or the script to read out (it holds the code).' },
    extension: {
      type: 'string',
      pattern: '^\\d{1,10}$',
      description: 'Digits to dial once the call is answered.',
    },
    codeId: {
      type: 'string',
      description: 'Also the Idempotency-Key: the same code is never to be sent twice.',
    },
    reference: {
      type: 'string',
      description: 'Echo it in the delivery report (POST /v1/webhooks/sms/http).',
    },
  },
  required: ['to', 'channel', 'body', 'codeId', 'reference'],
  additionalProperties: false,
};

/** What Signet POSTs to NOTICE_WEBHOOK_URL for each security notice. */
const SecurityInfoChanged: SchemaObject = {
  type: 'object',
  description:
    "A change to a person's sign-in methods, signed with NOTICE_WEBHOOK_SECRET over these exact bytes.",
  properties: {
    type: { type: 'string', enum: ['security-info.changed'] },
    noticeId: { type: 'string', description: 'Also the Idempotency-Key.' },
    userId: { type: 'string' },
    changes: {
      type: 'array',
      items: { type: 'string', enum: ['methodVerified', 'methodDeleted', 'numberChanged', 'defaultChanged'] },
    },
    changedAt: { type: 'string', format: 'date-time' },
    by: { type: 'string', enum: ['self', 'helpDesk'] },
    administrator: {
      type: ['string', 'null'],
      description: 'The help desk administrator who registered a phone.',
    },
    maskedNumbers: {
      type: 'array',
      items: { type: 'string', pattern: '^\\+\\d{1,3} X+\\d{2}$' },
      description: 'The numbers the change touched, masked ("+1 XXXXXXXX99").',
    },
    link: { type: ['string', 'null'], description: 'NOTICE_LINK_URL: back to the Security info page.' },
  },
  required: ['type', 'noticeId', 'userId', 'changes', 'changedAt', 'by', 'maskedNumbers', 'link'],
  additionalProperties: false,
};

export const EXTRA_SCHEMAS: Record<string, SchemaObject> = {
  Problem,
  CodeMessage,
  SecurityInfoChanged,
  HealthLive: object({ status: { type: 'string', enum: ['ok'] } }),
  HealthReport: object(
    {
      status: { type: 'string', enum: ['ok', 'unavailable'] },
      dependencies: { type: 'object', additionalProperties: DependencyStatus },
    },
    'Each dependency and whether it answers; 503 when any is down.',
  ),
  AuditHistoryItem: HistoryItem,
  AuditHistoryPage,
  AuditSecurityInfoAsOf,
  AccessLogEntry,
  AccessLogPage,
  PersonalDataErasure,
  PersonalDataCopy,
  ProjectionStatusList: object({ projections: { type: 'array', items: schemaRef('ProjectionStatus') } }),
  ProjectionStatus,
  RebuildView,
  HttpDeliveryReport,
  TwilioStatusCallback,
};

/** Response headers, by name; operations refer to them (`#/components/headers/<name>`). */
export const HEADERS: Record<string, HeaderObject> = {
  'X-Correlation-Id': {
    description: "The request's X-Correlation-Id (or a new one), recorded on the events as correlationId.",
    schema: { type: 'string' },
  },
  'X-Request-Id': { description: "The request's X-Request-Id (or a new one).", schema: { type: 'string' } },
  ETag: {
    description: 'The Security info stream revision, quoted (`"3"`): send it back as If-Match.',
    schema: { type: 'string', pattern: '^"\\d+"$', example: '"3"' },
  },
  'Idempotent-Replayed': {
    description: '`true` when this is the kept answer to an earlier request with the same Idempotency-Key.',
    schema: { type: 'string', enum: ['true'] },
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying.',
    schema: { type: 'string', pattern: '^\\d+$' },
  },
  'WWW-Authenticate': {
    description:
      'The Bearer challenge. For step-up-required it is RFC 9470 (error="insufficient_user_authentication", max_age, and acr_values with STEP_UP_ACR).',
    schema: { type: 'string' },
  },
  Location: { description: 'Where to follow what was started.', schema: { type: 'string' } },
  Link: { description: 'The next page, `<…>; rel="next"`.', schema: { type: 'string' } },
  'X-Read-Model-Position': {
    description: "The read model's checkpoint (global position) the page was read at.",
    schema: { type: 'string', pattern: '^\\d+$' },
  },
  'X-Read-Model-Stale': {
    description: '`true` when minPosition was asked for and the read model had not passed it in time.',
    schema: { type: 'string', enum: ['true'] },
  },
  'Cache-Control': { description: 'Never cached.', schema: { type: 'string', enum: ['no-store'] } },
  'RateLimit-Policy': {
    description:
      'The limits that apply to this request (draft-ietf-httpapi-ratelimit-headers-07), e.g. `30;w=60`; present while rate limits are on.',
    schema: { type: 'string' },
  },
  RateLimit: {
    description:
      'What is left of the tightest limit: `limit=30, remaining=29, reset=60`; present while rate limits are on.',
    schema: { type: 'string' },
  },
};

/** Request headers every operation takes, by component name. */
export const PARAMETERS: Record<string, ParameterObject> = {
  'X-Correlation-Id': {
    name: 'X-Correlation-Id',
    in: 'header',
    required: false,
    description:
      'Ties this request to others of one flow; echoed and recorded on the events. Made when absent or not 1-128 of A-Z a-z 0-9 . _ : -.',
    schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
  },
  'X-Request-Id': {
    name: 'X-Request-Id',
    in: 'header',
    required: false,
    description:
      'This request; echoed and recorded as causationId. Made when absent or malformed (as above).',
    schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
  },
  'If-Match': {
    name: 'If-Match',
    in: 'header',
    required: false,
    description:
      'The ETag last seen (`"3"`, or `*`): the command is refused with 412 precondition-failed if the stream moved on.',
    schema: { type: 'string', example: '"3"' },
  },
  'Idempotency-Key': {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'Makes a retry safe: the same key and body get the first answer again (Idempotent-Replayed: true), kept 24 h.',
    schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' },
  },
};
