import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  CHALLENGE_PURPOSES,
  DELIVERY_METHODS,
  type ChallengePurpose,
  type DeliveryMethod,
} from '@signet/domain';
import { IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export class StartChallengeRequest {
  @ApiProperty({ enum: CHALLENGE_PURPOSES, example: 'signIn', description: 'Names the code in its message.' })
  @IsIn(CHALLENGE_PURPOSES)
  purpose!: ChallengePurpose;

  @ApiPropertyOptional({
    format: 'uuid',
    description: "A verified method of the person's; their default sign-in method when not given.",
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  methodId?: string;

  @ApiPropertyOptional({
    enum: DELIVERY_METHODS,
    description: "The channel; the default's (or the method's own) when not given.",
  })
  @IsOptional()
  @IsIn(DELIVERY_METHODS)
  deliveryMethod?: DeliveryMethod;
}

export class ResendChallengeRequest {
  @ApiPropertyOptional({
    format: 'uuid',
    description:
      'Switch to another verified method ("use my alternate phone"); the same method when not given.',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  methodId?: string;

  @ApiPropertyOptional({ enum: DELIVERY_METHODS, description: 'Switch channel, e.g. `voice` to get a call.' })
  @IsOptional()
  @IsIn(DELIVERY_METHODS)
  deliveryMethod?: DeliveryMethod;
}

export class VerifyChallengeRequest {
  @ApiProperty({ example: '123456' })
  @IsString()
  @Matches(/^\d{6}$/, { message: 'code must be the 6 digits that were sent' })
  code!: string;
}

export class ChallengeCodeSentResponse {
  @ApiProperty({
    example: 'YWxpY2U.q5n0c2Vr2mYy3sXlJb0t7w',
    description: 'Opaque and unguessable; names the person (see docs/api.md#sign-in-challenges).',
  })
  challengeId!: string;
  @ApiProperty({ enum: CHALLENGE_PURPOSES }) purpose!: ChallengePurpose;
  @ApiProperty({ format: 'uuid' }) methodId!: string;
  @ApiProperty({ enum: DELIVERY_METHODS }) channel!: DeliveryMethod;
  @ApiProperty({ example: '+1 XXXXXXXX00', description: 'Masked.' }) destination!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ format: 'date-time', description: 'When another code to this method may be asked for.' })
  resendAvailableAt!: string;
}

export class ChallengeVerifiedResponse {
  @ApiProperty({ enum: ['succeeded'] }) result!: 'succeeded';
  @ApiProperty() challengeId!: string;
  @ApiProperty({ enum: CHALLENGE_PURPOSES }) purpose!: ChallengePurpose;
  @ApiProperty({ format: 'uuid' }) methodId!: string;
  @ApiProperty({ enum: DELIVERY_METHODS }) channel!: DeliveryMethod;
  @ApiProperty({ format: 'date-time' }) verifiedAt!: string;
}
