import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import type { SignetConfig } from '@signet/config';
import { openReadModelStore, READ_MODEL_STORE, type ReadModelStore } from '@signet/read-model';
import { PersonalData } from '@signet/personal-data';
import { SIGNET_CONFIG } from '../core/core.module';
import { HealthRegistry } from '../core/health-registry';
import { LiveProjections } from './live-projections';
import { ProjectionRebuilds } from './projection-rebuilds';
import { ProjectionsAdminController } from './projections-admin.controller';
import { GetProjectionStatusesHandler, GetRebuildHandler } from './projections.query';
import { GetSecurityInfoPageHandler } from './security-info-page.query';
import { SecurityInfoPageController } from './security-info-page.controller';

/**
 * The read side: the projection runners (in this process), the Security info page query with
 * read-your-writes, and the operators' status and rebuild routes.
 */
@Module({
  controllers: [SecurityInfoPageController, ProjectionsAdminController],
  providers: [
    {
      provide: READ_MODEL_STORE,
      inject: [SIGNET_CONFIG, PersonalData],
      useFactory: (config: SignetConfig, personalData: PersonalData): ReadModelStore =>
        personalData.sealingReadModel(openReadModelStore(config)),
    },
    LiveProjections,
    ProjectionRebuilds,
    GetSecurityInfoPageHandler,
    GetProjectionStatusesHandler,
    GetRebuildHandler,
  ],
  // The audit's as-of reads its snapshots (the asOfSnapshots projection) from the same store.
  exports: [READ_MODEL_STORE],
})
export class ReadModelModule implements OnModuleInit {
  constructor(
    @Inject(READ_MODEL_STORE) private readonly store: ReadModelStore,
    @Inject(SIGNET_CONFIG) private readonly config: SignetConfig,
    private readonly health: HealthRegistry,
  ) {}

  onModuleInit(): void {
    this.health.register(
      'readModel',
      // Readiness: not only answering, but still able to make a write durable (a write probe).
      () => this.store.ping({ write: true }),
      this.config.readModel.url ? 'mongodb' : 'sqlite',
    );
  }
}
