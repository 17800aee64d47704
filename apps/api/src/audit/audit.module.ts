import { Module } from '@nestjs/common';
import { ReadModelModule } from '../read-model/read-model.module';
import { AuditController } from './audit.controller';

/** Auditors' reads: history, Security info as of a moment, the access log (role `auditor`). */
@Module({ imports: [ReadModelModule], controllers: [AuditController] })
export class AuditModule {}
