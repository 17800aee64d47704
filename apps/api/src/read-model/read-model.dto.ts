import { ApiProperty } from '@nestjs/swagger';
import { DELIVERY_METHODS, PHONE_TYPES, type DeliveryMethod, type PhoneType } from '@signet/domain';
import { DefaultMethodView } from '../security-info/security-info.dto';

export class SecurityInfoPageMethodView {
  @ApiProperty({ format: 'uuid' }) methodId!: string;
  @ApiProperty({ enum: ['phone'] }) type!: 'phone';
  @ApiProperty({ enum: PHONE_TYPES }) phoneType!: PhoneType;
  @ApiProperty({ example: '+14255550199x123', description: 'E.164, with an office extension as x123.' })
  phoneNumber!: string;
  @ApiProperty({ example: 'Phone', description: '"Phone", "Alternate phone" or "Office phone".' })
  label!: string;
  @ApiProperty({ enum: DELIVERY_METHODS, isArray: true }) deliveryMethods!: DeliveryMethod[];
  @ApiProperty({ enum: ['pendingVerification', 'verified'] }) status!: 'pendingVerification' | 'verified';
  @ApiProperty() isDefault!: boolean;
  @ApiProperty({ format: 'date-time' }) addedAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) verifiedAt!: string | null;
}

export class SecurityInfoPageResponse {
  @ApiProperty() userId!: string;
  @ApiProperty({ type: SecurityInfoPageMethodView, isArray: true }) methods!: SecurityInfoPageMethodView[];
  @ApiProperty({ type: DefaultMethodView, nullable: true }) defaultMethod!: DefaultMethodView | null;
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
