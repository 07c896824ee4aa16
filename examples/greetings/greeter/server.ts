/**
 * greeter: greets through the mesh. `GET /hello?name=Ada` asks words (a Python service) for a
 * word at the cluster URL http://words:8080 — Node's fetch goes through HTTP_PROXY when
 * NODE_USE_ENV_PROXY=1, so locally the call crosses the mesh as on a cluster — and words asks
 * back for the punctuation at `GET /punctuation`.
 */
import { createServer, type ServerResponse } from 'node:http';

const config = Object.freeze({
  port: Number(process.env.PORT ?? 8080),
  host: process.env.HOST ?? '0.0.0.0',
  wordsUrl: process.env.WORDS_URL ?? 'http://words:8080',
  // From the greeter-settings ConfigMap, with envFrom's prefix GREETER_.
  punctuation: process.env.GREETER_PUNCTUATION ?? '.',
  pod: {
    name: process.env.POD_NAME ?? '',
    namespace: process.env.POD_NAMESPACE ?? '',
    ip: process.env.POD_IP ?? '',
    version: process.env.APP_VERSION ?? '',
  },
});

function reply(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

async function hello(name: string): Promise<unknown> {
  const answer = await fetch(`${config.wordsUrl}/word`, { signal: AbortSignal.timeout(5_000) });
  if (!answer.ok) throw new Error(`words answered ${answer.status}`);
  const words = (await answer.json()) as { word: string; punctuation: string };
  return { greeting: `${words.word}, ${name}${words.punctuation}`, greeter: config.pod, words };
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://greeter');
  if (url.pathname === '/healthz') return reply(res, 200, { status: 'UP' });
  if (url.pathname === '/punctuation') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    return res.end(config.punctuation);
  }
  if (url.pathname === '/hello') {
    hello(url.searchParams.get('name') ?? 'world').then(
      (body) => reply(res, 200, body),
      (error: Error) => reply(res, 502, { error: error.message }),
    );
    return;
  }
  reply(res, 404, { error: `no route for ${url.pathname}` });
});

server.listen(config.port, config.host, () => {
  process.stdout.write(`greeter listening on ${config.host}:${config.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
