import { Module } from '@nestjs/common';
import { DeliveryReportsController } from './delivery-reports.controller';

/** Provider callbacks: delivery reports for the codes the worker sent. */
@Module({ controllers: [DeliveryReportsController] })
export class WebhooksModule {}
