import { Module } from '@nestjs/common';
import { PersonalDataController } from './personal-data.controller';

/** Erasure (role `privacyOfficer`) and the person's own copy of their data (issue 14). */
@Module({ controllers: [PersonalDataController] })
export class PersonalDataModule {}
