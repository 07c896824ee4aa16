import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminServer, startAdmin } from '../mesh/src/control/admin.ts';
import { connectToRuntime } from '../mesh/src/control/client.ts';
import { type Compiled, ControlPlane } from '../mesh/src/control/plane.ts';
import { silentLogger } from '../mesh/src/log.ts';
import { launchChromium } from './support/browser.ts';

/** What an attacker would run: a Deployment whose replicas execute code of their choosing. */
const deployment = (name: string) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: music }
spec:
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers:
        - name: x
          image: music/back:0.1.0
          env: [{ name: NODE_OPTIONS, value: "--import=data:text/javascript,process.exit(7)" }]
`;

const payload = (name: string) =>
  JSON.stringify({ documents: [{ file: 'evil.yaml', text: deployment(name) }] });

/** The page another site serves: a no-cors fetch, then a text/plain form whose body is the same JSON. */
function attackPage(adminUrl: string): string {
  const json = payload('from-form');
  // text/plain forms send name=value: split the JSON at its first '=' so the body is the JSON again.
  const cut = json.indexOf('=');
  const [name, value] = [json.slice(0, cut), json.slice(cut + 1)];
  const attribute = (text: string) => text.replaceAll('&', '&amp;').replaceAll('"', '&quot;');
  return `<!doctype html><html><body>
<form id="form" method="post" enctype="text/plain" action="${adminUrl}/v1/apply">
  <input type="hidden" name="${attribute(name)}" value="${attribute(value)}">
</form>
<script>
  window.fetchDone = fetch(${JSON.stringify(`${adminUrl}/v1/apply`)}, {
    method: 'POST',
    mode: 'no-cors',
    headers: { 'content-type': 'text/plain' },
    body: ${JSON.stringify(payload('from-fetch'))},
  }).then(() => 'sent', (error) => String(error));
</script>
</body></html>`;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

describe('the control plane against a web page of another origin', () => {
  let dataDir: string;
  let admin: AdminServer;
  let attacker: Server;
  let attackerUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'music-mesh-origin-'));
    const plane = new ControlPlane<Compiled>({
      compile: (): Compiled => ({ warnings: [] }),
      install: () => {},
      log: silentLogger,
    });
    admin = await startAdmin({ port: 0, host: '127.0.0.1', dataDir }, { plane, info: {}, log: silentLogger });
    attacker = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(attackPage(admin.url));
    });
    [attackerUrl, browser] = await Promise.all([listen(attacker), launchChromium()]);
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => attacker?.close(resolve));
    await admin?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const deployments = async () =>
    ((await (await connectToRuntime(dataDir)).get('deployments')).items as { name: string }[]).map(
      (item) => item.name,
    );

  it('a no-cors fetch and a form POST reach the admin API, are refused, and apply nothing', async () => {
    const page = await browser.newPage();
    const answers: { method: string; status: number }[] = [];
    page.on('response', (response) => {
      if (response.url().startsWith(`${admin.url}/v1/apply`))
        answers.push({ method: response.request().method(), status: response.status() });
    });
    await page.goto(attackerUrl);
    // Strings, not functions: they run in the page, whose DOM types this project does not compile against.
    expect(await page.evaluate('window.fetchDone')).toBe('sent');
    await Promise.all([
      page.waitForURL(`${admin.url}/v1/apply`),
      page.evaluate('document.getElementById("form").submit()'),
    ]);
    // Both requests got an answer from the admin API itself: it saw them and said no.
    await expect.poll(() => answers.length, { timeout: 30_000 }).toBe(2);
    expect(answers.map((answer) => answer.status)).toEqual([403, 403]);
    expect(await page.locator('body').textContent()).toContain('ORIGIN_NOT_ALLOWED');
    expect(await deployments()).toEqual([]);
    await page.close();
  });

  it('a DNS-rebound request (another Host) is refused even with the token', async () => {
    const port = new URL(admin.url).port;
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${admin.url}/v1/apply`, {
        method: 'POST',
        headers: {
          host: `evil.example:${port}`,
          authorization: `Bearer ${admin.token}`,
          'content-type': 'application/json',
        },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(payload('from-rebinding'));
    });
    expect(status).toBe(421);
    expect(await deployments()).toEqual([]);
  });

  it('the same payload from its user, with the token, is applied (so the refusals above are the guard)', async () => {
    const client = await connectToRuntime(dataDir);
    const { results } = await client.apply([{ file: 'evil.yaml', text: deployment('from-cli') }]);
    expect(results.map((result) => result.action)).toEqual(['created']);
    expect(await deployments()).toEqual(['from-cli']);
  });
});
