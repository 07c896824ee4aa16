import { describe, expect, it } from 'vitest';
import type { Container } from '../manifests/model.ts';
import { hasLocalSecret, replicaEnv } from './local-env.ts';

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
  statsUrl: 'http://127.0.0.1:15090/stats/prometheus',
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

describe('local Secrets', () => {
  const credentials = (prefix: string): Container => ({
    ...container,
    name: prefix,
    env: [
      { name: `${prefix}_CLIENT_ID`, secretKeyRef: { name: 'spotify-credentials', key: 'client-id' } },
      {
        name: `${prefix}_CLIENT_SECRET`,
        secretKeyRef: { name: 'spotify-credentials', key: 'client-secret' },
      },
    ],
  });

  it('gives client and spotify-sandbox the same sandbox credentials from spotify-credentials', () => {
    const client = replicaEnv(credentials('SPOTIFY'), values, {}, 1);
    const sandbox = replicaEnv(credentials('SANDBOX'), values, {}, 2);
    expect(client).toMatchObject({
      SPOTIFY_CLIENT_ID: 'music-sandbox',
      SPOTIFY_CLIENT_SECRET: 'music-sandbox-secret',
    });
    expect(sandbox).toMatchObject({
      SANDBOX_CLIENT_ID: 'music-sandbox',
      SANDBOX_CLIENT_SECRET: 'music-sandbox-secret',
    });
  });

  it('answers by Secret and key, whatever the variable is called', () => {
    expect(hasLocalSecret({ name: 'music-db', key: 'url' })).toBe(true);
    expect(hasLocalSecret({ name: 'music-db', key: 'password' })).toBe(false);
    expect(hasLocalSecret({ name: 'spotify-credentials', key: 'client-id' })).toBe(true);
    expect(hasLocalSecret({ name: 'tokens', key: 'api' })).toBe(false);
    expect(hasLocalSecret({ name: 'constructor', key: '' })).toBe(false);
  });

  it('keeps cluster URLs as written when the replica has an outbound listener, Secrets still local', () => {
    const env = replicaEnv(container, values, {}, 41234, 'http://127.0.0.1:15001');
    expect(env).toMatchObject({ BACK_URL: 'http://back:8080', DATABASE_URL: 'postgres://local/music' });
  });

  it('points what the runtime plays itself at the runtime: Prometheus and the public gateway address', () => {
    const played: Container = {
      ...container,
      env: [
        { name: 'MESH_METRICS_URL', value: 'http://prometheus.istio-system:9090/federate' },
        { name: 'SANDBOX_PUBLIC_URL', value: 'http://music.example' },
      ],
    };
    expect(replicaEnv(played, values, {}, 1, 'http://127.0.0.1:15001')).toMatchObject({
      MESH_METRICS_URL: 'http://127.0.0.1:15090/stats/prometheus',
      SANDBOX_PUBLIC_URL: 'http://127.0.0.1:8080',
    });
  });
});
