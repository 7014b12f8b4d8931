import type { Middleware } from 'koa';
import type { Counter } from 'prom-client';

/** A response fixed at start-up (public keys): served before routing, logging and error handling. */
export interface StaticResponse {
  type: string;
  body: string;
  cacheControl: string;
  /** Route label for the request metric. */
  route: string;
}

/**
 * Prosody fetches keys on every new kid and, with cache_keys_url, on a timer from every virtual
 * host: these answers never change while the process runs, so they are looked up by exact path
 * and written directly, still counted in the HTTP metric.
 */
export function servePublished(responses: ReadonlyMap<string, StaticResponse>, requests: Counter<'method' | 'route' | 'status'>): Middleware {
  const counters = new Map<string, { inc(): void }>();
  for (const [path, response] of responses) {
    counters.set(`GET ${path}`, requests.labels({ method: 'GET', route: response.route, status: '200' }));
    counters.set(`HEAD ${path}`, requests.labels({ method: 'HEAD', route: response.route, status: '200' }));
  }
  return async (ctx, next) => {
    const response = ctx.method === 'GET' || ctx.method === 'HEAD' ? responses.get(ctx.path) : undefined;
    if (!response) return next();
    counters.get(`${ctx.method} ${ctx.path}`)?.inc();
    ctx.set('Cache-Control', response.cacheControl);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.type = response.type;
    ctx.body = response.body;
  };
}
