import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Middleware } from 'koa';
import type { HttpDeps } from '../deps.js';
import type { Logger } from '../../observability/logger.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * ctx.state of every request: the request id and a child logger created on first use (most
 * requests never log). A class, so every request's state has the same shape.
 */
export class RequestState {
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
 * Request ids correlate log lines (and audit lines) of one request; they are no secret (a client
 * may send its own in X-Request-Id), so they need not be unguessable, only unique: a random prefix
 * per process and a counter, in the shape of a UUID (8-4-4-4-12 hex digits).
 */
class RequestIds {
  private prefix = '';
  private next = 2 ** 48;

  take(): string {
    if (this.next >= 2 ** 48) {
      const hex = randomBytes(12).toString('hex');
      this.prefix = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-`;
      this.next = 0;
    }
    return this.prefix + (this.next++).toString(16).padStart(12, '0');
  }
}

type RequestCounters = { requests: { inc(): void }; duration: { observe(value: number): void } };

/**
 * What every request is observed by, whichever path answers it (the Koa middleware below or an
 * answer written before Koa): its id, one access log line at debug level, and the HTTP metrics
 * labelled by route template (histogram and counter children bound once per label set).
 */
export class RequestObserver {
  private readonly ids = new RequestIds();
  private readonly children = new Map<string, RequestCounters>();

  constructor(private readonly services: Pick<HttpDeps, 'logger' | 'metrics'>) {}

  /** The request's id: the client's X-Request-Id when sane, else a new one. */
  requestId(incoming: string | string[] | undefined): string {
    return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : this.ids.take();
  }

  /** Counts a finished request; `state`: its logger (created only when the line is logged). */
  finished(method: string, route: string, status: number, seconds: number, state: RequestState): void {
    const key = `${method} ${route} ${status}`;
    let counters = this.children.get(key);
    if (!counters) {
      const { metrics } = this.services;
      counters = {
        requests: metrics.httpRequests.labels({ method, route, status: String(status) }),
        duration: metrics.httpDuration.labels({ method, route }),
      };
      if (this.children.size < 10_000) this.children.set(key, counters);
    }
    counters.requests.inc();
    counters.duration.observe(seconds);
    if (this.services.logger.isLevelEnabled('debug') && !route.endsWith('/healthz') && !route.endsWith('/readyz') && !route.endsWith('/metrics')) {
      state.log.debug({ method, route, status, ms: Math.round(seconds * 1e4) / 10 }, 'request');
    }
  }
}

/**
 * Requests an early route (src/http/early.ts) started before handing them to Koa: observe() keeps
 * their id (their action has used it already) and counts their time from the start.
 */
export const handedOver = new WeakMap<IncomingMessage, { requestId: string; start: number }>();

/**
 * Outermost middleware: request id (taken from X-Request-Id when sane), a child logger on
 * ctx.state.log, one access log line, and the HTTP metrics labelled by route template.
 */
export function observe(services: Pick<HttpDeps, 'logger' | 'metrics'>, observer = new RequestObserver(services)): Middleware {
  return async (ctx, next) => {
    const early = handedOver.get(ctx.req);
    const start = early?.start ?? performance.now();
    const requestId = early?.requestId ?? observer.requestId(ctx.req.headers['x-request-id']);
    const state = new RequestState(services.logger, requestId);
    const earlier = ctx.state as Record<string, unknown>;
    for (const key in earlier) if (key !== 'log' && key !== 'requestId') state[key] = earlier[key];
    ctx.state = state;
    ctx.res.setHeader('X-Request-Id', requestId);
    try {
      await next();
    } finally {
      const seconds = (performance.now() - start) / 1000;
      const matched = (ctx as unknown as { _matchedRoute?: unknown })._matchedRoute;
      observer.finished(ctx.method, typeof matched === 'string' ? matched : 'unmatched', ctx.status, seconds, state);
    }
  };
}
