import { counter, gauge, histogram, LATENCY_BUCKETS } from '@signet/lifecycle';

/** The API's metrics (GET /metrics); the process metrics come with the registry. */
export const apiMetrics = {
  httpRequests: counter({
    name: 'signet_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
  }),
  httpDuration: histogram({
    name: 'signet_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method and route template',
    labelNames: ['method', 'route'] as const,
    buckets: LATENCY_BUCKETS,
  }),
  commands: counter({
    name: 'signet_commands_total',
    help: 'Commands handled, by type and outcome (accepted, refused, failed)',
    labelNames: ['command', 'outcome'] as const,
  }),
  commandDuration: histogram({
    name: 'signet_command_duration_seconds',
    help: 'Time to handle a command, by type and outcome',
    labelNames: ['command', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
  }),
  refusals: counter({
    name: 'signet_refusals_total',
    help: 'Refusals of commands and queries, by problem code',
    labelNames: ['code'] as const,
  }),
  rateLimitRejections: counter({
    name: 'signet_rate_limit_rejections_total',
    help: 'Requests answered 429 by a rate limit, by limit',
    labelNames: ['limit'] as const,
  }),
  appendDuration: histogram({
    name: 'signet_event_store_append_duration_seconds',
    help: 'Time to append to the event store, by outcome (ok, conflict, error)',
    labelNames: ['outcome'] as const,
    buckets: LATENCY_BUCKETS,
  }),
  projectionLagEvents: gauge({
    name: 'signet_projection_lag_events',
    help: "Events of a projection's streams past its checkpoint (counted up to 10000)",
    labelNames: ['projection'] as const,
  }),
  projectionLagSeconds: gauge({
    name: 'signet_projection_lag_seconds',
    help: 'How long the oldest event a projection has not yet applied has been waiting',
    labelNames: ['projection'] as const,
  }),
};
