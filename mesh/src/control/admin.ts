import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { adminFile } from '../data-dir.ts';
import { ManifestError, MeshError, PortInUseError, UsageError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { kindFromArgument } from '../manifests/kinds.ts';
import { parseYaml } from '../manifests/load.ts';
import { type ResourceRef, readResource } from '../manifests/resources.ts';
import { isPortFree } from '../net/ports.ts';
import { serviceFqdn } from '../routing/hosts.ts';
import type { DeploymentStatus, PodStatus } from '../workloads/supervisor.ts';
import { type Compiled, type ControlPlane, NotFoundError } from './plane.ts';
import { writePrivateFile } from './private-file.ts';

/** What `mesh explain` sends: a request as a client would make it. */
export interface ExplainRequest {
  readonly url: string;
  readonly method: string;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** Sent by this Deployment's replicas (its outbound listener); absent: through the ingress gateway. */
  readonly from?:
    | { readonly namespace: string; readonly name: string; readonly labels: Readonly<Record<string, string>> }
    | undefined;
}

/** The data plane's `explainRequest(table, request)`, adapted; its answer is sent back as JSON. */
export type Explain<Table> = (table: Table, request: ExplainRequest) => unknown;

export interface AdminContext<Table extends Compiled> {
  readonly plane: ControlPlane<Table>;
  readonly workloads?: { pods(): PodStatus[]; deployments(): DeploymentStatus[] } | undefined;
  /** Origins of a Service's ready endpoints, by FQDN. */
  readonly endpoints?: ((fqdn: string) => readonly string[]) | undefined;
  readonly explain?: Explain<Table> | undefined;
  /** Shown by `GET /v1/status`. */
  readonly info: Readonly<Record<string, string>>;
  readonly log: Logger;
}

export interface AdminOptions {
  /** 15000 by default; taken → any free port (the address is in admin.json). 0: any free port. */
  readonly port: number;
  readonly host: string;
  /** `<dataDir>/admin.json` tells the CLI where the admin API is. */
  readonly dataDir: string;
  /** Fail instead of falling back to a free port when `port` is taken. */
  readonly strictPort?: boolean;
}

export interface AdminServer {
  readonly url: string;
  /** What every request must carry as `Authorization: Bearer <token>`; also in admin.json. */
  readonly token: string;
  close(): Promise<void>;
}

/** Largest request body, 4 MiB: far above any manifest set, small enough to hold in memory. */
export const adminBodyLimit = 4 * 1024 * 1024;

const jsonTypes: ReadonlySet<string> = new Set(['application/json']);
const applyTypes: ReadonlySet<string> = new Set([
  'application/json',
  'application/yaml',
  'application/x-yaml',
  'text/yaml',
]);

/** Methods by path; `/v1/resources/<kind>` is GET. */
const routes: Readonly<Record<string, string>> = {
  '/v1/status': 'GET',
  '/v1/apply': 'POST',
  '/v1/delete': 'POST',
  '/v1/analyze': 'GET',
  '/v1/explain': 'POST',
};

/** A request the admin API refuses before doing anything; answered with `status`. */
class AdminRefusal extends MeshError {
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: string, message: string, headers: Readonly<Record<string, string>> = {}) {
    super(code, message, { httpStatus: status });
    this.headers = headers;
  }
}

/** Who may drive the admin API: requests for its own loopback authority, from no foreign page, with the token. */
interface Access {
  hosts: ReadonlySet<string>;
  origins: ReadonlySet<string>;
  readonly tokenDigest: Buffer;
}

/** The runtime's admin API on 127.0.0.1, what `npm run mesh -- ...` talks to. */
export async function startAdmin<Table extends Compiled>(
  options: AdminOptions,
  context: AdminContext<Table>,
): Promise<AdminServer> {
  const token = randomBytes(32).toString('base64url');
  // Empty until bound: nothing is accepted before the port is known.
  const access: Access = { hosts: new Set(), origins: new Set(), tokenDigest: digest(token) };
  const server = createServer((req, res) => {
    handle(context, access, req, res).catch((error: unknown) => sendError(res, error, context.log));
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    // A request node:http cannot parse: answered as problem+json, the connection closed.
    if (!socket.writable || error.code === 'ECONNRESET') return void socket.destroy();
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    socket.end(rawProblem(status, 'BAD_REQUEST', 'the request could not be parsed as HTTP/1.1'));
  });
  let port = options.port;
  if (port !== 0 && !options.strictPort && !(await isPortFree(port, options.host))) {
    context.log.warn(
      `admin port ${port} is in use; using a free port (see ${join(options.dataDir, adminFile)})`,
    );
    port = 0;
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, 'admin API') : error),
    );
    server.listen(port, options.host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  const url = `http://${options.host}:${bound}`;
  const authorities = [`127.0.0.1:${bound}`, `localhost:${bound}`, `[::1]:${bound}`];
  access.hosts = new Set(authorities);
  access.origins = new Set(authorities.map((authority) => `http://${authority}`));
  const file = join(options.dataDir, adminFile);
  await writePrivateFile(
    file,
    `${JSON.stringify({ url, token, pid: process.pid, ...context.info }, null, 2)}\n`,
  );
  return {
    url,
    token,
    close: async () => {
      await rm(file, { force: true });
      await closeServer(server);
    },
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** DNS rebinding, cross-origin pages and anyone without the token are refused before any work. */
function checkAccess(access: Access, req: IncomingMessage): void {
  const host = req.headers.host?.toLowerCase();
  if (host === undefined || !access.hosts.has(host)) {
    throw new AdminRefusal(
      421,
      'HOST_NOT_ALLOWED',
      `the admin API answers only for Host ${[...access.hosts].join(', ')}`,
    );
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !access.origins.has(origin.toLowerCase())) {
    throw new AdminRefusal(
      403,
      'ORIGIN_NOT_ALLOWED',
      'the admin API does not answer web pages of other origins',
    );
  }
  const [scheme, credential] = (req.headers.authorization ?? '').split(' ', 2);
  const valid =
    scheme?.toLowerCase() === 'bearer' &&
    credential !== undefined &&
    timingSafeEqual(digest(credential), access.tokenDigest);
  if (!valid) {
    throw new AdminRefusal(
      401,
      'UNAUTHORIZED',
      'the admin API needs Authorization: Bearer <token> (the token is in <data-dir>/admin.json)',
      { 'www-authenticate': 'Bearer realm="music-mesh-admin"' },
    );
  }
}

function checkMethod(method: string | undefined, path: string): void {
  const allowed = path.startsWith('/v1/resources/') ? 'GET' : routes[path];
  if (allowed === undefined) throw new NotFoundError(`${method} ${path}`);
  if (method !== allowed) {
    throw new AdminRefusal(405, 'METHOD_NOT_ALLOWED', `${path} takes ${allowed}`, { allow: allowed });
  }
}

async function handle<Table extends Compiled>(
  context: AdminContext<Table>,
  access: Access,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  checkAccess(access, req);
  const url = new URL(req.url ?? '/', 'http://admin');
  checkMethod(req.method, url.pathname);
  const route = `${req.method} ${url.pathname}`;
  const { plane } = context;
  if (route === 'GET /v1/status') return send(res, 200, { ...context.info, pid: process.pid });
  if (route === 'POST /v1/apply') {
    const { type, text } = await readBody(req, applyTypes);
    const documents =
      type === 'application/json'
        ? documentsOf(jsonObject(text), 'apply')
        : nonEmpty(parseYaml(url.searchParams.get('file') ?? '<request>', text), 'apply');
    return send(res, 200, { results: await plane.apply(documents) });
  }
  if (route === 'POST /v1/delete') {
    const body = await readJson(req);
    const refs: ResourceRef[] = Array.isArray(body.refs)
      ? body.refs.map(refOf)
      : documentsOf(body, 'delete').map((doc) => readResource(doc, 0));
    return send(res, 200, await plane.delete(refs));
  }
  if (route === 'GET /v1/analyze') return send(res, 200, { messages: plane.analyze() });
  if (route === 'POST /v1/explain') {
    if (!context.explain)
      throw new MeshError('NOT_WIRED', 'explain is not available in this runtime yet', { httpStatus: 501 });
    const body = await readJson(req);
    let from: ExplainRequest['from'];
    if (typeof body.from === 'string' && body.from) {
      const [namespace, name] = body.from.includes('/')
        ? body.from.split('/', 2)
        : [context.info.namespace ?? 'default', body.from];
      const deployment = plane.topology.deployments.find((d) => d.name === name && d.namespace === namespace);
      if (!deployment) throw new NotFoundError(`deployments.apps "${body.from}"`);
      from = { namespace: deployment.namespace, name: deployment.name, labels: deployment.podLabels };
    }
    const request: ExplainRequest = {
      from,
      url: String(body.url ?? ''),
      method: String(body.method ?? 'GET').toUpperCase(),
      headers: Object.fromEntries(
        Object.entries((body.headers ?? {}) as Record<string, unknown>).map(([k, v]) => [
          k.toLowerCase(),
          String(v),
        ]),
      ),
    };
    return send(res, 200, { explanation: context.explain(plane.table, request) });
  }
  const resources = /^GET \/v1\/resources\/([a-z.]+)$/.exec(route);
  if (resources) {
    const kind = kindFromArgument(resources[1] as string);
    if (!kind) throw new UsageError(`unknown resource type ${resources[1]}`);
    const namespace = url.searchParams.get('namespace') ?? undefined;
    const name = url.searchParams.get('name') ?? undefined;
    if (kind === 'pods') {
      const pods = (context.workloads?.pods() ?? []).filter(
        (pod) =>
          (namespace === undefined || pod.namespace === namespace) &&
          (name === undefined || pod.name === name),
      );
      if (name !== undefined && pods.length === 0) throw new NotFoundError(`pods "${name}"`);
      return send(res, 200, { kind: 'Pod', items: pods });
    }
    const found = plane.list(kind, namespace, name);
    if (name !== undefined && found.length === 0)
      throw new NotFoundError(`${kind.plural}${kind.group ? `.${kind.group}` : ''} "${name}"`);
    const deployments = context.workloads?.deployments() ?? [];
    const items = found.map((resource) => ({
      ...resource,
      status:
        resource.kind === 'Deployment' || resource.kind === 'StatefulSet'
          ? deployments.find((d) => d.name === resource.name && d.namespace === resource.namespace)
          : resource.kind === 'Service'
            ? { endpoints: context.endpoints?.(serviceFqdn(resource.name, resource.namespace)) ?? [] }
            : undefined,
    }));
    return send(res, 200, { kind: kind.kind, items });
  }
  throw new NotFoundError(`${route}`);
}

function documentsOf(body: Record<string, unknown>, verb: 'apply' | 'delete') {
  if (!Array.isArray(body.documents)) throw new UsageError('the request needs documents: [{ file, text }]');
  const documents = body.documents.flatMap((item: unknown) => {
    const { file, text } = (item ?? {}) as { file?: unknown; text?: unknown };
    if (typeof file !== 'string' || typeof text !== 'string')
      throw new UsageError('each document needs file and text');
    return parseYaml(file, text);
  });
  return nonEmpty(documents, verb);
}

/** kubectl's answer to an empty file, or one with only comments and `---`. */
function nonEmpty<T>(documents: T[], verb: 'apply' | 'delete'): T[] {
  if (documents.length === 0) throw new UsageError(`no objects passed to ${verb}`);
  return documents;
}

function refOf(item: unknown): ResourceRef {
  const { kind, namespace, name } = item as Record<string, unknown>;
  const info = typeof kind === 'string' ? kindFromArgument(kind) : undefined;
  if (!info || info === 'pods' || typeof name !== 'string')
    throw new UsageError('each ref needs a known kind and a name');
  return { kind: info.kind, namespace: info.namespaced ? String(namespace ?? 'default') : '', name };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return jsonObject((await readBody(req, jsonTypes)).text);
}

/** The body as text, refused unless of one of `types` (415) and at most adminBodyLimit bytes (413). */
async function readBody(
  req: IncomingMessage,
  types: ReadonlySet<string>,
): Promise<{ type: string; text: string }> {
  const type = (req.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
  if (!types.has(type)) {
    throw new AdminRefusal(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `the request body must be ${[...types].join(' or ')} (got ${type || 'no content-type'})`,
    );
  }
  const tooLarge = () =>
    new AdminRefusal(413, 'BODY_TOO_LARGE', `the request body is over ${adminBodyLimit} bytes`, {
      connection: 'close',
    });
  if (Number(req.headers['content-length'] ?? 0) > adminBodyLimit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > adminBodyLimit) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return { type, text: Buffer.concat(chunks).toString('utf8') };
}

function jsonObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text || '{}');
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Answered below.
  }
  throw new UsageError('the request body must be a JSON object');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Known errors as application/problem+json with their code; anything else is a 500 without details. */
function sendError(res: ServerResponse, error: unknown, log: Logger): void {
  let status = 500;
  let code = 'INTERNAL';
  let detail = 'internal error (see the runtime log)';
  let headers: Readonly<Record<string, string>> = {};
  if (error instanceof MeshError) {
    // Each error class carries its status: 404 not found, 422 a refused manifest, 400 usage...
    ({ code, httpStatus: status } = error);
    detail = error.message;
    if (error instanceof AdminRefusal) headers = error.headers;
    if (status >= 500) log.error(`admin API: ${error.message}`);
  } else log.error(`admin API: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  // Every problem of a refused manifest, each with its file and field (RFC 9457 extension member).
  const errors =
    error instanceof ManifestError
      ? error.problems.map((problem) => ({
          file: problem.file,
          field: problem.field,
          detail: problem.detail,
        }))
      : undefined;
  const text = JSON.stringify({ type: 'about:blank', title: code, status, code, detail, errors });
  if (res.headersSent) return void res.end();
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** A whole HTTP/1.1 answer for a socket node:http gave up on. */
function rawProblem(status: number, code: string, detail: string): string {
  const text = JSON.stringify({ type: 'about:blank', title: code, status, code, detail });
  return [
    `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}`,
    'content-type: application/problem+json',
    `content-length: ${Buffer.byteLength(text)}`,
    'connection: close',
    '',
    text,
  ].join('\r\n');
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
