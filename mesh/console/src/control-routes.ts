import type { IncomingMessage } from 'node:http';
import { stringify } from 'yaml';
import { AdminApiError, MeshError } from '../../src/errors.ts';
import type { AdminAuth } from './auth.ts';
import type { RuntimeControl } from './config-source.ts';
import { ConsoleError, ConsoleRequestError } from './errors.ts';
import { namespacesOf, readJson } from './http.ts';
import { toYaml, type WizardRequest, wizardManifests, wizardNames } from './wizards.ts';

export interface ControlOptions {
  readonly control?: RuntimeControl | undefined;
  readonly auth?: AdminAuth | undefined;
  /** The console's own origins: a request sent by any other page is refused. */
  readonly origins: ReadonlySet<string>;
}

/** Not a control route: the caller goes on with its own. */
export const notControl = Symbol('not a control route');

/**
 * The config, explain and wizard pages' API, over the runtime's admin API:
 * - `GET /api/istio/config?namespaces=music`: Gateways, VirtualServices, DestinationRules,
 *   Deployments and Services as YAML (and as JSON, `manifest`, for the page's wizards to read
 *   subsets and versions from), each with the `analyze` findings about it;
 * - `POST /api/explain` `{ url, method?, headers?, from? }`: why a request goes where it goes;
 * - `POST /api/wizards/<traffic-shifting|fault-injection|request-timeouts>[?apply=true]`: the
 *   objects the wizard writes, as YAML; applied only with `apply=true` and a token of the admin
 *   role (`POST /api/login` gets one from the app's login);
 * - reading needs no login: the console answers only on loopback, as Istio's Kiali addon does.
 */
export async function controlRoute(
  req: IncomingMessage,
  url: URL,
  options: ControlOptions,
): Promise<unknown | typeof notControl> {
  const path = url.pathname;
  const isControl =
    path === '/api/istio/config' ||
    path === '/api/explain' ||
    path === '/api/login' ||
    path.startsWith('/api/wizards/');
  if (!isControl) return notControl;
  const method = path === '/api/istio/config' ? 'GET' : 'POST';
  if (req.method !== method)
    throw new ConsoleRequestError('METHOD_NOT_ALLOWED', 405, `${path} takes ${method}, not ${req.method}`);
  const origin = req.headers.origin;
  if (origin !== undefined && !options.origins.has(origin))
    throw new ConsoleRequestError('ORIGIN_REFUSED', 403, `requests from ${origin} are refused`);

  if (path === '/api/login') {
    if (!options.auth) throw unavailable('login needs the app’s login and keys (the profile names none)');
    const body = await readJson(req);
    return { id_token: await options.auth.login(body.username, body.password) };
  }
  const control = options.control;
  if (!control)
    throw unavailable('configuration comes from the local runtime; this console reads a Prometheus');

  if (path === '/api/istio/config') {
    const namespaces = namespacesOf(url.searchParams);
    const [objects, messages] = await viaRuntime(Promise.all([control.objects(), control.analyze()]));
    return {
      objects: objects
        .filter((object) => namespaces.includes(object.namespace))
        .map((object) => ({
          kind: object.kind,
          namespace: object.namespace,
          name: object.name,
          file: object.file,
          line: object.line,
          yaml: stringify(object.manifest),
          manifest: object.manifest,
          findings: messages
            .filter(
              (m) =>
                m.origin.kind === object.kind &&
                m.origin.namespace === object.namespace &&
                m.origin.name === object.name,
            )
            .map((m) => ({
              code: m.code,
              level: m.level,
              message: m.message,
              hint: m.hint,
              field: m.field,
              line: m.origin.line,
            })),
        })),
    };
  }
  if (path === '/api/explain') {
    const body = await readJson(req);
    if (typeof body.url !== 'string') throw new ConsoleRequestError('BAD_BODY', 400, 'url: is required');
    // `localhost:8080/back` would be explained as a request for an empty host: say what is missing.
    if (!/^https?:\/\/[^/]/i.test(body.url))
      throw new ConsoleRequestError(
        'BAD_BODY',
        400,
        `url: needs its scheme, http:// or https:// (got ${body.url})`,
      );
    if (body.method !== undefined && (typeof body.method !== 'string' || !/^[A-Z]+$/.test(body.method)))
      throw new ConsoleRequestError('BAD_BODY', 400, 'method: must be an HTTP method such as GET or POST');
    const headers = body.headers ?? {};
    if (
      typeof headers !== 'object' ||
      Array.isArray(headers) ||
      Object.values(headers).some((v) => typeof v !== 'string')
    )
      throw new ConsoleRequestError('BAD_BODY', 400, 'headers: must map names to strings');
    return {
      explanation: await viaRuntime(
        control.explain({
          url: body.url,
          method: typeof body.method === 'string' ? body.method : 'GET',
          headers: Object.fromEntries(
            Object.entries(headers as Record<string, string>).map(([name, value]) => [
              name.toLowerCase(),
              value,
            ]),
          ),
          ...(typeof body.from === 'string' ? { from: body.from } : {}),
        }),
      ),
    };
  }
  const wizard = path.slice('/api/wizards/'.length);
  if (!(wizardNames as readonly string[]).includes(wizard))
    throw new ConsoleRequestError(
      'NOT_FOUND',
      404,
      `no wizard ${wizard} (there are ${wizardNames.join(', ')})`,
    );
  const apply = url.searchParams.get('apply') === 'true';
  // Checked before anything is read: a refused apply learns nothing of the configuration.
  if (apply) {
    if (!options.auth) throw unavailable('applying needs the app’s keys to check the admin token');
    await options.auth.verify(req.headers.authorization);
  }
  const body = await readJson(req);
  const manifests = wizardManifests(await viaRuntime(control.objects()), {
    ...body,
    wizard,
  } as WizardRequest);
  const yaml = toYaml(manifests);
  if (!apply) return { yaml };
  return { yaml, results: await viaRuntime(control.apply(`console:${wizard}`, yaml)) };
}

/** The runtime's refusals keep their status and words (an apply refused is its 422); no runtime is 502. */
async function viaRuntime<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof AdminApiError) throw new ConsoleError(error.code, error.status, error.message);
    if (error instanceof MeshError) throw new ConsoleError(error.code, 502, error.message);
    throw error;
  }
}

function unavailable(message: string): ConsoleRequestError {
  return new ConsoleRequestError('NOT_AVAILABLE', 501, message);
}
