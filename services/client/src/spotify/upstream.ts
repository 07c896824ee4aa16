import { Agent, type Dispatcher, EnvHttpProxyAgent, request } from 'undici';
import { SpotifyTimeoutError, SpotifyUnavailableError } from '../errors.ts';

export interface UpstreamOptions {
  connectTimeoutMs: number;
  /** Deadline for one exchange, headers and body together. */
  timeoutMs: number;
  /**
   * undici does not read HTTP_PROXY by itself; in the mesh the proxy is the workload's sidecar,
   * the only way to Spotify (or the sandbox) that the mesh sees.
   */
  proxy?: { url: string; noProxy: string };
}

export interface UpstreamRequest {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * One HTTP exchange with Spotify over a keep-alive pool, bounded in time and size. A network failure
 * becomes a retryable 503 error, a deadline a retryable 504; HTTP statuses are left to the caller.
 */
export class Upstream {
  readonly #agent: Dispatcher;
  readonly #timeoutMs: number;

  constructor(options: UpstreamOptions) {
    this.#timeoutMs = options.timeoutMs;
    const agentOptions = {
      connect: { timeout: options.connectTimeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      maxResponseSize: 5 * 1024 * 1024,
    };
    this.#agent = options.proxy
      ? new EnvHttpProxyAgent({
          ...agentOptions,
          httpProxy: options.proxy.url,
          httpsProxy: options.proxy.url,
          noProxy: options.proxy.noProxy,
        })
      : new Agent(agentOptions);
  }

  async send(url: string, init: UpstreamRequest): Promise<UpstreamResponse> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    try {
      const response = await request(url, {
        dispatcher: this.#agent,
        method: init.method,
        headers: init.headers,
        body: init.body ?? null,
        signal,
      });
      return { status: response.statusCode, headers: response.headers, body: await response.body.text() };
    } catch (error) {
      if (signal.aborted || TIMEOUT_CODES.has((error as { code?: string }).code ?? ''))
        throw new SpotifyTimeoutError(this.#timeoutMs, error);
      throw new SpotifyUnavailableError('it could not be reached', error);
    }
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}
