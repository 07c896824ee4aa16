import { exitOnStartupError, listenUntilSignal } from '@music/service-kit';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';

try {
  const config = loadConfig();
  const app = await buildApp(config, {
    logger: { level: config.LOG_LEVEL, redact: ['req.headers.authorization', 'req.headers.cookie'] },
  });
  await listenUntilSignal(app, { host: config.HOST, port: config.PORT });
} catch (error) {
  exitOnStartupError(error);
}
