import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../log.ts';
import { type AdminServer, adminBodyLimit, startAdmin } from './admin.ts';
import { connectToRuntime } from './client.ts';
import { type Compiled, ControlPlane } from './plane.ts';

const service = (name: string) =>
  `apiVersion: v1\nkind: Service\nmetadata: { name: ${name}, namespace: music }\nspec: { ports: [{ port: 80 }] }\n`;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request, so Host, Origin and the body can be anything a browser or an attacker sends. */
function send(
  url: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}${options.path}`,
      { method: options.method ?? 'GET', headers: options.headers ?? {} },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('the admin API', () => {
  let dataDir: string;
  let admin: AdminServer;
  let plane: ControlPlane;
  let host: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'music-mesh-admin-'));
    plane = new ControlPlane<Compiled>({
      compile: (): Compiled => ({ warnings: [] }),
      install: () => {},
      log: silentLogger,
    });
    admin = await startAdmin(
      { port: 0, host: '127.0.0.1', dataDir },
      { plane, info: { dataDir }, log: silentLogger },
    );
    host = new URL(admin.url).host;
  });

  afterAll(async () => {
    await admin?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const authorized = (headers: Record<string, string> = {}) => ({
    authorization: `Bearer ${admin.token}`,
    ...headers,
  });
  const applyJson = (text: string, headers: Record<string, string> = authorized()) =>
    send(admin.url, {
      method: 'POST',
      path: '/v1/apply',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ documents: [{ file: 'x.yaml', text }] }),
    });

  it('writes its address and a random token to admin.json, readable by its user only', async () => {
    const file = join(dataDir, 'admin.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const written = JSON.parse(await readFile(file, 'utf8')) as { url: string; token: string };
    expect(written.url).toBe(admin.url);
    expect(written.token).toBe(admin.token);
    expect(Buffer.from(admin.token, 'base64url')).toHaveLength(32);
    const client = await connectToRuntime(dataDir);
    expect(await client.status()).toMatchObject({ dataDir });
  });

  it('answers 401 with WWW-Authenticate to a request without the token or with a wrong one', async () => {
    for (const headers of [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: admin.token },
      { authorization: `Basic ${admin.token}` },
    ]) {
      for (const path of ['/v1/status', '/v1/resources/services']) {
        const answer = await send(admin.url, { path, headers });
        expect(answer.status).toBe(401);
        expect(answer.headers['www-authenticate']).toMatch(/^Bearer/);
        expect(answer.headers['content-type']).toBe('application/problem+json');
        expect(answer.body).not.toContain(dataDir);
      }
    }
    expect((await applyJson(service('a'), {})).status).toBe(401);
    expect(plane.resources()).toHaveLength(0);
  });

  it('refuses another Host (DNS rebinding) even with the token, and accepts its loopback names', async () => {
    const port = new URL(admin.url).port;
    for (const name of [
      `evil.example:${port}`,
      `127.0.0.1.evil.example:${port}`,
      '127.0.0.1',
      `127.0.0.1:1`,
    ]) {
      const answer = await applyJson(service('rebound'), authorized({ host: name }));
      expect(answer.status).toBe(421);
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'HOST_NOT_ALLOWED' });
    }
    for (const name of [`localhost:${port}`, `[::1]:${port}`, host]) {
      expect(
        (await send(admin.url, { path: '/v1/status', headers: authorized({ host: name }) })).status,
      ).toBe(200);
    }
    expect(plane.resources()).toHaveLength(0);
  });

  it('refuses a request from a page of another origin, and sends no CORS headers, preflight included', async () => {
    for (const origin of ['http://evil.example', 'null', `http://localhost:1`]) {
      const answer = await applyJson(service('cross'), authorized({ origin }));
      expect(answer.status).toBe(403);
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'ORIGIN_NOT_ALLOWED' });
    }
    const preflight = await send(admin.url, {
      method: 'OPTIONS',
      path: '/v1/apply',
      headers: {
        origin: 'http://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(preflight.status).toBe(403);
    const options = await send(admin.url, { method: 'OPTIONS', path: '/v1/apply', headers: authorized() });
    expect(options.status).toBe(405);
    expect(options.headers.allow).toBe('POST');
    for (const answer of [preflight, options]) {
      expect(Object.keys(answer.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    }
    expect(
      (await send(admin.url, { path: '/v1/status', headers: authorized({ origin: admin.url }) })).status,
    ).toBe(200);
    expect(plane.resources()).toHaveLength(0);
  });

  it('accepts a body only as JSON (or YAML for apply): text/plain and forms get 415', async () => {
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const answer = await applyJson(service('typed'), authorized({ 'content-type': type }));
      expect(answer.status).toBe(415);
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    }
    const yaml = await send(admin.url, {
      method: 'POST',
      path: '/v1/apply?file=svc.yaml',
      headers: authorized({ 'content-type': 'application/yaml' }),
      body: service('from-yaml'),
    });
    expect(yaml.status).toBe(200);
    expect(JSON.parse(yaml.body).results[0]).toMatchObject({ name: 'from-yaml', action: 'created' });
    const deleteAsYaml = await send(admin.url, {
      method: 'POST',
      path: '/v1/delete',
      headers: authorized({ 'content-type': 'text/yaml' }),
      body: service('from-yaml'),
    });
    expect(deleteAsYaml.status).toBe(415);
  });

  it('answers 413 to a body over 4 MiB, declared or streamed', async () => {
    const big = Buffer.alloc(adminBodyLimit + 1, 0x20);
    const declared = await send(admin.url, {
      method: 'POST',
      path: '/v1/apply',
      headers: authorized({ 'content-type': 'application/json' }),
      body: big,
    });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body)).toMatchObject({ code: 'BODY_TOO_LARGE' });
    const streamed = await send(admin.url, {
      method: 'POST',
      path: '/v1/apply',
      headers: authorized({ 'content-type': 'application/json', 'transfer-encoding': 'chunked' }),
      body: big,
    });
    expect(streamed.status).toBe(413);
    expect((await send(admin.url, { path: '/v1/status', headers: authorized() })).status).toBe(200);
  });

  it('refuses an apply or delete without objects as kubectl does', async () => {
    for (const text of ['', '# only a comment\n---\n---\n']) {
      const answer = await applyJson(text);
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toMatchObject({ detail: 'no objects passed to apply' });
      const removal = await send(admin.url, {
        method: 'POST',
        path: '/v1/delete',
        headers: authorized({ 'content-type': 'application/json' }),
        body: JSON.stringify({ documents: [{ file: 'x.yaml', text }] }),
      });
      expect(JSON.parse(removal.body)).toMatchObject({ detail: 'no objects passed to delete' });
    }
  });

  it('answers a refused manifest with 422 listing every problem with its file and field', async () => {
    const answer = await applyJson(
      'apiVersion: v1\nkind: Service\nmetadata: { name: back, namespace: music }\nspec:\n  selectr: { app: back }\n  ports: [{ port: 99999 }]\n',
    );
    expect(answer.status).toBe(422);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    const problem = JSON.parse(answer.body);
    expect(problem.detail).toBe(
      'x.yaml: 2 problems: unknown field "spec.selectr"; did you mean "selector"?; spec.ports[0].port: port number 99999 must be in the range 1..65535',
    );
    expect(problem.errors).toEqual([
      {
        file: 'x.yaml',
        field: 'spec.selectr',
        detail: 'unknown field "spec.selectr"; did you mean "selector"?',
      },
      {
        file: 'x.yaml',
        field: 'spec.ports[0].port',
        detail: 'spec.ports[0].port: port number 99999 must be in the range 1..65535',
      },
    ]);
  });

  it('answers a YAML alias bomb with 422 naming the problem, not an internal error', async () => {
    const levels = ['a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]'];
    for (let level = 1; level < 9; level++) {
      const [name, previous] = [String.fromCharCode(97 + level), String.fromCharCode(96 + level)];
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`);
    }
    const answer = await applyJson(levels.join('\n'));
    expect(answer.status).toBe(422);
    expect(JSON.parse(answer.body).detail).toBe(
      'x.yaml: invalid YAML: too many aliases (at most 100 expansions per document)',
    );
  });

  it('answers a request it cannot parse with problem+json, and keeps serving', async () => {
    const { connect } = await import('node:net');
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(admin.url).port), '127.0.0.1');
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk;
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
      socket.end('GET /v1/status HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw).toContain('application/problem+json');
    expect((await send(admin.url, { path: '/v1/status', headers: authorized() })).status).toBe(200);
  });
});
