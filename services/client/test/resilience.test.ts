import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CLIENT_ID, CLIENT_SECRET, closeAll, startClient, startPair } from './spotify-pair.ts';

afterEach(closeAll);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('when Spotify misbehaves', () => {
  it('fetches a new token and retries once when Spotify says the token expired mid-flight', async () => {
    const pair = await startPair({ sandbox: { SANDBOX_TOKEN_TTL_SECONDS: '3600' } });
    await pair.get('/client/api/search?q=queen');
    pair.clock.offsetMs = 3_601_000;
    const answer = await pair.get('/client/api/search?q=abba');
    expect(answer.status).toBe(200);
    expect(pair.traffic.unauthorized).toBe(1);
    expect(pair.traffic.token).toBe(2);
  });

  it('waits out a short Retry-After on 429, then answers', async () => {
    const pair = await startPair({
      sandbox: { SANDBOX_RATE_LIMIT: '1', SANDBOX_RATE_WINDOW_SECONDS: '1' },
      client: { SPOTIFY_MAX_RETRY_AFTER_SECONDS: '2' },
    });
    expect((await pair.get('/client/api/search?q=queen')).status).toBe(200);
    const answer = await pair.get('/client/api/search?q=abba');
    expect(answer.status).toBe(200);
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(900);
    expect(answer.elapsedMs).toBeLessThan(2_500);
  });

  it('answers 503 with Retry-After at once when Spotify asks to wait longer than the cap', async () => {
    const pair = await startPair({
      sandbox: { SANDBOX_RATE_LIMIT: '1', SANDBOX_RATE_WINDOW_SECONDS: '60' },
      client: { SPOTIFY_MAX_RETRY_AFTER_SECONDS: '2' },
    });
    await pair.get('/client/api/search?q=queen');
    const answer = await pair.get('/client/api/search?q=abba');
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({
      code: 'SPOTIFY_RATE_LIMITED',
      detail: expect.stringMatching(/^Spotify/),
    });
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect(answer.elapsedMs).toBeLessThan(500);
  });

  it('retries 5xx answers, then opens the circuit and answers 503 without calling Spotify', async () => {
    const pair = await startPair({ client: { SPOTIFY_RETRIES: '1', SPOTIFY_BREAKER_THRESHOLD: '3' } });
    pair.faults.failureRate = 1;
    const first = await pair.get('/client/api/search?q=queen');
    expect(first.status).toBe(503);
    expect(first.body).toMatchObject({
      code: 'SPOTIFY_UNAVAILABLE',
      detail: expect.stringMatching(/^Spotify is unavailable/),
    });
    expect(pair.traffic.api).toBe(2);
    const second = await pair.get('/client/api/search?q=queen');
    expect(second.status).toBe(503);
    expect(pair.traffic.api).toBe(3);
    const third = await pair.get('/client/api/search?q=abba');
    expect(third.status).toBe(503);
    expect(third.body.code).toBe('SPOTIFY_CIRCUIT_OPEN');
    expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(third.elapsedMs).toBeLessThan(100);
    expect(pair.traffic.api).toBe(3);
  });

  it('half-opens the circuit after the cool-down and closes it once Spotify recovers', async () => {
    const pair = await startPair({
      client: { SPOTIFY_RETRIES: '0', SPOTIFY_BREAKER_THRESHOLD: '1', SPOTIFY_BREAKER_COOLDOWN_MS: '300' },
    });
    pair.faults.failureRate = 1;
    expect((await pair.get('/client/api/search?q=queen')).body.code).toBe('SPOTIFY_UNAVAILABLE');
    expect((await pair.get('/client/api/search?q=queen')).body.code).toBe('SPOTIFY_CIRCUIT_OPEN');
    pair.faults.failureRate = 0;
    await sleep(350);
    expect((await pair.get('/client/api/search?q=queen')).status).toBe(200);
    expect((await pair.get('/client/api/search?q=abba')).status).toBe(200);
    expect(pair.traffic.api).toBe(3);
  });

  it('answers 504 naming Spotify when Spotify is slower than SPOTIFY_TIMEOUT_MS', async () => {
    const pair = await startPair({ client: { SPOTIFY_TIMEOUT_MS: '150', SPOTIFY_RETRIES: '1' } });
    await pair.get('/client/api/search?q=queen');
    pair.faults.extraLatencyMs = 600;
    const answer = await pair.get('/client/api/search?q=abba');
    expect(answer.status).toBe(504);
    expect(answer.body).toMatchObject({
      code: 'SPOTIFY_TIMEOUT',
      detail: 'Spotify is unavailable: it did not answer within 150 ms.',
    });
    expect(answer.elapsedMs).toBeLessThan(550);
  });

  it('answers 502 naming Spotify, not 500, when Spotify sends malformed JSON with a 200', async () => {
    const broken = await listen(
      createServer((request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          request.url === '/api/token'
            ? JSON.stringify({ access_token: 'BQbroken', token_type: 'Bearer', expires_in: 3600 })
            : '{"tracks": {"items": [',
        );
      }),
    );
    const client = await startClient(broken.url, { SPOTIFY_RETRIES: '0' });
    const answer = await client.get('/client/api/search?q=queen');
    expect(answer.status).toBe(502);
    expect(answer.body).toMatchObject({
      code: 'SPOTIFY_BAD_RESPONSE',
      detail: 'Spotify is unavailable: it sent malformed JSON.',
    });
    await broken.close();
  });

  it('serves the last good answer with X-Cache: STALE while Spotify fails', async () => {
    const pair = await startPair({ client: { CLIENT_CACHE_TTL_SECONDS: '0', SPOTIFY_RETRIES: '0' } });
    const fresh = await pair.get('/client/api/search?q=queen&limit=3');
    const [track] = fresh.body;
    expect((await pair.get(`/client/api/tracks/${track.id}`)).headers.get('x-cache')).toBe('MISS');
    pair.faults.failureRate = 1;
    const stale = await pair.get('/client/api/search?q=queen&limit=3');
    expect(stale.status).toBe(200);
    expect(stale.headers.get('x-cache')).toBe('STALE');
    expect(stale.body).toEqual(fresh.body);
    expect(stale.headers.get('x-total-count')).toBe(fresh.headers.get('x-total-count'));
    const staleTrack = await pair.get(`/client/api/tracks/${track.id}`);
    expect(staleTrack.headers.get('x-cache')).toBe('STALE');
    expect(staleTrack.body).toEqual(track);
    expect((await pair.get('/client/api/search?q=abba')).status).toBe(503);
  });

  it('answers 503 when Spotify cannot be reached at all', async () => {
    const gone = await listen(createServer());
    await gone.close();
    const client = await startClient(gone.url, { SPOTIFY_RETRIES: '1' });
    const answer = await client.get('/client/api/tracks/0000000000000000000000');
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({
      code: 'SPOTIFY_UNAVAILABLE',
      detail: 'Spotify is unavailable: it could not be reached.',
    });
  });

  it('never writes the client secret, its Basic form or access tokens to the logs', async () => {
    const pair = await startPair({ sandbox: { SANDBOX_TOKEN_TTL_SECONDS: '3600' } });
    await pair.get('/client/api/search?q=queen', { authorization: 'Bearer caller-token' });
    pair.clock.offsetMs = 3_601_000;
    await pair.get('/client/api/search?q=abba');
    pair.faults.failureRate = 1;
    await pair.get('/client/api/search?q=prince');
    const refused = await startClient(pair.sandboxUrl, { SPOTIFY_CLIENT_SECRET: 'not-the-secret-4711' });
    const answer = await refused.get('/client/api/search?q=queen');
    expect(answer.body.code).toBe('SPOTIFY_CREDENTIALS_REJECTED');
    expect(JSON.stringify(answer.body)).not.toContain('not-the-secret-4711');

    const logs = [...pair.logs, ...refused.logs].join('');
    expect(logs).toContain('retrying Spotify call');
    expect(logs).toContain('Spotify rejected the client credentials');
    for (const secret of [
      CLIENT_SECRET,
      'not-the-secret-4711',
      Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64'),
      'caller-token',
      'Bearer BQ',
    ]) {
      expect(logs).not.toContain(secret);
    }
  });
});

async function listen(server: Server): Promise<{ url: string; close: () => Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
