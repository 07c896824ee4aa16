import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { guard } from '../auth/principal.ts';
import type { Tokens } from '../auth/tokens.ts';
import type { MetricsSampler } from './sampler.ts';

const nullableNumber = Type.Union([Type.Number(), Type.Null()]);

const MetricsAnswer = Type.Object({
  services: Type.Array(
    Type.Object({
      name: Type.String(),
      health: Type.Union([Type.Literal('UP'), Type.Literal('DOWN'), Type.Literal('UNKNOWN')]),
      requestsTotal: Type.Number(),
      requestRate: Type.Number(),
      errorRate: Type.Number(),
      latencyP50Ms: nullableNumber,
      latencyP99Ms: nullableNumber,
      sampledAt: Type.String(),
    }),
  ),
});

export const metricsRoutes: FastifyPluginAsyncTypebox<{ sampler: MetricsSampler; tokens: Tokens }> = async (
  app,
  { sampler, tokens },
) => {
  app.get(
    '/api/metrics',
    { onRequest: guard(tokens), schema: { response: { 200: MetricsAnswer } } },
    async () => ({
      services: await sampler.figures(),
    }),
  );
};
