import type { CompiledRoute } from '../../routing/table.ts';
import type { Exchange } from '../exchange.ts';
import type { Stage } from './stage.ts';

/** VirtualService `directResponse`: the status and body, answered by the proxy; ends the chain. */
class DirectResponseStage implements Stage {
  readonly line: string;
  readonly #status: number;
  readonly #body: string;

  constructor(status: number, body: string) {
    this.#status = status;
    this.#body = body;
    this.line = `direct response: ${status}${body === '' ? '' : ` with a ${Buffer.byteLength(body)}-byte body`}`;
  }

  run(exchange: Exchange): void {
    exchange.reply(this.#status, this.#body, undefined);
  }
}

export function compileDirectResponse(route: CompiledRoute): Stage | undefined {
  const direct = route.directResponse;
  return direct === undefined ? undefined : new DirectResponseStage(direct.status, direct.body ?? '');
}
