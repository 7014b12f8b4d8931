import type { Context, Middleware } from 'koa';
import { GatewayError } from '../errors.js';
import { StoreNotReplicatedError, StoreUnavailableError } from '../../store/store.js';
import type { HttpDeps } from '../deps.js';
import type { Logger } from '../../observability/logger.js';
import { loggablePath } from '../../invites/reference.js';

/**
 * The one place errors become responses. GatewayErrors are expected (bad input, upstream
 * failures): logged once at their level, counted by code, rendered as JSON for API clients and
 * as a page for people. Anything else is a bug: logged as error, answered 500 without details.
 */
export function handleErrors(services: Pick<HttpDeps, 'metrics' | 'pages'>): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new GatewayError(404, 'not_found', 'There is nothing at this address.', { level: 'debug' });
      }
      if (ctx.status === 405 && ctx.body === undefined) {
        const allow = ctx.response.get('Allow');
        throw new GatewayError(405, 'method_not_allowed', `This address does not answer ${ctx.method} requests.`, { level: 'info', detail: { method: ctx.method.slice(0, 16), allow }, headers: { Allow: allow } });
      }
    } catch (thrown) {
      const error = toGatewayError(thrown);
      const log = (ctx.state.log as Logger | undefined) ?? undefined;
      services.metrics.errors.inc({ kind: error.code });
      if (log) {
        const fields = { code: error.code, status: error.status, path: loggablePath(ctx.path), ...error.detail };
        if (error.status >= 500 && error.code === 'internal_error') log.error({ ...fields, err: thrown }, error.message);
        else log[error.level](fields, error.operatorMessage ?? error.message);
      }
      ctx.status = error.status;
      for (const [name, value] of Object.entries(error.headers ?? {})) ctx.set(name, value);
      if (wantsJson(ctx)) {
        ctx.body = { error: error.code, message: error.message, ...(error.context ? { details: error.context } : {}) };
      } else {
        ctx.type = 'text/html; charset=utf-8';
        ctx.body = services.pages.errorPage({
          status: error.status,
          code: error.code,
          message: error.message,
          acceptLanguage: ctx.get('accept-language'),
          context: error.context,
        });
      }
    }
  };
}

export function toGatewayError(thrown: unknown): GatewayError {
  if (thrown instanceof GatewayError) return thrown;
  if (thrown instanceof StoreNotReplicatedError) {
    // Operator and security state (docs/store.md): the primary executed the write, too few
    // replicas confirmed it in time, so it may or may not survive a failover.
    return new GatewayError(503, 'store_not_replicated', 'The change was not confirmed by the state store\'s replicas in time: it may or may not have been saved. Check the result, and repeat the request if it is missing.', {
      level: 'warn',
      detail: { reason: thrown.message },
      headers: { 'Retry-After': '1' },
    });
  }
  if (thrown instanceof StoreUnavailableError) {
    return new GatewayError(503, 'store_unavailable', 'The login service cannot reach its state store right now. Please try again in a moment.', {
      level: 'warn',
      detail: { reason: thrown.message },
      headers: { 'Retry-After': '5' },
    });
  }
  const status = (thrown as { status?: unknown; expose?: unknown })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // Koa's own client errors (e.g. malformed URL encoding in ctx.query).
    return new GatewayError(status, status === 413 ? 'payload_too_large' : 'invalid_request', 'The request is malformed.', { level: 'info' });
  }
  return new GatewayError(500, 'internal_error', 'Something went wrong on our side.', { level: 'error', cause: thrown });
}

function wantsJson(ctx: Context): boolean {
  if (ctx.path.includes('/api/') || ctx.path.endsWith('/readyz') || ctx.path.includes('/auth/') && ctx.method === 'POST') return true;
  const accept = ctx.get('accept');
  return accept.includes('application/json') && !accept.includes('text/html');
}
