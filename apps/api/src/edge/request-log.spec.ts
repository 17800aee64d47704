import express, { type NextFunction, type Request, type Response } from 'express';
import { request as httpRequest, type Server } from 'node:http';
import pino from 'pino';
import request from 'supertest';
import { requestLog } from './request-log';

/** The API's request log on a bare Express app, its lines read back as JSON. */
function loggedApp(): { app: express.Express; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { base: { pid: 1 }, formatters: { level: (label) => ({ level: label }) } },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const app = express();
  app.use((req: Request & { origin?: object }, _res: Response, next: NextFunction) => {
    req.origin = { requestId: 'req-1', correlationId: 'corr-1' };
    next();
  });
  app.use(requestLog(logger));
  const router = express.Router();
  router.post('/things/:id', (req: Request & { principal?: object }, res: Response) => {
    req.principal = { subject: 'alice' };
    res.status(201).json({ ok: true });
  });
  router.get('/broken', (_req, res) => void res.status(503).json({}));
  router.get('/slow', () => undefined);
  app.use('/v1', router);
  return { app, lines };
}

describe('requestLog', () => {
  it('writes one line per answer, with the fields in the order the docs show', async () => {
    const { app, lines } = loggedApp();
    await request(app).post('/v1/things/42?x=1').send({ phoneNumber: '+14255550100' }).expect(201);

    expect(lines).toHaveLength(1);
    const { time, ...line } = lines[0];
    expect(time).toEqual(expect.any(Number));
    expect(Object.keys(line)).toEqual([
      'level',
      'pid',
      'requestId',
      'req',
      'correlationId',
      'userId',
      'route',
      'res',
      'ms',
      'msg',
    ]);
    expect(line).toMatchObject({
      level: 'info',
      requestId: 'req-1',
      req: { method: 'POST', url: '/v1/things/42?x=1' },
      correlationId: 'corr-1',
      userId: 'alice',
      route: '/v1/things/:id',
      res: { statusCode: 201 },
      msg: expect.stringMatching(/^POST \/v1\/things\/42 201 \d+ ms$/),
    });
    expect(JSON.stringify(lines)).not.toContain('4255550100');
  });

  it('logs a 5xx as an error, and an unmatched route with none', async () => {
    const { app, lines } = loggedApp();
    await request(app).get('/v1/broken').expect(503);
    await request(app).get('/nowhere').expect(404);

    expect(lines[0]).toMatchObject({
      level: 'error',
      route: '/v1/broken',
      userId: null,
      res: { statusCode: 503 },
      err: { message: 'failed with status code 503' },
      msg: 'GET /v1/broken 503',
    });
    expect(lines[1]).toMatchObject({ level: 'info', route: null, res: { statusCode: 404 } });
  });

  it('logs a request its client gave up on once, when the connection closes', async () => {
    const { app, lines } = loggedApp();
    const server: Server = app.listen(0);
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => {
      const client = httpRequest({ port, path: '/v1/slow' });
      client.on('error', () => undefined);
      client.end(() => setTimeout(() => (client.destroy(), resolve()), 50));
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    server.close();

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ requestId: 'req-1', req: { method: 'GET', url: '/v1/slow' } });
    expect(lines[0]).not.toHaveProperty('userId');
  });
});
