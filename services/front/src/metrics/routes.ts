import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { guard } from '../auth/principal.ts';
import type { Tokens } from '../auth/tokens.ts';
import type { MetricsSampler } from './sampler.ts';

const nullableNumber = Type.Union([Type.Number(), Type.Null()]);

const MetricsAnswer = Type.Object({
  windowSeconds: Type.Integer(),
  consoleUrl: Type.String(),
  services: Type.Array(
    Type.Object({
      name: Type.String(),
      source: Type.Union([Type.Literal('mesh'), Type.Literal('self'), Type.Literal('endpoint'), Type.Null()]),
      health: Type.Union([Type.Literal('UP'), Type.Literal('DOWN'), Type.Literal('UNKNOWN')]),
      requestsTotal: Type.Number(),
      resetAt: Type.Union([Type.String(), Type.Null()]),
      windowSeconds: Type.Number(),
      requestRate: Type.Number(),
      clientErrorRate: Type.Number(),
      errorRate: Type.Number(),
      latencyP50Ms: nullableNumber,
      latencyP99Ms: nullableNumber,
      replicasSeen: Type.Union([Type.Integer(), Type.Null()]),
      sampledAt: Type.String(),
    }),
  ),
});

export interface MetricsRoutesOptions {
  sampler: MetricsSampler;
  tokens: Tokens;
  /** The window the rates are over, as configured; a card's own `windowSeconds` is less until it fills. */
  windowSeconds: number;
  consoleUrl: string;
}

export const metricsRoutes: FastifyPluginAsyncTypebox<MetricsRoutesOptions> = async (
  app,
  { sampler, tokens, windowSeconds, consoleUrl },
) => {
  app.get(
    '/api/metrics',
    { onRequest: guard(tokens), schema: { response: { 200: MetricsAnswer } } },
    async () => ({ windowSeconds, consoleUrl, services: await sampler.figures() }),
  );
};
