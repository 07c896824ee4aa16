import type { Runtime } from '../../src/runtime.ts';
import type { Profile } from '../../src/workloads/profile.ts';
import { type Console, startConsole } from './server.ts';

/**
 * The console as `npm start` and `npm run demo` run it beside a local runtime: the runtime's stats
 * and admin API, the profile's namespace and its login for the wizards. It is an aid: a port
 * already taken (a Kiali port-forward, another runtime's console) is a warning and no console.
 */
export async function startConsoleBeside(
  runtime: Pick<Runtime, 'url' | 'statsUrl' | 'dataDir'>,
  profile: Pick<Profile, 'namespace' | 'console'>,
  port: number,
  warn: (line: string) => void,
): Promise<Console | undefined> {
  try {
    return await startConsole({
      statsUrl: runtime.statsUrl,
      port,
      runtimeDataDir: runtime.dataDir,
      pages: { ingressUrl: runtime.url.replace('127.0.0.1', 'localhost'), namespace: profile.namespace },
      auth: profile.console && {
        loginUrl: `${runtime.url}${profile.console.loginPath}`,
        jwksUrl: `${runtime.url}${profile.console.jwksPath}`,
        role: profile.console.adminRole,
      },
      warn,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    warn(
      `mesh console: port ${port} is already in use; pick another with --console-port (running without it)`,
    );
    return undefined;
  }
}

/** Where users open it: `http://localhost:<port>/console/`, as the tutorial writes its Kiali address. */
export function consoleAddress(console: Console): string {
  return `${console.url.replace('127.0.0.1', 'localhost')}/console/`;
}
