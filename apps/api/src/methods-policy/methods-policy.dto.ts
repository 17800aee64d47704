import { ApiProperty } from '@nestjs/swagger';
import { POLICY_STATES, type PolicyState } from '@signet/domain';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, Matches, ValidateNested } from 'class-validator';

export class PolicyMethodState {
  @ApiProperty({ enum: POLICY_STATES, example: 'enabled' })
  @IsIn(POLICY_STATES)
  state!: PolicyState;
}

export class PolicyMethods {
  @ApiProperty({ type: PolicyMethodState, description: 'Text messages ("Text me a code").' })
  @ValidateNested()
  @Type(() => PolicyMethodState)
  sms!: PolicyMethodState;

  @ApiProperty({ type: PolicyMethodState, description: 'Calls ("Call me").' })
  @ValidateNested()
  @Type(() => PolicyMethodState)
  voice!: PolicyMethodState;

  @ApiProperty({ type: PolicyMethodState, description: 'Office phones, whatever the channel.' })
  @ValidateNested()
  @Type(() => PolicyMethodState)
  officePhone!: PolicyMethodState;
}

/** Entra's authentication methods policy, for the phone methods Signet has. */
export class AuthenticationMethodsPolicyBody {
  @ApiProperty({ type: PolicyMethods })
  @ValidateNested()
  @Type(() => PolicyMethods)
  methods!: PolicyMethods;

  @ApiProperty({
    type: [String],
    example: [],
    description: 'Calling codes whose numbers may be used ("1", "44"); empty: every country.',
  })
  @IsArray()
  @ArrayMaxSize(300)
  @Matches(/^[1-9]\d{0,2}$/, { each: true, message: 'each calling code is 1 to 3 digits' })
  allowedCallingCodes!: string[];

  @ApiProperty({ type: [String], example: [], description: 'Calling codes whose numbers may never be used.' })
  @IsArray()
  @ArrayMaxSize(300)
  @Matches(/^[1-9]\d{0,2}$/, { each: true, message: 'each calling code is 1 to 3 digits' })
  deniedCallingCodes!: string[];
}
