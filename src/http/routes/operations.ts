import { Router } from '@koa/router';
import type { Services } from '../../services.js';

/** /healthz (the process is alive), /readyz (it can serve logins), /metrics (Prometheus). */
export function operationsRoutes(services: Services): Router {
  const router = new Router();

  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  router.get('/readyz', async (ctx) => {
    const results = await Promise.all(
      services.readiness.map(async ({ name, check }) => {
        try {
          const result = await withTimeout(check(), 2000);
          return { name, ok: result.ok, ...(result.detail ? { detail: result.detail } : {}) };
        } catch (error) {
          return { name, ok: false, detail: error instanceof Error ? error.message : 'failed' };
        }
      }),
    );
    const ok = results.every((result) => result.ok);
    ctx.status = ok ? 200 : 503;
    ctx.body = { status: ok ? 'ready' : 'not ready', checks: results };
  });

  router.get('/metrics', async (ctx) => {
    ctx.type = services.metrics.registry.contentType;
    ctx.body = await services.metrics.registry.metrics();
  });

  return router;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
