import { exitOnStartupError, listenUntilSignal } from '@music/service-kit';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { loggerOptions } from './logging.ts';

try {
  const config = loadConfig();
  const app = await buildApp(config, { logger: loggerOptions(config.LOG_LEVEL) });
  await listenUntilSignal(app, { host: config.HOST, port: config.PORT });
} catch (error) {
  exitOnStartupError(error);
}
