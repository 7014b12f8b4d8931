import Koa from 'koa';
import type { HttpDeps } from './deps.js';
import { operationsRoutes } from './routes/operations.js';

/**
 * The management listener (`server.management.port`): /healthz, /readyz (with ?verbose and
 * ?exclude=) and /metrics, for probes and Prometheus. Nothing else is served on it, and nothing
 * on it is meant for browsers: keep the port private (the chart exposes it to the kubelet and the
 * ServiceMonitor only). Its requests are not counted in the HTTP metrics.
 */
export function createManagementApp(services: HttpDeps): Koa {
  const app = new Koa();
  app.silent = true;
  const router = operationsRoutes(services, { detailed: true });
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      services.logger.error({ err: error, path: ctx.path }, 'management endpoint failed');
      ctx.status = 500;
      ctx.body = { error: 'internal_error' };
    }
    if (ctx.status === 404 && ctx.body === undefined) {
      ctx.body = { error: 'not_found', message: 'The management port serves /healthz, /readyz and /metrics.' };
      ctx.status = 404;
    }
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
