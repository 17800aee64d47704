import { Module } from '@nestjs/common';
import { AuditController } from './audit.controller';

/** Auditors' reads: history, Security info as of a moment, the access log (role `auditor`). */
@Module({ controllers: [AuditController] })
export class AuditModule {}
