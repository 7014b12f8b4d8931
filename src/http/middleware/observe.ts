import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Services } from '../../services.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * Outermost middleware: request id (taken from X-Request-Id when sane), a child logger on
 * ctx.state.log, one access log line, and the HTTP metrics labelled by route template.
 */
export function observe(services: Pick<Services, 'logger' | 'metrics'>): Middleware {
  return async (ctx, next) => {
    const start = process.hrtime.bigint();
    const incoming = ctx.get('x-request-id');
    const requestId = REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.state.log = services.logger.child({ requestId });
    ctx.set('X-Request-Id', requestId);
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const matched = (ctx as unknown as { _matchedRoute?: unknown })._matchedRoute;
      const route = typeof matched === 'string' ? matched : 'unmatched';
      services.metrics.httpRequests.inc({ method: ctx.method, route, status: String(ctx.status) });
      services.metrics.httpDuration.observe({ method: ctx.method, route }, seconds);
      if (!route.endsWith('/healthz') && !route.endsWith('/readyz') && !route.endsWith('/metrics')) {
        ctx.state.log.debug({ method: ctx.method, route, status: ctx.status, ms: Math.round(seconds * 1e4) / 10 }, 'request');
      }
    }
  };
}
