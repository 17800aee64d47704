import { Inject } from '@nestjs/common';
import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { SignetConfig } from '@signet/config';
import type { SecurityInfoPage } from '@signet/domain';
import {
  READ_MODEL_STORE,
  securityInfoPageOf,
  securityInfoPageProjection,
  type Projection,
  type ReadModelStore,
  type SecurityInfoDocumentBody,
} from '@signet/read-model';
import { CLOCK, type Clock } from '../clock';
import { MethodsPolicies } from '../methods-policy/methods-policies';
import { SIGNET_CONFIG } from '../core/core.module';
import { LiveProjections } from './live-projections';

export interface SecurityInfoPageResult {
  page: SecurityInfoPage;
  /** The read model's checkpoint when the page was read. */
  checkpoint: bigint;
  /** A `minPosition` was asked for and the read model had not passed it within the wait. */
  stale: boolean;
}

/** One user's Security info page, from the read model (never from the event store). */
export class GetSecurityInfoPage extends Query<SecurityInfoPageResult> {
  constructor(
    readonly userId: string,
    /** Read-your-writes: the `position` a command answered with. */
    readonly minPosition?: bigint,
    /** Someone else's page, unless they asked to reveal the numbers: shown masked ("+1 XXXXXXXX00"). */
    readonly maskNumbers = false,
  ) {
    super();
  }
}

@QueryHandler(GetSecurityInfoPage)
export class GetSecurityInfoPageHandler implements IQueryHandler<GetSecurityInfoPage> {
  constructor(
    @Inject(READ_MODEL_STORE) private readonly store: ReadModelStore,
    @Inject(SIGNET_CONFIG) private readonly config: SignetConfig,
    private readonly live: LiveProjections,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly policies: MethodsPolicies,
  ) {}

  async execute({ userId, minPosition, maskNumbers }: GetSecurityInfoPage): Promise<SecurityInfoPageResult> {
    const stale =
      minPosition !== undefined &&
      !(await this.live.waitUntilPassed(
        securityInfoPageProjection as Projection,
        minPosition,
        this.config.readModel.maxWaitMs,
      ));
    const { document, generation } = await this.store.readLive<SecurityInfoDocumentBody>(
      securityInfoPageProjection.name,
      userId,
    );
    // Rendered at the clock's time: a pending method past its TTL is not shown, recorded or not.
    const page = securityInfoPageOf(userId, document, {
      now: this.clock.now(),
      policy: this.config.policy,
      maskNumbers,
      // The policy in force now: methods it no longer allows show as notAllowedByPolicy.
      methodsPolicy: (await this.policies.current()).policy,
    });
    return { page, checkpoint: generation?.checkpoint ?? 0n, stale };
  }
}
