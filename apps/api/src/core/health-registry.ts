import { withTimeout } from '@signet/config';
import { Injectable } from '@nestjs/common';

export type DependencyStatus =
  { status: 'up'; kind?: string } | { status: 'down'; kind?: string; error: string };

/** A readiness probe must answer quickly even when a store hangs: a ping slower than this counts as down. */
export const PING_TIMEOUT_MS = 2000;

interface Check {
  ping: () => Promise<void>;
  /** What serves it (`sqlite`, `eventstoredb`, `mongodb`...), shown in the report. */
  kind?: string;
}

/** Each module registers the dependencies it needs; /health/ready asks them all. */
@Injectable()
export class HealthRegistry {
  private readonly checks = new Map<string, Check>();

  register(name: string, ping: () => Promise<void>, kind?: string): void {
    this.checks.set(name, { ping, kind });
  }

  async report(timeoutMs = PING_TIMEOUT_MS): Promise<Record<string, DependencyStatus>> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, { ping, kind }]): Promise<[string, DependencyStatus]> => {
        const labelled = kind ? { kind } : {};
        try {
          await withTimeout(ping(), timeoutMs);
          return [name, { status: 'up', ...labelled }];
        } catch (error) {
          return [name, { status: 'down', ...labelled, error: (error as Error).message }];
        }
      }),
    );
    return Object.fromEntries(entries);
  }
}
