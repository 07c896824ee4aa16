import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { closeAll, startPair } from './spotify-pair.ts';

afterEach(closeAll);

describe('tracks from Spotify', () => {
  it('searches Spotify and answers tracks with X-Total-Count and Link paging headers', async () => {
    const pair = await startPair();
    const answer = await pair.get('/client/api/search?q=love&limit=5&offset=5');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-served-by')).toBe('client-v1');
    expect(answer.headers.get('x-cache')).toBe('MISS');
    const total = Number(answer.headers.get('x-total-count'));
    expect(total).toBeGreaterThan(10);
    const link = answer.headers.get('link') ?? '';
    expect(link).toContain('</client/api/search?q=love&limit=5&offset=0>; rel="first"');
    expect(link).toContain('</client/api/search?q=love&limit=5&offset=0>; rel="prev"');
    expect(link).toContain('</client/api/search?q=love&limit=5&offset=10>; rel="next"');
    expect(link).toContain('rel="last"');
    expect(answer.body).toHaveLength(5);
    for (const track of answer.body) {
      expect(track).toEqual({
        id: expect.stringMatching(/^[0-9A-Za-z]{22}$/),
        title: expect.any(String),
        artist: expect.any(String),
        album: expect.any(String),
        durationMs: expect.any(Number),
        spotifyId: track.id,
        popularity: expect.any(Number),
        albumArtUrl: expect.stringContaining(`${pair.sandboxUrl}/images/`),
        previewUrl: null,
        releaseYear: expect.any(Number),
      });
    }
  });

  it('answers a repeated search from its cache without calling Spotify', async () => {
    const pair = await startPair();
    await pair.get('/client/api/search?q=queen');
    const again = await pair.get('/client/api/search?q=queen');
    expect(again.headers.get('x-cache')).toBe('HIT');
    expect(pair.traffic.api).toBe(1);
  });

  it('serves one track by its Spotify id, and a 404 problem for an id Spotify does not know', async () => {
    const pair = await startPair();
    const [creep] = (await pair.get('/client/api/search?q=artist:radiohead track:creep')).body;
    const track = await pair.get(`/client/api/tracks/${creep.id}`);
    expect(track.status).toBe(200);
    expect(track.body).toMatchObject({
      id: creep.id,
      title: 'Creep',
      artist: 'Radiohead',
      album: 'Pablo Honey',
      durationMs: 238_000,
      releaseYear: 1992,
    });
    const unknown = await pair.get('/client/api/tracks/0000000000000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(unknown.body).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('answers 400 naming the field: its own checks for limit, Spotify refusing a blank q', async () => {
    const pair = await startPair();
    const badLimit = await pair.get('/client/api/search?q=love&limit=0');
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.errors).toEqual([{ field: 'limit', message: expect.any(String) }]);
    expect(pair.traffic.api).toBe(0);
    const blank = await pair.get('/client/api/search?q=%20%20');
    expect(blank.status).toBe(400);
    expect(blank.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'q' }] });
    expect(blank.body.detail).toContain('No search query');
  });

  it('forwards the incoming trace headers on its calls to Spotify', async () => {
    const pair = await startPair();
    const trace = {
      'x-request-id': 'c0ffee00-1111-2222-3333-444455556666',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      tracestate: 'music=1',
      'x-b3-traceid': '80f198ee56343ba864fe8b2a57d3eff7',
      'x-b3-spanid': 'e457b5a2e4d86bd1',
      'x-b3-sampled': '1',
    };
    expect((await pair.get('/client/api/search?q=abba', trace)).status).toBe(200);
    expect(pair.traffic.apiHeaders[0]).toMatchObject(trace);
  });

  it('fetches one token for concurrent calls and reuses it across calls', async () => {
    const pair = await startPair();
    const answers = await Promise.all(
      ['queen', 'abba', 'prince', 'blur', 'oasis'].map((q) => pair.get(`/client/api/search?q=${q}`)),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    await pair.get('/client/api/search?q=pulp');
    expect(pair.traffic.token).toBe(1);
    expect(pair.traffic.api).toBe(6);
  });

  it('refreshes the token before it expires, so Spotify never sees an expired one', async () => {
    const pair = await startPair({ sandbox: { SANDBOX_TOKEN_TTL_SECONDS: '1' } });
    await pair.get('/client/api/search?q=queen');
    await new Promise((resolve) => setTimeout(resolve, 950));
    expect((await pair.get('/client/api/search?q=abba')).status).toBe(200);
    expect(pair.traffic.token).toBe(2);
    expect(pair.traffic.unauthorized).toBe(0);
  });

  it('answers FAILURE_RATE requests with 500 and adds EXTRA_LATENCY_MS, on the API only', async () => {
    const pair = await startPair({ client: { FAILURE_RATE: '1', EXTRA_LATENCY_MS: '60' } });
    const failed = await pair.get('/client/api/search?q=queen');
    expect(failed.status).toBe(500);
    expect(failed.body.code).toBe('INJECTED_FAILURE');
    expect(failed.elapsedMs).toBeGreaterThanOrEqual(55);
    expect(pair.traffic.api).toBe(0);
    expect((await pair.get('/client/management/health/readiness')).status).toBe(200);
  });

  it('refuses to start without Spotify credentials, naming the variable', () => {
    expect(() => loadConfig({ SPOTIFY_CLIENT_ID: 'id' })).toThrow(/SPOTIFY_CLIENT_SECRET/);
    expect(() => loadConfig({ SPOTIFY_CLIENT_SECRET: 's3cret' })).toThrow(/SPOTIFY_CLIENT_ID/);
    expect(() =>
      loadConfig({ SPOTIFY_CLIENT_ID: 'id', SPOTIFY_CLIENT_SECRET: 's3cret-value' }),
    ).not.toThrow();
  });
});
