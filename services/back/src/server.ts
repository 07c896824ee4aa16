import {
  createPool,
  exitOnStartupError,
  listenUntilSignal,
  migrate,
  serviceLoggerOptions,
} from '@music/service-kit';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { migrations } from './migrations.ts';

try {
  const config = loadConfig();
  const db = createPool({
    url: config.DATABASE_URL,
    schema: 'back',
    applicationName: `${config.APP_NAME}-${config.APP_VERSION}`,
  });
  await migrate(db, 'back', migrations);
  const app = await buildApp(config, {
    db,
    logger: serviceLoggerOptions(config.LOG_LEVEL),
  });
  app.addHook('onClose', () => db.end());
  await listenUntilSignal(app, { host: config.HOST, port: config.PORT });
} catch (error) {
  exitOnStartupError(error);
}
