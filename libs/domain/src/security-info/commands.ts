import type { DeliveryMethod, PhoneType } from './phone-method';
import type { CodeCheck, SecurityInfoPolicy } from './policy';
import type { AuthenticationContext, StepUpRule } from './step-up';
import type { MethodsPolicy } from '../methods-policy/methods-policy';

/**
 * What a person asks of their Security info page, as it arrives from the shell (an HTTP body, a CLI line):
 * no time, no ids. `securityInfoCommand` turns a request into the command the decider takes.
 */
export type SecurityInfoRequest =
  | {
      type: 'AddPhoneMethod';
      phoneNumber: string;
      phoneType: PhoneType;
      deliveryMethod: DeliveryMethod;
      /** ISO 3166-1 alpha-2, needed when the number is written nationally: "(425) 555-0100" + "US". */
      countryCode?: string;
      /** Office numbers only. May also be written into the number ("... ext. 123"). */
      extension?: string;
    }
  | {
      type: 'ResendCode';
      methodId: string;
      /** Switch channel, e.g. "Call me" instead of a text that never arrived. */
      deliveryMethod?: DeliveryMethod;
    }
  | { type: 'VerifyPhone'; methodId: string; code: string }
  | { type: 'DeleteMethod'; methodId: string }
  | { type: 'ChangeDefault'; methodId: string; deliveryMethod: DeliveryMethod }
  | {
      /** Graph's update of a phone method: the new number must be proven before the method uses it. */
      type: 'ChangePhoneNumber';
      methodId: string;
      phoneNumber: string;
      countryCode?: string;
      extension?: string;
      /** How the new number gets its code; the method's own channel when not given. */
      deliveryMethod?: DeliveryMethod;
    }
  | { type: 'CancelPhoneNumberChange'; methodId: string }
  | {
      /** An authentication administrator registers a phone for the person: verified without a code (Graph). */
      type: 'RegisterPhoneMethod';
      phoneNumber: string;
      phoneType: PhoneType;
      deliveryMethod: DeliveryMethod;
      countryCode?: string;
      extension?: string;
    };

/** Everything from outside a decision: when it is made, under which rules, and how a typed code is checked. */
export interface SecurityInfoCommandMetadata {
  now: Date;
  policy: SecurityInfoPolicy;
  codes: CodeCheck;
  /** How strongly the person behind the command signed in (null: the token says nothing of it). */
  authentication: AuthenticationContext | null;
  /** What a change to an account with a verified method asks of that sign-in. */
  stepUp: StepUpRule;
  /**
   * Set when an authentication administrator (help desk) makes the change on the person's behalf: their user
   * id. Their own sign-in always needs step-up; what they do is recorded as theirs.
   */
  administrator?: string;
  /** The authentication methods policy in force; absent: everything allowed. */
  methodsPolicy?: MethodsPolicy;
}

type RequestOf<T extends SecurityInfoRequest['type']> = Omit<
  Extract<SecurityInfoRequest, { type: T }>,
  'type'
>;

interface Command<Type extends string, Data> {
  type: Type;
  data: Data;
  metadata: SecurityInfoCommandMetadata;
}

/** The ids of what the command may create travel in it, so that deciding twice decides the same. */
export type AddPhoneMethod = Command<
  'AddPhoneMethod',
  RequestOf<'AddPhoneMethod'> & { methodId: string; codeId: string }
>;
export type ResendCode = Command<'ResendCode', RequestOf<'ResendCode'> & { codeId: string }>;
export type VerifyPhone = Command<'VerifyPhone', RequestOf<'VerifyPhone'>>;
export type DeleteMethod = Command<'DeleteMethod', RequestOf<'DeleteMethod'>>;
export type ChangeDefault = Command<'ChangeDefault', RequestOf<'ChangeDefault'>>;
export type ChangePhoneNumber = Command<
  'ChangePhoneNumber',
  RequestOf<'ChangePhoneNumber'> & { codeId: string }
>;
export type CancelPhoneNumberChange = Command<
  'CancelPhoneNumberChange',
  RequestOf<'CancelPhoneNumberChange'>
>;

/**
 * A privacy officer erases the person's personal data (their key is destroyed by the shell). Decided on its
 * time alone: no rule of the account, and no step-up of the person's, stands in its way.
 */
export interface ErasePersonalData {
  type: 'ErasePersonalData';
  data: { reason: string; by: string };
  metadata: Pick<SecurityInfoCommandMetadata, 'now'> & Partial<SecurityInfoCommandMetadata>;
}

export type RegisterPhoneMethod = Command<
  'RegisterPhoneMethod',
  RequestOf<'RegisterPhoneMethod'> & { methodId: string }
>;

export type SecurityInfoCommand =
  | ErasePersonalData
  | RegisterPhoneMethod
  | AddPhoneMethod
  | ResendCode
  | VerifyPhone
  | DeleteMethod
  | ChangeDefault
  | ChangePhoneNumber
  | CancelPhoneNumberChange;

/** The command for a request: the shell's clock, rules and id source, given once here for every command. */
export function securityInfoCommand(
  request: SecurityInfoRequest,
  context: SecurityInfoCommandMetadata & { newId(): string },
): SecurityInfoCommand {
  const { newId, ...metadata } = context;
  switch (request.type) {
    case 'AddPhoneMethod': {
      const { type, ...fields } = request;
      return { type, data: { ...fields, methodId: newId(), codeId: newId() }, metadata };
    }
    case 'ResendCode': {
      const { type, ...fields } = request;
      return { type, data: { ...fields, codeId: newId() }, metadata };
    }
    case 'VerifyPhone': {
      const { type, ...data } = request;
      return { type, data, metadata };
    }
    case 'DeleteMethod': {
      const { type, ...data } = request;
      return { type, data, metadata };
    }
    case 'ChangeDefault': {
      const { type, ...data } = request;
      return { type, data, metadata };
    }
    case 'ChangePhoneNumber': {
      const { type, ...fields } = request;
      return { type, data: { ...fields, codeId: newId() }, metadata };
    }
    case 'CancelPhoneNumberChange': {
      const { type, ...data } = request;
      return { type, data, metadata };
    }
    case 'RegisterPhoneMethod': {
      const { type, ...fields } = request;
      return { type, data: { ...fields, methodId: newId() }, metadata };
    }
  }
}
