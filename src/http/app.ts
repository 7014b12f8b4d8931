import { METHODS } from 'node:http';
import Koa, { type Middleware } from 'koa';
import { Router } from '@koa/router';
import type { HttpDeps } from './deps.js';
import { handleErrors } from './middleware/errors.js';
import { SecurityHeaders, securityHeaders } from './middleware/headers.js';
import { observe, type RequestObserver } from './middleware/observe.js';
import { servePublished } from './middleware/published.js';
import type { FixedAnswers } from './fixed-answers.js';
import { operationsRoutes } from './routes/operations.js';

/**
 * A feature contributes routes; they are mounted under the path of publicUrl (e.g. /sso). Each
 * feature declares what it needs (`D`); the composition root's services provide all of it.
 */
export type RouteFactory<D> = (deps: D) => Router;

/**
 * The Koa application: published keys (fixed answers) → answers on every proxied request (the
 * gate's check) → observe → security headers → errors → routes. Operations endpoints are also
 * served at the root so probes work whatever publicUrl's path is.
 */
export function createApp<S extends HttpDeps>(
  services: S,
  /** The published keys, answered from this table by the request listener and by Koa alike. */
  answers: FixedAnswers,
  features: readonly RouteFactory<S>[],
  hotPaths: readonly Middleware[] = [],
  /** The early routes' observer (src/http/early.ts), so both paths share request ids and metric children. */
  observer?: RequestObserver,
): Koa {
  const app = new Koa({ proxy: services.config.server.trustProxy });
  app.silent = true; // errors are logged by handleErrors, once
  app.use(servePublished(answers));
  for (const middleware of hotPaths) app.use(middleware);
  app.use(observe(services, observer));
  app.use(securityHeaders(new SecurityHeaders(services.pageScriptHashes)));
  app.use(handleErrors(services));

  // ONE router: the features' routes are copied into it (router.use flattens a nested router's
  // layers), so a request is matched once and composes only the matched route's middleware.
  // 405 answers come from the single allowedMethods below (a per-feature allowedMethods
  // would only repeat it: they all read the same ctx.matched).
  // Every method Node's parser accepts is "known": one a route does not serve is 405 with Allow
  // (TRACE, PROPFIND, … included), never 501; a path with no route stays 404.
  const mounted = new Router({ ...(services.basePath ? { prefix: services.basePath } : {}), methods: [...METHODS] });
  // With a management port, /metrics and /readyz?verbose live there only (src/http/management.ts).
  const detailed = services.config.server.management.port === undefined;
  const operations = operationsRoutes(services, { detailed });
  mounted.use(operations.routes());
  for (const feature of features) mounted.use(feature(services).routes());
  app.use(mounted.routes());
  app.use(mounted.allowedMethods());
  if (services.basePath) {
    const root = operationsRoutes(services, { detailed });
    app.use(root.routes());
  }
  return app;
}
