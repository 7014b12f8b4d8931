import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { HttpDeps } from './deps.js';
import { hardenCookie, SecurityHeaders } from './middleware/headers.js';
import { handedOver, RequestObserver, RequestState } from './middleware/observe.js';

/**
 * What an early route's action decided: a redirect, written at once, or `koa`: the request goes
 * on through the Koa application, which answers it as it answers every other request (the route
 * keeps what its action computed, so nothing runs twice: pages, errors and their logging).
 */
export type EarlyResult = { kind: 'redirect'; location: string; cookies: readonly string[] } | { kind: 'koa' };

/**
 * A route whose common answer is written before Koa (the login start: Jitsi's tokenAuthUrl is the
 * gateway's busiest page). GET only, at exactly `path` (the query string aside); every other
 * method or spelling of the path goes through Koa as before.
 */
export interface EarlyRoute {
  path: string;
  /** Route label of the HTTP metrics: the template Koa's router reports for the same route. */
  route: string;
  /** Never rejects: a failure is the action's to keep for Koa (`koa`). */
  run(request: IncomingMessage, query: string, requestId: string): Promise<EarlyResult>;
}

/** Request targets Koa would not parse with its fast path (parseurl): left to Koa. */
const UNUSUAL_TARGET = /[\t\n\f\r #\u00a0\ufeff]/;

/**
 * Early routes and what every answer they write carries, exactly as the Koa middleware writes it
 * for the same answer (shared, not copied): the request id (src/http/middleware/observe.ts), the
 * security headers and hardened cookies (headers.ts), the HTTP metrics and the debug access line
 * (RequestObserver), `Connection: close` while draining (the listener's response, server.ts).
 * A redirect has the body Koa gives `ctx.body = ''`: empty, text/plain.
 */
export class EarlyRoutes {
  readonly observer: RequestObserver;
  private readonly routes = new Map<string, EarlyRoute>();
  private readonly securityHeaders: readonly [Readonly<Record<string, string>>, Readonly<Record<string, string>>];

  constructor(
    private readonly services: Pick<HttpDeps, 'logger' | 'metrics' | 'config' | 'pageScriptHashes'>,
    routes: readonly EarlyRoute[],
  ) {
    this.observer = new RequestObserver(services);
    for (const route of routes) this.routes.set(route.path, route);
    const headers = new SecurityHeaders(services.pageScriptHashes);
    this.securityHeaders = [headers.defaults(false), headers.defaults(true)];
  }

  /**
   * Takes a GET of an early route's path and answers it (directly or through `koa`); returns false
   * without touching the request otherwise.
   */
  take(request: IncomingMessage, response: ServerResponse, koa: (request: IncomingMessage, response: ServerResponse) => Promise<void>): boolean {
    if (request.method !== 'GET' || this.routes.size === 0) return false;
    const url = request.url ?? '';
    const mark = url.indexOf('?');
    const route = this.routes.get(mark < 0 ? url : url.slice(0, mark));
    if (route === undefined || UNUSUAL_TARGET.test(url)) return false;
    const start = performance.now();
    const requestId = this.observer.requestId(request.headers['x-request-id']);
    const toKoa = () => {
      handedOver.set(request, { requestId, start });
      void koa(request, response);
    };
    let running: Promise<EarlyResult>;
    try {
      running = route.run(request, mark < 0 ? '' : url.slice(mark + 1), requestId);
    } catch {
      running = Promise.resolve({ kind: 'koa' });
    }
    void running
      .then(
        (result) => {
          if (result.kind === 'koa' || !this.redirect(request, response, route, requestId, start, result)) toKoa();
        },
        toKoa,
      )
      .catch((error: unknown) => {
        // A bug of this file: logged, and the request never left hanging (nor the process crashed).
        this.services.logger.error({ err: error, requestId }, 'an answer written before Koa failed');
        if (!response.headersSent) toKoa();
        else response.destroy();
      });
    return true;
  }

  /** Writes the redirect (false when Node refuses a header value: Koa then answers, as it would have). */
  private redirect(request: IncomingMessage, response: ServerResponse, route: EarlyRoute, requestId: string, start: number, result: { location: string; cookies: readonly string[] }): boolean {
    if (response.headersSent) return true;
    const secure = isSecure(request, this.services.config.server.trustProxy);
    const headers: OutgoingHttpHeaders = { 'X-Request-Id': requestId };
    if (result.cookies.length > 0) headers['Set-Cookie'] = result.cookies.map((cookie) => hardenCookie(cookie, secure));
    headers.Location = result.location;
    headers['Content-Type'] = 'text/plain; charset=utf-8';
    headers['Content-Length'] = '0';
    Object.assign(headers, this.securityHeaders[secure ? 1 : 0]);
    try {
      response.writeHead(303, headers);
    } catch {
      return false;
    }
    response.end('');
    this.observer.finished('GET', route.route, 303, (performance.now() - start) / 1000, new RequestState(this.services.logger, requestId));
    return true;
  }
}

/** Koa's ctx.secure (request.protocol): TLS, or with trustProxy the first X-Forwarded-Proto. */
function isSecure(request: IncomingMessage, trustProxy: boolean): boolean {
  if ((request.socket as { encrypted?: boolean }).encrypted) return true;
  if (!trustProxy) return false;
  const proto = request.headers['x-forwarded-proto'];
  return typeof proto === 'string' && proto !== '' && (proto.split(',', 1)[0] ?? '').trim().toLowerCase() === 'https';
}
