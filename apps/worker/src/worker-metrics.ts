import type { AppendObserver } from '@signet/event-store';
import { counter, gauge, histogram, LATENCY_BUCKETS } from '@signet/lifecycle';
import type { DispatchRuntime } from '@signet/messaging';

/** The worker's metrics (served on WORKER_METRICS_PORT); the process metrics come with the registry. */
export const workerMetrics = {
  codes: counter({
    name: 'signet_codes_total',
    help: 'Codes this worker sent, blocked or failed to send, by outcome, provider and reason',
    labelNames: ['outcome', 'provider', 'reason'] as const,
  }),
  jobs: counter({
    name: 'signet_dispatch_jobs_total',
    help: 'Dispatch job attempts finished by this worker, by outcome',
    labelNames: ['outcome'] as const,
  }),
  queue: gauge({
    name: 'signet_dispatch_queue_jobs',
    help: 'Jobs in the dispatch queue, by state (waiting, active, delayed, failed, prioritized)',
    labelNames: ['state'] as const,
  }),
  appendDuration: histogram({
    name: 'signet_event_store_append_duration_seconds',
    help: 'Time to append to the event store, by outcome (ok, conflict, error)',
    labelNames: ['outcome'] as const,
    buckets: LATENCY_BUCKETS,
  }),
};

/** Counts appends, and the delivery outcomes this worker records (never a number or a code: ids only). */
export const observeWorkerAppend: AppendObserver = ({ events, seconds, outcome }) => {
  workerMetrics.appendDuration.observe({ outcome }, seconds);
  if (outcome !== 'ok') return;
  for (const event of events) {
    const data = event.data as { provider?: string; reason?: string; permanent?: boolean };
    if (event.type === 'CodeDeliveryAccepted')
      workerMetrics.codes.inc({ outcome: 'sent', provider: data.provider ?? 'unknown', reason: '' });
    else if (event.type === 'CodeDeliveryBlocked')
      workerMetrics.codes.inc({ outcome: 'blocked', provider: '', reason: data.reason ?? 'unknown' });
    else if (event.type === 'CodeDeliveryFailed')
      workerMetrics.codes.inc({
        outcome: 'failed',
        provider: data.provider ?? 'unknown',
        reason: data.permanent ? 'permanent' : 'attemptsExhausted',
      });
  }
};

/** Job outcomes as they happen, and the queue's depth when scraped. */
export function instrumentRuntime(runtime: DispatchRuntime): void {
  runtime.worker.worker.on('completed', (_job, result: unknown) =>
    workerMetrics.jobs.inc({ outcome: typeof result === 'string' ? result : 'completed' }),
  );
  runtime.worker.worker.on('failed', () => workerMetrics.jobs.inc({ outcome: 'failed' }));
  const states = ['waiting', 'active', 'delayed', 'failed', 'prioritized'] as const;
  workerMetrics.queue.reset();
  // prom-client calls collect() on every scrape.
  (workerMetrics.queue as unknown as { collect: () => Promise<void> }).collect = async () => {
    const counts = await runtime.queue.queue.getJobCounts(...states).catch(() => null);
    if (counts) for (const state of states) workerMetrics.queue.set({ state }, counts[state] ?? 0);
  };
}
