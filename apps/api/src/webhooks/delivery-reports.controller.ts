import { Body, Controller, Headers, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiHeader, ApiNoContentResponse, ApiTags } from '@nestjs/swagger';
import type { SignetConfig } from '@signet/config';
import { EVENT_STORE, type EventStore } from '@signet/event-store';
import {
  DeliveryRecorder,
  InvalidDeliveryReport,
  parseHttpReport,
  parseTwilioReport,
  recordDeliveryReport,
  type DeliveryReport,
} from '@signet/messaging';
import type { RawBodyRequest } from '@nestjs/common';
import type { Request } from 'express';
import { Public } from '../auth/auth';
import { CLOCK, type Clock } from '../clock';
import { SIGNET_CONFIG } from '../core/core.module';
import { ApiProblems } from '../openapi/api-problems';
import { schemaRef } from '../openapi/schemas';
import { ProblemException } from '../problem/problem';
import { Origin, type RequestOrigin } from '../request-context';

const STATUS_OF: Record<InvalidDeliveryReport['kind'], [number, string]> = {
  signature: [401, 'invalid-signature'],
  malformed: [400, 'invalid-delivery-report'],
  unknownCode: [404, 'code-not-found'],
};

/**
 * Delivery reports from SMS/voice providers. Public, since providers do not carry our tokens: each report is
 * authenticated by the provider's own signature instead, and refused with 401 when it does not match.
 */
@ApiTags('Delivery reports')
@Controller('v1/webhooks/sms')
export class DeliveryReportsController {
  private readonly recorder: DeliveryRecorder;

  constructor(
    @Inject(SIGNET_CONFIG) private readonly config: SignetConfig,
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.recorder = new DeliveryRecorder(store, () => clock.now());
  }

  @Public()
  @Post(':provider')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Recorded (or an intermediate status, which records nothing)' })
  @ApiConsumes('application/json', 'application/x-www-form-urlencoded')
  @ApiBody({
    description:
      'provider `http`: HttpDeliveryReport as JSON; provider `twilio`: a form-encoded status callback.',
    schema: { oneOf: [schemaRef('HttpDeliveryReport'), schemaRef('TwilioStatusCallback')] },
  })
  @ApiHeader({
    name: 'X-Signet-Signature',
    required: false,
    description:
      'provider `http`: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` with the shared secret.',
  })
  @ApiHeader({
    name: 'X-Twilio-Signature',
    required: false,
    description: "provider `twilio`: Twilio's signature of the URL it called and the form parameters.",
  })
  // bad-request: a body that is not JSON, refused by the body parser before the signature is checked.
  @ApiProblems(
    'provider-not-found',
    'invalid-signature',
    'invalid-delivery-report',
    'code-not-found',
    'bad-request',
  )
  async report(
    @Param('provider') provider: string,
    @Body() body: unknown,
    @Req() request: RawBodyRequest<Request>,
    @Headers('x-signet-signature') httpSignature: string | undefined,
    @Headers('x-twilio-signature') twilioSignature: string | undefined,
    @Origin() origin: RequestOrigin,
  ): Promise<void> {
    const { httpSecret, twilioAuthToken, webhookBaseUrl } = this.config.dispatch;
    try {
      let report: DeliveryReport;
      if (provider === 'http' && httpSecret) {
        report = parseHttpReport(httpSecret, httpSignature, request.rawBody, this.clock.now());
      } else if (provider === 'twilio' && twilioAuthToken) {
        // Twilio signs the URL it called: our public origin when configured, else what this request says.
        const base = webhookBaseUrl ?? `${request.protocol}://${request.get('host')}`;
        report = parseTwilioReport(
          twilioAuthToken,
          twilioSignature,
          base + request.originalUrl,
          formParams(body),
        );
      } else {
        throw new ProblemException(
          404,
          'provider-not-found',
          `No delivery reports are taken from "${provider}".`,
        );
      }
      await recordDeliveryReport(this.recorder, report, origin);
    } catch (error) {
      if (!(error instanceof InvalidDeliveryReport)) throw error;
      const [status, code] = STATUS_OF[error.kind];
      throw new ProblemException(status, code, error.message);
    }
  }
}

function formParams(body: unknown): Record<string, string> {
  return Object.fromEntries(
    Object.entries((body ?? {}) as Record<string, unknown>).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
}
