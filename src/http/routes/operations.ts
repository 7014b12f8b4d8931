import { Router } from '@koa/router';
import type { Context } from 'koa';
import type { HttpDeps } from '../deps.js';
import { evaluateReadiness, excludedChecks, UnknownCheckError } from '../../observability/readiness.js';

export interface OperationsOptions {
  /**
   * Serve what only operators should see: `/readyz?verbose` (each check and each identity
   * provider, with the reason) and `/metrics` (which names API clients). True on the management
   * listener, and on the main listener only when no management port is configured.
   */
  detailed: boolean;
}

/**
 * /healthz (the process answers), /readyz (it can serve its core traffic; see ../readiness.ts)
 * and, when `detailed`, /metrics. The main listener with a management port configured answers a
 * terse /readyz ({"status": …}, ?verbose ignored) and 404 for /metrics.
 */
export function operationsRoutes(services: HttpDeps, options: OperationsOptions): Router {
  const router = new Router();

  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  router.get('/readyz', async (ctx) => {
    await readyz(ctx, services, options.detailed && ctx.query.verbose !== undefined);
  });

  if (options.detailed) {
    router.get('/metrics', async (ctx) => {
      ctx.type = services.metrics.registry.contentType;
      ctx.body = await services.metrics.registry.metrics();
    });
  }

  return router;
}

async function readyz(ctx: Context, services: HttpDeps, verbose: boolean): Promise<void> {
  let report;
  try {
    report = await evaluateReadiness(services.readiness, excludedChecks(ctx.query));
  } catch (error) {
    if (!(error instanceof UnknownCheckError)) throw error;
    ctx.status = 400;
    ctx.body = { error: 'invalid_request', message: error.message };
    return;
  }
  ctx.status = report.ready ? 200 : 503;
  ctx.set('Cache-Control', 'no-store');
  const status = report.ready ? 'ready' : 'not ready';
  if (!verbose) {
    ctx.body = { status };
    return;
  }
  // Identity providers are shown for the operator, but do not decide readiness.
  const providers = await Promise.all(
    [...services.providers.values()].map(async (provider) => {
      try {
        return { name: provider.name, ...(await provider.ready()) };
      } catch (error) {
        return { name: provider.name, ok: false, detail: error instanceof Error ? error.message : 'failed' };
      }
    }),
  );
  ctx.body = { status, checks: report.checks, identityProviders: providers };
}
