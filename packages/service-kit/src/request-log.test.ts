import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createServiceApp } from './app.ts';
import { registerHealth } from './health.ts';
import { registerMetrics } from './metrics.ts';
import { redactUrl, serviceLoggerOptions } from './request-log.ts';

describe('service request logs', () => {
  it('never print a credential passed in the query string or a header', async () => {
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    const app = createServiceApp({ bodyLimit: 1024, logger: serviceLoggerOptions('info', stream) });
    app.get('/callback', async () => ({ ok: true }));
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const response = await fetch(
        `${address}/callback?state=visible&code=c0de-secret&access_token=tok-secret&api_key=key-secret`,
        { headers: { authorization: 'Bearer bearer-secret', cookie: 'session=cookie-secret' } },
      );
      expect(response.status).toBe(200);
      await expect.poll(() => lines.join('').includes('request completed'), { timeout: 10_000 }).toBe(true);
      const log = lines.join('');
      expect(log).toContain(
        '/callback?state=visible&code=[redacted]&access_token=[redacted]&api_key=[redacted]',
      );
      expect(log).not.toMatch(/secret/);
    } finally {
      await app.close();
    }
  });

  it('put health probes and metrics scrapes at debug, and every other request at info', async () => {
    const run = async (level: string) => {
      const lines: string[] = [];
      const stream = new PassThrough();
      stream.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
      const app = createServiceApp({ bodyLimit: 1024, logger: serviceLoggerOptions(level, stream) });
      registerMetrics(app, { prefix: '/back/management', labels: { app: 'back', version: 'v1' } });
      registerHealth(app, { prefix: '/back/management', readiness: {} });
      app.get('/back/api/tracks', async () => []);
      const address = await app.listen({ host: '127.0.0.1', port: 0 });
      try {
        for (const path of ['health', 'health/readiness', 'health/liveness', 'prometheus']) {
          expect((await fetch(`${address}/back/management/${path}`)).status).toBe(200);
        }
        expect((await fetch(`${address}/back/api/tracks`)).status).toBe(200);
        await expect.poll(() => lines.join('').includes('/back/api/tracks'), { timeout: 10_000 }).toBe(true);
        await expect
          .poll(() => lines.filter((line) => line.includes('request completed')).length, { timeout: 10_000 })
          .toBe(level === 'debug' ? 5 : 1);
        return lines.join('');
      } finally {
        await app.close();
      }
    };
    expect(await run('info')).not.toContain('/management/');
    expect(await run('debug')).toContain('/back/management/prometheus');
  });

  it('leave URLs without credentials as they are', () => {
    expect(redactUrl('/back/api/tracks?page=2&size=20&sort=title,asc')).toBe(
      '/back/api/tracks?page=2&size=20&sort=title,asc',
    );
    expect(redactUrl('/api/account')).toBe('/api/account');
    expect(redactUrl('/x?id_token=abc&keyword=rock')).toBe('/x?id_token=[redacted]&keyword=rock');
  });
});
