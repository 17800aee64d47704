import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { issueToken } from '@signet/auth';
import type { SignetConfig } from '@signet/config';
import { Matches } from 'class-validator';
import { Public } from '../auth/auth';
import { SIGNET_CONFIG } from '../core/core.module';
import { ApiProblems } from '../openapi/api-problems';
import { ProblemException } from '../problem/problem';

/** How long a development sign-in lasts. */
const DEVELOPMENT_TOKEN_SECONDS = 3600;

export class DevSignInRequest {
  @ApiProperty({ example: 'alice', description: 'Who to sign in as: letters, digits and @._:|+- (1-128).' })
  @Matches(/^[A-Za-z0-9@._:|+-]{1,128}$/, {
    message: 'userName must be 1-128 of letters, digits and @._:|+-',
  })
  userName!: string;
}

export class DevSignInResponse {
  @ApiProperty({ description: 'A Bearer token for the user, signed with JWT_SECRET, with auth_time now.' })
  accessToken!: string;
  @ApiProperty({ enum: ['Bearer'] }) tokenType!: 'Bearer';
  @ApiProperty({ example: 3600 }) expiresIn!: number;
}

/**
 * The Security info page's development sign-in (the embedded default): anyone may sign in as anyone, so it
 * exists only while Signet holds the signing secret and no identity provider is configured. With JWT_JWKS_URL
 * (or OIDC_ISSUER) set it answers 404, as a route that is not there.
 */
@ApiTags('Development sign-in')
@Public()
@Controller('v1/dev')
export class DevSignInController {
  constructor(@Inject(SIGNET_CONFIG) private readonly config: SignetConfig) {}

  /** Signs in as the user named (embedded default only; 404 whenever JWT_JWKS_URL or OIDC_ISSUER is set). */
  @Post('sign-in')
  @HttpCode(200)
  @ApiOkResponse({ type: DevSignInResponse })
  @ApiProblems('route-not-found', 'validation-failed')
  async signIn(@Body() body: DevSignInRequest): Promise<DevSignInResponse> {
    if (!this.config.web.developmentSignIn) {
      throw new ProblemException(404, 'route-not-found', 'Cannot POST /v1/dev/sign-in');
    }
    const accessToken = await issueToken(this.config.jwt, {
      subject: body.userName,
      roles: ['user'],
      ttlSeconds: DEVELOPMENT_TOKEN_SECONDS,
    });
    return { accessToken, tokenType: 'Bearer', expiresIn: DEVELOPMENT_TOKEN_SECONDS };
  }
}
