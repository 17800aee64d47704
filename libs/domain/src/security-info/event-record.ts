import { SECURITY_INFO_SCHEMA_VERSION, type SecurityInfoEvent } from './events';

/** Who and what caused an event, recorded beside it so auditors can answer "who changed it, from where". */
export interface EventOrigin {
  actor: { subject: string; roles: string[] };
  /** The command (or system action: `DispatchCode`, `ReportDelivery`) that decided the event. */
  commandType: string;
  correlationId: string | null;
  causationId: string | null;
  clientAddress: string | null;
  userAgent: string | null;
  /**
   * How the actor had signed in, as their token said (`auth_time` in Unix seconds, `acr`, `amr`), so an
   * auditor sees how strongly a change was asked for; absent for system actions.
   */
  authentication?: { auth_time: number | null; acr: string | null; amr: string[] };
  /** Why an administrator (help desk) made the change, as they gave it; absent for a person's own change. */
  reason?: string;
}

/** A Security info event as it is written to its stream: an id, and metadata saying when and why. */
export interface SecurityInfoRecord<Type extends string = SecurityInfoEvent['type']> {
  id: string;
  type: Type;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

/**
 * The one envelope every Security info event is written in, whoever writes it (the command side, the
 * dispatcher, delivery reports), and the authentication methods policy's events too: the same metadata keys,
 * so history, as-of and exports read them alike.
 */
export function securityInfoRecord<Event extends { type: string; data: object } = SecurityInfoEvent>(
  event: Event,
  id: string,
  occurredAt: Date | string,
  origin: EventOrigin,
): SecurityInfoRecord<Event['type']> {
  return {
    id,
    type: event.type,
    data: event.data as unknown as Record<string, unknown>,
    metadata: {
      eventId: id,
      occurredAt: typeof occurredAt === 'string' ? occurredAt : occurredAt.toISOString(),
      actor: origin.actor,
      commandType: origin.commandType,
      correlationId: origin.correlationId,
      causationId: origin.causationId,
      clientAddress: origin.clientAddress,
      userAgent: origin.userAgent,
      ...(origin.authentication ? { authentication: origin.authentication } : {}),
      ...(origin.reason ? { reason: origin.reason } : {}),
      schemaVersion: SECURITY_INFO_SCHEMA_VERSION,
    },
  };
}
