import type { HttpRedirect } from '../../manifests/model.ts';
import { authorityHost, authorityPort } from '../../routing/hosts.ts';
import type { CompiledRoute } from '../../routing/table.ts';
import type { Exchange } from '../exchange.ts';
import type { Stage } from './stage.ts';

/** VirtualService `redirect` (route.go `ApplyRedirect`): a local reply with `location`; ends the chain. */
class RedirectStage implements Stage {
  readonly line: string;
  readonly #redirect: HttpRedirect;

  constructor(redirect: HttpRedirect) {
    this.#redirect = redirect;
    const target = [
      redirect.scheme && `scheme ${redirect.scheme}`,
      redirect.authority && `authority ${redirect.authority}`,
      redirect.port !== undefined && `port ${redirect.port}`,
      redirect.derivePort && `port ${redirect.derivePort}`,
      redirect.uri && `uri ${redirect.uri}`,
    ].filter(Boolean);
    this.line = `redirect: ${redirect.redirectCode}${target.length > 0 ? ` to ${target.join(', ')}` : ''}`;
  }

  run(exchange: Exchange): void {
    const redirect = this.#redirect;
    const scheme = redirect.scheme ?? exchange.scheme;
    let host = redirect.authority ?? exchange.authority;
    let port = '';
    if (
      redirect.port !== undefined ||
      redirect.derivePort !== undefined ||
      redirect.authority === undefined
    ) {
      const existing = authorityPort(host);
      host = authorityHost(host) || host;
      if (redirect.port !== undefined) port = `:${redirect.port}`;
      else if (redirect.derivePort === 'FROM_REQUEST_PORT')
        port = `:${authorityPort(exchange.authority) ?? exchange.port}`;
      else if (redirect.derivePort === undefined && existing !== undefined) port = `:${existing}`;
    }
    const query = exchange.path.slice(exchange.pathname.length);
    let path = exchange.path;
    if (redirect.uri !== undefined) path = redirect.uri.includes('?') ? redirect.uri : redirect.uri + query;
    exchange.reply(redirect.redirectCode, '', ['location', `${scheme}://${host}${port}${path}`]);
  }
}

export function compileRedirect(route: CompiledRoute): Stage | undefined {
  return route.redirect === undefined ? undefined : new RedirectStage(route.redirect);
}
