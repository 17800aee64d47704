import { Injectable } from '@nestjs/common';

export type DependencyStatus = { status: 'up' } | { status: 'down'; error: string };

/** Each module registers the dependencies it needs; /health/ready asks them all. */
@Injectable()
export class HealthRegistry {
  private readonly checks = new Map<string, () => Promise<void>>();

  register(name: string, ping: () => Promise<void>): void {
    this.checks.set(name, ping);
  }

  async report(): Promise<Record<string, DependencyStatus>> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, ping]): Promise<[string, DependencyStatus]> => {
        try {
          await ping();
          return [name, { status: 'up' }];
        } catch (error) {
          return [name, { status: 'down', error: (error as Error).message }];
        }
      }),
    );
    return Object.fromEntries(entries);
  }
}
