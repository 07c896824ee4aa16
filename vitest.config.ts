import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{packages,services,mesh,tools}/**/src/**/*.test.ts'],
          exclude: ['**/node_modules/**', 'services/front/web/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          globalSetup: ['test/support/global-postgres.ts'],
          include: ['{packages,services,mesh}/*/test/**/*.test.ts', 'mesh/test/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          globalSetup: ['test/support/global-postgres.ts'],
          include: ['test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
