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
  @ApiProperty({ example: 'Phone - text +14255550100' }) label!: string;
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
  @ApiProperty({ example: '+14255550100' }) phoneNumber!: string;
  @ApiProperty({ type: SentCodeView }) code!: SentCodeView;
}

export class CodeResentResponse extends CommandReceipt {
  @ApiProperty({ format: 'uuid' }) methodId!: string;
  @ApiProperty({ type: SentCodeView }) code!: SentCodeView;
}

export class PhoneVerifiedResponse extends CommandReceipt {
  @ApiProperty({ format: 'uuid' }) methodId!: string;
  @ApiProperty({ enum: ['verified'] }) status!: 'verified';
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
