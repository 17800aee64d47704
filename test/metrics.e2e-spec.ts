import { eventually } from '@signet/testing';
import { build, startWorker, type RunningProcess } from './support/processes';
import { Person, SignetTestApp } from './support/signet-app';

/** GET /metrics in Prometheus format on the API (behind METRICS_TOKEN) and on the worker's WORKER_METRICS_PORT. */
const TOKEN = 'metrics-token-0123456789';
const MOBILE = { phoneNumber: '+1 425 555 0100', phoneType: 'mobile', deliveryMethod: 'sms' };

/** The value of one series in a Prometheus text exposition (0 when absent). */
function valueOf(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('Metrics', () => {
  let signet: SignetTestApp;
  let worker: RunningProcess | null = null;
  beforeAll(async () => {
    await build();
    signet = await SignetTestApp.start({ METRICS_TOKEN: TOKEN, RATE_LIMIT_COMMANDS_PER_USER: '3' });
  });
  afterAll(async () => {
    await worker?.stop();
    await signet?.stop();
  });
  const scrape = () => signet.http().get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);

  it('the API serves them only with METRICS_TOKEN, outside /v1 and the OpenAPI document', async () => {
    const refused = await signet.http().get('/metrics');
    expect(refused.status).toBe(401);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((await signet.http().get('/metrics').set('Authorization', 'Bearer wrong')).status).toBe(401);
    const res = await scrape();
    expect(res.headers['content-type']).toMatch(/^text\/plain;.*version=0\.0\.4/);
    expect(res.text).toContain('signet_process_cpu_user_seconds_total');
    const document = await signet.http().get('/openapi.json');
    expect(Object.keys(document.body.paths as object)).not.toContain('/metrics');
  });

  it('counts commands by type and outcome with latencies, refusals by code, rate-limit rejections, appends, lag', async () => {
    const before = (await scrape()).text;
    const person = await Person.signIn(signet, 'measured');
    await person.addPhone(MOBILE).expect(201);
    await person.addPhone({ ...MOBILE, phoneNumber: '12' }).expect(400); // invalid-phone-number
    await person.deleteMethod('nope').expect(404);
    await person.deleteMethod('nope').expect(429);
    const after = (await scrape()).text;
    const delta = (series: string) => valueOf(after, series) - valueOf(before, series);

    expect(delta('signet_commands_total{command="AddPhoneMethod",outcome="accepted"}')).toBe(1);
    expect(delta('signet_commands_total{command="AddPhoneMethod",outcome="refused"}')).toBe(1);
    expect(delta('signet_command_duration_seconds_count{command="AddPhoneMethod",outcome="accepted"}')).toBe(
      1,
    );
    expect(delta('signet_refusals_total{code="invalid-phone-number"}')).toBe(1);
    expect(delta('signet_refusals_total{code="method-not-found"}')).toBe(1);
    expect(delta('signet_rate_limit_rejections_total{limit="commandsPerUser"}')).toBe(1);
    expect(delta('signet_event_store_append_duration_seconds_count{outcome="ok"}')).toBeGreaterThanOrEqual(1);
    expect(
      delta(
        'signet_http_requests_total{method="POST",route="/v1/me/security-info/phone-methods",status="201"}',
      ),
    ).toBe(1);
    expect(after).toMatch(/^signet_projection_lag_events\{projection="[^"]+"\} \d+$/m);
    expect(after).toMatch(/^signet_projection_lag_seconds\{projection="[^"]+"\} [\d.e+-]+$/m);
  });

  it('counts what the Idempotency-Key step answers as the command it answers for: a bad key refused, a replay accepted', async () => {
    const before = (await scrape()).text;
    const person = await Person.signIn(signet, 'measured-idempotent');
    expect((await person.addPhone(MOBILE, { 'Idempotency-Key': 'bad key' })).status).toBe(400);
    await person.addPhone(MOBILE, { 'Idempotency-Key': 'once' }).expect(201);
    const replayed = await person.addPhone(MOBILE, { 'Idempotency-Key': 'once' }).expect(201);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    const after = (await scrape()).text;
    const delta = (series: string) => valueOf(after, series) - valueOf(before, series);

    expect(delta('signet_refusals_total{code="invalid-idempotency-key"}')).toBe(1);
    expect(delta('signet_commands_total{command="AddPhoneMethod",outcome="refused"}')).toBe(1);
    expect(delta('signet_commands_total{command="AddPhoneMethod",outcome="accepted"}')).toBe(2);
  });

  it('the worker serves its own on WORKER_METRICS_PORT: codes by outcome and provider, jobs, queue depth', async () => {
    worker = await startWorker({
      DATA_DIR: signet.config.dataDir,
      WORKER_METRICS_PORT: '0',
      HOST: '127.0.0.1',
      METRICS_TOKEN: TOKEN,
      LOG_LEVEL: 'log',
    });
    const url = await eventually(
      () => /Worker metrics on (http:\/\/[^\s"]+)/.exec(worker!.output())?.[1] ?? false,
      {
        description: 'the worker metrics URL',
      },
    );
    expect((await fetch(url)).status).toBe(401);
    // The worker runs on real time: a code from the test's manual clock would be days old, and skipped.
    signet.clock.advance((Date.now() - signet.clock.now().getTime()) / 1000);
    const person = await Person.signIn(signet, 'texted');
    await person.addPhone({ ...MOBILE, phoneNumber: '+1 425 555 0177' }).expect(201);
    const text = await eventually(
      async () => {
        const body = await (await fetch(url, { headers: { Authorization: `Bearer ${TOKEN}` } })).text();
        // The job counts as done a moment after its outcome is appended: wait for both.
        const sent = valueOf(body, 'signet_codes_total{outcome="sent",provider="outbox",reason=""}') >= 1;
        return sent && valueOf(body, 'signet_dispatch_jobs_total{outcome="accepted"}') >= 1 && body;
      },
      { timeoutMs: 20_000, description: 'a code counted as sent and its job as accepted' },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${worker!.output()}`);
    });
    expect(valueOf(text, 'signet_dispatch_jobs_total{outcome="accepted"}')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^signet_dispatch_queue_jobs\{state="waiting"\} \d+$/m);
    expect(text).toMatch(/^signet_event_store_append_duration_seconds_count\{outcome="ok"\} \d+$/m);
  });
});
