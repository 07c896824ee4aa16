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
import { UserRepository } from './users/repository.ts';
import { seedUsers } from './users/seed.ts';

try {
  const config = loadConfig();
  const db = createPool({
    url: config.DATABASE_URL,
    schema: 'front',
    applicationName: `${config.APP_NAME}-${config.APP_VERSION}`,
  });
  await migrate(db, 'front', migrations);
  const app = await buildApp(config, {
    db,
    logger: serviceLoggerOptions(config.LOG_LEVEL),
  });
  app.addHook('onClose', () => db.end());
  const seeded = await seedUsers(new UserRepository(db), config);
  if (seeded.length > 0) app.log.info({ logins: seeded }, 'seeded accounts');
  await listenUntilSignal(app, { host: config.HOST, port: config.PORT });
} catch (error) {
  exitOnStartupError(error);
}
