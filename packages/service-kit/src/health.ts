import type { FastifyInstance } from 'fastify';

export interface HealthOptions {
  prefix: string;
  /** Named checks that must all pass for readiness (the database, for example). */
  readiness: Record<string, () => Promise<boolean>>;
}

/**
 * Liveness says the process is serving; readiness says it can do its job, so Kubernetes and the
 * local runtime send it traffic only then. `/health` is the overall view with each check.
 */
export function registerHealth(app: FastifyInstance, options: HealthOptions): void {
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });

  const check = async () => {
    const entries = await Promise.all(
      Object.entries(options.readiness).map(
        async ([name, probe]) => [name, await probe().catch(() => false)] as const,
      ),
    );
    const components = Object.fromEntries(
      entries.map(([name, up]) => [name, { status: up ? 'UP' : 'DOWN' }]),
    );
    const up = !draining && entries.every(([, ok]) => ok);
    return { status: up ? 'UP' : 'DOWN', components };
  };

  app.get(`${options.prefix}/health/liveness`, async () => ({ status: 'UP' }));
  app.get(`${options.prefix}/health/readiness`, async (_request, reply) => {
    const health = await check();
    return reply.code(health.status === 'UP' ? 200 : 503).send({ status: health.status });
  });
  app.get(`${options.prefix}/health`, async (_request, reply) => {
    const health = await check();
    return reply.code(health.status === 'UP' ? 200 : 503).send(health);
  });
}
