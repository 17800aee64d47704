import type { DeliveryMethod, PhoneType } from './phone-method';

export interface AddPhoneMethod {
  type: 'AddPhoneMethod';
  phoneNumber: string;
  phoneType: PhoneType;
  deliveryMethod: DeliveryMethod;
  /** ISO 3166-1 alpha-2, needed when the number is written nationally: "(425) 555-0100" + "US". */
  countryCode?: string;
  /** Office numbers only. May also be written into the number ("... ext. 123"). */
  extension?: string;
}

export interface ResendCode {
  type: 'ResendCode';
  methodId: string;
  /** Switch channel, e.g. "Call me" instead of a text that never arrived. */
  deliveryMethod?: DeliveryMethod;
}

export interface VerifyPhone {
  type: 'VerifyPhone';
  methodId: string;
  code: string;
}

export interface DeleteMethod {
  type: 'DeleteMethod';
  methodId: string;
}

export interface ChangeDefault {
  type: 'ChangeDefault';
  methodId: string;
  deliveryMethod: DeliveryMethod;
}

export type SecurityInfoCommand = AddPhoneMethod | ResendCode | VerifyPhone | DeleteMethod | ChangeDefault;
