import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { HttpDeps } from '../deps.js';
import type { Logger } from '../../observability/logger.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * ctx.state of every request: the request id and a child logger created on first use (most
 * requests never log). A class, so every request's state has the same shape.
 */
class RequestState {
  [key: string]: unknown;
  private child: Logger | undefined;

  constructor(
    private readonly root: Logger,
    readonly requestId: string,
  ) {}

  get log(): Logger {
    return (this.child ??= this.root.child({ requestId: this.requestId }));
  }
}

/**
 * Outermost middleware: request id (taken from X-Request-Id when sane), a child logger on
 * ctx.state.log, one access log line, and the HTTP metrics labelled by route template.
 */
export function observe(services: Pick<HttpDeps, 'logger' | 'metrics'>): Middleware {
  const children = new Map<string, { requests: { inc(): void }; duration: { observe(value: number): void } }>();
  return async (ctx, next) => {
    const start = process.hrtime.bigint();
    const incoming = ctx.get('x-request-id');
    const requestId = REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const state = new RequestState(services.logger, requestId);
    const earlier = ctx.state as Record<string, unknown>;
    for (const key in earlier) if (key !== 'log' && key !== 'requestId') state[key] = earlier[key];
    ctx.state = state;
    ctx.set('X-Request-Id', requestId);
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const matched = (ctx as unknown as { _matchedRoute?: unknown })._matchedRoute;
      const route = typeof matched === 'string' ? matched : 'unmatched';
      const key = `${ctx.method} ${route} ${ctx.status}`;
      let counters = children.get(key);
      if (!counters) {
        counters = {
          requests: services.metrics.httpRequests.labels({ method: ctx.method, route, status: String(ctx.status) }),
          duration: services.metrics.httpDuration.labels({ method: ctx.method, route }),
        };
        if (children.size < 10_000) children.set(key, counters);
      }
      counters.requests.inc();
      counters.duration.observe(seconds);
      if (services.logger.isLevelEnabled('debug') && !route.endsWith('/healthz') && !route.endsWith('/readyz') && !route.endsWith('/metrics')) {
        state.log.debug({ method: ctx.method, route, status: ctx.status, ms: Math.round(seconds * 1e4) / 10 }, 'request');
      }
    }
  };
}
