import { describe, expect, it } from 'vitest';
import type { Container } from '../manifests/model.ts';
import { replicaEnv } from './local-env.ts';

const container: Container = {
  name: 'front',
  image: 'music/front:0.1.0',
  ports: [],
  env: [
    { name: 'APP_NAME', value: 'front' },
    { name: 'PORT', value: '8080' },
    { name: 'BACK_URL', value: 'http://back:8080' },
    { name: 'DATABASE_URL', secretKeyRef: { name: 'music-db', key: 'url' } },
  ],
  readinessProbe: undefined,
  livenessProbe: undefined,
};

const values = {
  ingressUrl: 'http://127.0.0.1:8080',
  databaseUrl: 'postgres://local/music',
  jwtPrivateKey: 'PEM',
  logLevel: 'warn',
} as const;

describe('replicaEnv', () => {
  it('keeps literals, swaps Secrets and cluster hosts for local values, and sets where to listen', () => {
    expect(replicaEnv(container, values, { PATH: '/bin' }, 41234)).toEqual({
      PATH: '/bin',
      APP_NAME: 'front',
      BACK_URL: 'http://127.0.0.1:8080',
      DATABASE_URL: 'postgres://local/music',
      MUSIC_DEV_DEFAULTS: 'true',
      LOG_LEVEL: 'warn',
      PORT: '41234',
      HOST: '127.0.0.1',
    });
  });
});
