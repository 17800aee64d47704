import { ApiProperty } from '@nestjs/swagger';
import {
  CODE_DELIVERY_STATUSES,
  DELIVERY_METHODS,
  PHONE_TYPES,
  type CodeDeliveryStatus,
  type DeliveryMethod,
  type PhoneType,
} from '@signet/domain';
import { DefaultMethodView } from '../security-info/security-info.dto';

/** The live code of a method: what became of it, and when another may be asked for. Never the code itself. */
export class LastCodeView {
  @ApiProperty({ format: 'uuid' }) codeId!: string;
  @ApiProperty({ enum: DELIVERY_METHODS }) channel!: DeliveryMethod;
  @ApiProperty({ format: 'date-time' }) sentAt!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({
    format: 'date-time',
    description:
      'sentAt + the resend cooldown: from then on a new code (or "Call me instead") may be asked for.',
  })
  resendAvailableAt!: string;
  @ApiProperty({
    enum: CODE_DELIVERY_STATUSES,
    description:
      '`queued`: not yet handed to a provider; `sent`: a provider took it; `delivered`/`undeliverable`: the ' +
      "provider's delivery report; `blocked`: a limit against SMS pumping stopped it; `failed`: the provider " +
      'refused it or kept failing; `skipped`: no longer worth sending when its turn came.',
  })
  delivery!: CodeDeliveryStatus;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'destinationHourlyLimit',
    description: "Why, where there is a why: the limit, the provider's error, the carrier's report.",
  })
  reason!: string | null;
}

export class SecurityInfoPageMethodView {
  @ApiProperty({ format: 'uuid' }) methodId!: string;
  @ApiProperty({ enum: ['phone'] }) type!: 'phone';
  @ApiProperty({ enum: PHONE_TYPES }) phoneType!: PhoneType;
  @ApiProperty({
    example: '+1 4255550199x123',
    description:
      'As Microsoft Graph shows it, `+{country code} {national number}`, an office extension as x123.',
  })
  phoneNumber!: string;
  @ApiProperty({ example: '+14255550199', description: 'E.164 (the extension is in `extension`).' })
  e164!: string;
  @ApiProperty({ type: String, nullable: true, example: '123' }) extension!: string | null;
  @ApiProperty({ example: 'Phone', description: '"Phone", "Alternate phone" or "Office phone".' })
  label!: string;
  @ApiProperty({ enum: DELIVERY_METHODS, isArray: true }) deliveryMethods!: DeliveryMethod[];
  @ApiProperty({ enum: ['pendingVerification', 'verified'] }) status!: 'pendingVerification' | 'verified';
  @ApiProperty({
    enum: ['enabled', 'notAllowedByPolicy'],
    description:
      '`notAllowedByPolicy`: the authentication methods policy allows none of its channels (or its type, or its ' +
      'country); it stays on the account but cannot be the default and receives no codes.',
  })
  state!: 'enabled' | 'notAllowedByPolicy';
  @ApiProperty() isDefault!: boolean;
  @ApiProperty({ format: 'date-time' }) addedAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) verifiedAt!: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      'A pending method: when it lapses (leaves the page, frees its type) unless verified by then.',
  })
  lapsesAt!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: '+1 XXXXXXXX02',
    description:
      'A number change waiting for its code: the new number, masked. The method keeps its number until then.',
  })
  pendingNumber!: string | null;
  @ApiProperty({
    type: LastCodeView,
    nullable: true,
    description: 'The live code while the method (or its number change) waits to be proven; null otherwise.',
  })
  lastCode!: LastCodeView | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: '2026-11-26T10:05:00.000Z',
    description:
      "When a sign-in challenge (two-step verification, password reset) last succeeded with this method (Entra's sign-in activity); null: never.",
  })
  lastUsedAt!: string | null;
}

/** A type of phone the authentication methods policy lets a person add, with the channels it allows. */
export class AllowedMethodTypeView {
  @ApiProperty({ enum: PHONE_TYPES }) phoneType!: PhoneType;
  @ApiProperty({
    enum: DELIVERY_METHODS,
    isArray: true,
    description:
      'The channels the policy allows for a new phone of this type, as far as they are known before its number ' +
      'is (whether the number takes texts, and its country, are judged when it is added).',
  })
  deliveryMethods!: DeliveryMethod[];
}

/** The account's last erasure of personal data. */
export class PersonalDataErasedView {
  @ApiProperty({ format: 'date-time', example: '2026-11-27T09:00:00.000Z' }) erasedAt!: string;
}

export class SecurityInfoPageResponse {
  @ApiProperty() userId!: string;
  @ApiProperty({ type: SecurityInfoPageMethodView, isArray: true }) methods!: SecurityInfoPageMethodView[];
  @ApiProperty({ type: DefaultMethodView, nullable: true }) defaultMethod!: DefaultMethodView | null;
  @ApiProperty({
    type: AllowedMethodTypeView,
    isArray: true,
    description:
      'The types of phone a method may be added as under the authentication methods policy (a type none of ' +
      'whose channels it allows is left out; adding one is 403 `method-not-allowed-by-policy`). One of each type ' +
      'per person is another rule, checked on Add (409 `phone-type-taken`).',
  })
  allowedMethodTypes!: AllowedMethodTypeView[];
  @ApiProperty({
    type: PersonalDataErasedView,
    nullable: true,
    description:
      "The account's personal data was erased (`DELETE /v1/users/{userId}/personal-data`; its last erasure): " +
      'the methods it had before are gone for good. It stays once the person adds methods again. Null: never.',
  })
  personalDataErased!: PersonalDataErasedView | null;
  @ApiProperty({
    type: String,
    example: '3',
    nullable: true,
    description: 'Stream revision the page reflects (also the ETag).',
  })
  revision!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) updatedAt!: string | null;
}

export class RebuildStartedResponse {
  @ApiProperty({ example: 'securityInfoPage' }) projection!: string;
  @ApiProperty({ example: 2, description: 'The shadow generation being built: the rebuild id.' })
  generation!: number;
  @ApiProperty({ enum: ['building'] }) state!: 'building';
  @ApiProperty({ example: '/v1/admin/projections/securityInfoPage/rebuilds/2' }) progressUrl!: string;
}
