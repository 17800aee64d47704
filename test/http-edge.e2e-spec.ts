import { gzipSync } from 'node:zlib';
import { Person, SignetTestApp } from './support/signet-app';

/**
 * The HTTP edge: bad bytes get a quiet problem+json 4xx, every answer carries the security headers, /v1 is
 * never cached, CORS is off unless asked for, and X-Forwarded-For is believed from TRUSTED_PROXIES only.
 */
const MOBILE = { phoneNumber: '+1 425 555 0100', phoneType: 'mobile', deliveryMethod: 'sms' };
const ADD = '/v1/me/security-info/phone-methods';

function expectProblem(
  res: { status: number; headers: Record<string, string>; body: unknown },
  status: number,
) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = (Buffer.isBuffer(res.body) ? JSON.parse(res.body.toString()) : res.body) as Record<
    string,
    unknown
  >;
  expect(body).toMatchObject({ status, code: expect.any(String), detail: expect.any(String) });
  return body;
}

/** Everything the process writes to stdout and stderr while `run` runs. */
async function outputOf(run: () => Promise<void>): Promise<string> {
  let written = '';
  const capture = (stream: NodeJS.WriteStream) => {
    const original = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      written += chunk.toString();
      return original(chunk, ...rest);
    }) as typeof stream.write;
    return () => (stream.write = original);
  };
  const restore = [capture(process.stdout), capture(process.stderr)];
  const errors = jest.spyOn(console, 'error');
  try {
    await run();
  } finally {
    restore.forEach((r) => r());
  }
  written += errors.mock.calls.map((c) => c.join(' ')).join('\n');
  errors.mockRestore();
  return written;
}

describe('The HTTP edge', () => {
  let signet: SignetTestApp;
  let person: Person;
  let token: string;

  beforeAll(async () => {
    signet = await SignetTestApp.start();
    person = await Person.signIn(signet, 'edge-user');
    token = await signet.token('edge-user');
  });
  afterAll(() => signet.stop());

  const post = (headers: Record<string, string>, body: Buffer | string) =>
    signet
      .http()
      .post(ADD)
      .set({ Authorization: `Bearer ${token}`, ...headers })
      // Bytes as they are (superagent would serialise a Buffer as JSON).
      .serialize((bytes: unknown) => bytes as string)
      .buffer(true)
      .parse((res, done) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => done(null, text ? JSON.parse(text) : {}));
      })
      .send(body);

  describe('bad bytes get 413, 415 or 400 problem+json, quietly', () => {
    const json = { 'Content-Type': 'application/json' };
    const cases: [string, () => ReturnType<typeof post>, number, string][] = [
      ['a 1 MB body', () => post(json, `{"phoneNumber":"${'1'.repeat(1 << 20)}"}`), 413, 'body-too-large'],
      ['a 10 MB body', () => post(json, Buffer.alloc(10 << 20, 0x20)), 413, 'body-too-large'],
      [
        'an unknown Content-Encoding',
        () => post({ ...json, 'Content-Encoding': 'x-snappy' }, '{}'),
        415,
        'unsupported-content-encoding',
      ],
      [
        'a broken gzip',
        () => post({ ...json, 'Content-Encoding': 'gzip' }, Buffer.from('not gzip at all')),
        400,
        'malformed-body',
      ],
      [
        'a gzip bomb (20 MB of spaces in 20 KB)',
        () => post({ ...json, 'Content-Encoding': 'gzip' }, gzipSync(Buffer.alloc(20 << 20, 0x20))),
        413,
        'body-too-large',
      ],
      [
        'a non-UTF-8 charset',
        () => post({ 'Content-Type': 'application/json; charset=latin1' }, '{}'),
        415,
        'unsupported-charset',
      ],
      [
        'a 5,000-level nested JSON',
        () => post(json, '['.repeat(5000) + ']'.repeat(5000)),
        400,
        'body-too-deep',
      ],
      [
        'a 2,500-level nested object',
        () => post(json, '{"a":'.repeat(2500) + '1' + '}'.repeat(2500)),
        400,
        'body-too-deep',
      ],
      ['malformed JSON', () => post(json, '{"phoneNumber":'), 400, 'malformed-body'],
      [
        'a body that is not JSON',
        () => post({ 'Content-Type': 'text/plain' }, 'hello'),
        415,
        'unsupported-media-type',
      ],
      ['a bare JSON string', () => post(json, '"hello"'), 400, 'malformed-body'],
    ];

    it.each(cases)('%s', async (_name, send, status, code) => {
      let res!: Awaited<ReturnType<typeof post>>;
      const output = await outputOf(async () => {
        res = await send();
      });
      expect(expectProblem(res, status).code).toBe(code);
      // One short line at most, never a stack trace.
      expect(output.length).toBeLessThan(500);
      expect(output).not.toMatch(/\n\s+at /);
    });

    it('takes a body just under MAX_BODY_BYTES, gzip-compressed too', async () => {
      const body = JSON.stringify({ ...MOBILE, padding: ' '.repeat(15_000) });
      const res = await person.addPhone(JSON.parse(body) as object);
      // The body reached validation (which refuses the unknown field), so the parser took it.
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('validation-failed');
      const gzipped = await post(
        { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
        gzipSync(body),
      );
      expect(gzipped.status).toBe(400);
      expect((gzipped.body as { code: string }).code).toBe('validation-failed');
    });
  });

  describe('headers on every answer', () => {
    it('/v1 answers carry Cache-Control: no-store and the security headers; errors too', async () => {
      const page = await person.post('/v1/me/security-info/phone-methods', MOBILE);
      const missing = await signet.http().get('/v1/nothing-here');
      const unauthenticated = await signet.http().get('/v1/me/security-info');
      for (const res of [page, missing, unauthenticated]) {
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.headers['x-frame-options']).toBe('DENY');
        expect(res.headers['referrer-policy']).toBe('no-referrer');
        expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      }
    });

    it('answers outside /v1 carry the security headers (health, the OpenAPI document)', async () => {
      for (const path of ['/health/live', '/openapi.json']) {
        const res = await signet.http().get(path);
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.headers['x-frame-options']).toBe('DENY');
        expect(res.headers['referrer-policy']).toBe('no-referrer');
        expect(res.headers['x-powered-by']).toBeUndefined();
      }
    });

    it('CORS is off by default: no Access-Control-Allow-Origin for any origin', async () => {
      const res = await signet
        .http()
        .get('/v1/me/security-info')
        .set({ Authorization: `Bearer ${token}`, Origin: 'https://evil.example' });
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      const preflight = await signet
        .http()
        .options(ADD)
        .set({ Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' });
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    });
  });
});

describe('CORS_ORIGINS', () => {
  let signet: SignetTestApp;
  beforeAll(async () => {
    signet = await SignetTestApp.start({ CORS_ORIGINS: 'https://portal.example, http://localhost:5173' });
  });
  afterAll(() => signet.stop());

  it('allows the listed origins, with the headers front ends need, and no other', async () => {
    const preflight = await signet.http().options(ADD).set({
      Origin: 'https://portal.example',
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'authorization, content-type, if-match, idempotency-key',
    });
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://portal.example');
    for (const header of ['Authorization', 'If-Match', 'Idempotency-Key'])
      expect(preflight.headers['access-control-allow-headers']).toContain(header);

    const token = await signet.token('cors-user');
    const page = await signet
      .http()
      .get('/v1/me/security-info')
      .set({ Authorization: `Bearer ${token}`, Origin: 'https://portal.example' });
    expect(page.headers['access-control-allow-origin']).toBe('https://portal.example');
    // ETag, X-Read-Model-Position and Retry-After readable; If-Match and Idempotency-Key sendable (above).
    for (const header of ['ETag', 'X-Read-Model-Position', 'Retry-After', 'RateLimit'])
      expect(page.headers['access-control-expose-headers']).toContain(header);

    const other = await signet
      .http()
      .get('/v1/me/security-info')
      .set({ Authorization: `Bearer ${token}`, Origin: 'https://evil.example' });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('The client address in the audit trail', () => {
  const addressOf = async (signet: SignetTestApp, userId: string, forwardedFor: string) => {
    const person = await Person.signIn(signet, userId);
    await person.addPhone(MOBILE, { 'X-Forwarded-For': forwardedFor }).expect(201);
    const [first] = await signet.streamOf(userId);
    return (first.metadata as { clientAddress: string }).clientAddress;
  };

  it('ignores X-Forwarded-For by default: a client cannot forge its address', async () => {
    const signet = await SignetTestApp.start();
    try {
      const address = await addressOf(signet, 'forger', '203.0.113.66');
      expect(address).not.toContain('203.0.113.66');
      expect(address).toMatch(/127\.0\.0\.1|::1/);
    } finally {
      await signet.stop();
    }
  });

  it('believes X-Forwarded-For from a proxy in TRUSTED_PROXIES', async () => {
    const signet = await SignetTestApp.start({
      TRUSTED_PROXIES: '127.0.0.1/8, ::1/128, ::ffff:127.0.0.1/128',
    });
    try {
      expect(await addressOf(signet, 'proxied', '198.51.100.7, 203.0.113.66')).toBe('203.0.113.66');
    } finally {
      await signet.stop();
    }
  });
});

describe('Idempotency-Key compares a canonical form of the body', () => {
  let signet: SignetTestApp;
  beforeAll(async () => {
    signet = await SignetTestApp.start();
  });
  afterAll(() => signet.stop());

  it('replays the same fields in another order (and other spacing) as the same request', async () => {
    const token = await signet.token('canonical');
    const send = (raw: string) =>
      signet
        .http()
        .post(ADD)
        .set({
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
          'Idempotency-Key': 'same-request',
        })
        .send(raw);
    const first = await send(
      '{"phoneNumber":"+1 425 555 0100","phoneType":"mobile","deliveryMethod":"sms"}',
    ).expect(201);
    const reordered = await send(
      '{ "deliveryMethod": "sms",\n  "phoneType": "mobile", "phoneNumber": "+1 425 555 0100" }',
    ).expect(201);
    expect(reordered.headers['idempotent-replayed']).toBe('true');
    expect(reordered.body).toEqual(first.body);
    expect((await signet.streamOf('canonical')).map((e) => e.type)).toEqual(['PhoneMethodAdded', 'CodeSent']);
    // Another value is another request.
    const other = await send('{"phoneNumber":"+1 425 555 0101","phoneType":"mobile","deliveryMethod":"sms"}');
    expect(other.status).toBe(422);
  });
});
