import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DELIVERY_METHODS, PHONE_TYPES, type DeliveryMethod, type PhoneType } from '@signet/domain';
import {
  IsIn,
  IsISO31661Alpha2,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';

export class AddPhoneMethodRequest {
  @ApiProperty({ example: '+1 425 555 0100', description: 'International, or national with countryCode.' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(40)
  phoneNumber!: string;

  @ApiProperty({ enum: PHONE_TYPES, example: 'mobile' })
  @IsIn(PHONE_TYPES)
  phoneType!: PhoneType;

  @ApiProperty({
    enum: DELIVERY_METHODS,
    example: 'sms',
    description: '`sms` = "Text me a code" (mobile only).',
  })
  @IsIn(DELIVERY_METHODS)
  deliveryMethod!: DeliveryMethod;

  @ApiPropertyOptional({ example: 'US', description: 'ISO 3166-1 alpha-2, for a nationally written number.' })
  @IsOptional()
  @IsISO31661Alpha2()
  countryCode?: string;

  @ApiPropertyOptional({ example: '1234', description: 'Office phones only.' })
  @IsOptional()
  @Matches(/^\d{1,10}$/, { message: 'extension must be 1 to 10 digits' })
  extension?: string;
}

export class ResendCodeRequest {
  @ApiPropertyOptional({ enum: DELIVERY_METHODS, description: 'Switch channel, e.g. `voice` to get a call.' })
  @IsOptional()
  @IsIn(DELIVERY_METHODS)
  deliveryMethod?: DeliveryMethod;
}

export class VerifyPhoneRequest {
  @ApiProperty({ example: '123456' })
  @IsString()
  @Matches(/^\d{6}$/, { message: 'code must be the 6 digits that were sent' })
  code!: string;
}

/** Graph's update of a phone method: the new number gets a code and takes effect once proven. */
export class ChangePhoneNumberRequest {
  @ApiProperty({ example: '+1 425 555 0102', description: 'International, or national with countryCode.' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(40)
  phoneNumber!: string;

  @ApiPropertyOptional({ example: 'US', description: 'ISO 3166-1 alpha-2, for a nationally written number.' })
  @IsOptional()
  @IsISO31661Alpha2()
  countryCode?: string;

  @ApiPropertyOptional({ example: '1234', description: 'Office phones only.' })
  @IsOptional()
  @Matches(/^\d{1,10}$/, { message: 'extension must be 1 to 10 digits' })
  extension?: string;

  @ApiPropertyOptional({
    enum: DELIVERY_METHODS,
    description: "How the new number gets its code; the method's current channel when not given.",
  })
  @IsOptional()
  @IsIn(DELIVERY_METHODS)
  deliveryMethod?: DeliveryMethod;
}

export class ChangeDefaultRequest {
  @ApiProperty({ format: 'uuid' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  methodId!: string;

  @ApiProperty({ enum: DELIVERY_METHODS })
  @IsIn(DELIVERY_METHODS)
  deliveryMethod!: DeliveryMethod;
}

export class DefaultMethodView {
  @ApiProperty() methodId!: string;
  @ApiProperty({ enum: DELIVERY_METHODS }) deliveryMethod!: DeliveryMethod;
  @ApiProperty({ example: 'Phone - text +1 4255550100' }) label!: string;
}

export class SentCodeView {
  @ApiProperty({ format: 'uuid' }) codeId!: string;
  @ApiProperty({ enum: DELIVERY_METHODS }) channel!: DeliveryMethod;
  @ApiProperty({ example: '+1 XXXXXXXX00' }) destination!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
}

/** Every command answer says where the stream now stands. */
export class CommandReceipt {
  @ApiProperty({
    type: String,
    nullable: true,
    example: '3',
    description: 'Stream revision after the command (also the ETag).',
  })
  revision!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: '1042',
    description: 'Global position of the last event: pass as minPosition to read your write.',
  })
  position!: string | null;
}

export class PhoneMethodAddedResponse extends CommandReceipt {
  @ApiProperty({ format: 'uuid' }) methodId!: string;
  @ApiProperty({ enum: ['pendingVerification'] }) status!: 'pendingVerification';
  @ApiProperty({ enum: PHONE_TYPES }) phoneType!: PhoneType;
  @ApiProperty({ example: '+1 4255550100', description: "As the page shows it (Graph's form)." })
  phoneNumber!: string;
  @ApiProperty({ example: '+14255550100', description: 'E.164.' }) e164!: string;
  @ApiProperty({ type: SentCodeView }) code!: SentCodeView;
  @ApiProperty({
    type: String,
    nullable: true,
    format: 'uuid',
    description:
      'The pending phone of the same type this one replaced (its codes no longer work); null if none.',
  })
  replacedMethodId!: string | null;
}

export class CodeResentResponse extends CommandReceipt {
  @ApiProperty({ format: 'uuid' }) methodId!: string;
  @ApiProperty({ type: SentCodeView }) code!: SentCodeView;
}

export class PhoneVerifiedResponse extends CommandReceipt {
  @ApiProperty({ format: 'uuid' }) methodId!: string;
  @ApiProperty({ enum: ['verified'] }) status!: 'verified';
  @ApiProperty({
    example: '+1 4255550100',
    description: "The method's number now (for a number change: the new one, just proven).",
  })
  phoneNumber!: string;
  @ApiProperty({ description: 'true when the code proved a number change (the number was swapped).' })
  numberChanged!: boolean;
  @ApiProperty({ type: DefaultMethodView, nullable: true }) defaultMethod!: DefaultMethodView | null;
}

export class MethodDeletedResponse extends CommandReceipt {
  @ApiProperty({ format: 'uuid' }) methodId!: string;
  @ApiProperty({ enum: [true] }) deleted!: true;
  @ApiProperty({ type: DefaultMethodView, nullable: true, description: 'The default after the deletion.' })
  defaultMethod!: DefaultMethodView | null;
}

export class DefaultChangedResponse extends CommandReceipt {
  @ApiProperty({ type: DefaultMethodView }) defaultMethod!: DefaultMethodView;
  @ApiProperty({ description: 'false when it already was the default (nothing recorded).' })
  changed!: boolean;
}

export class NumberChangeStartedResponse extends CommandReceipt {
  @ApiProperty({ format: 'uuid' }) methodId!: string;
  @ApiProperty({ enum: ['verified'], description: 'The method keeps working with its old number meanwhile.' })
  status!: 'verified';
  @ApiProperty({
    example: '+1 4255550100',
    description: 'The number still in use until the new one is proven.',
  })
  phoneNumber!: string;
  @ApiProperty({ example: '+1 XXXXXXXX02', description: 'The new number, masked.' }) pendingNumber!: string;
  @ApiProperty({ type: SentCodeView, description: 'The code sent to the new number.' }) code!: SentCodeView;
}

export class NumberChangeCancelledResponse extends CommandReceipt {
  @ApiProperty({ format: 'uuid' }) methodId!: string;
  @ApiProperty() cancelled!: true;
  @ApiProperty({ example: '+1 4255550100', description: 'The number the method keeps.' })
  phoneNumber!: string;
}

/** Why an administrator acts for a person: recorded in the metadata of every event the change records. */
export const REASON_MAX_LENGTH = 500;

export class HelpDeskReason {
  @ApiPropertyOptional({
    maxLength: REASON_MAX_LENGTH,
    example: 'Ticket 4711: lost phone, identity checked by video call',
    description: 'Why the administrator makes this change (or the X-Reason header); one of them is required.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(REASON_MAX_LENGTH)
  reason?: string;
}

export class RegisterPhoneMethodRequest extends AddPhoneMethodRequest {
  @ApiPropertyOptional({ maxLength: REASON_MAX_LENGTH, description: 'Why (or the X-Reason header).' })
  @IsOptional()
  @IsString()
  @MaxLength(REASON_MAX_LENGTH)
  reason?: string;
}

export class HelpDeskChangeDefaultRequest extends ChangeDefaultRequest {
  @ApiPropertyOptional({ maxLength: REASON_MAX_LENGTH, description: 'Why (or the X-Reason header).' })
  @IsOptional()
  @IsString()
  @MaxLength(REASON_MAX_LENGTH)
  reason?: string;
}

export class PhoneMethodRegisteredResponse extends CommandReceipt {
  @ApiProperty({ format: 'uuid' }) methodId!: string;
  @ApiProperty({
    enum: ['verified'],
    description: 'Registered by an administrator: verified without a code.',
  })
  status!: 'verified';
  @ApiProperty({ enum: PHONE_TYPES }) phoneType!: PhoneType;
  @ApiProperty({ example: '+1 4255550100', description: "As the page shows it (Graph's form)." })
  phoneNumber!: string;
  @ApiProperty({ example: '+14255550100', description: 'E.164.' }) e164!: string;
  @ApiProperty({
    type: DefaultMethodView,
    nullable: true,
    description: 'The default after the registration.',
  })
  defaultMethod!: DefaultMethodView | null;
  @ApiProperty({
    type: String,
    nullable: true,
    format: 'uuid',
    description: 'The pending phone of the same type this one replaced; null if none.',
  })
  replacedMethodId!: string | null;
}
