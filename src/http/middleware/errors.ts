import type { Context, Middleware } from 'koa';
import { GatewayError } from '../../errors/gateway-error.js';
import { answerOf } from '../errors.js';
import { StoreNotReplicatedError, StoreUnavailableError } from '../../store/store.js';
import type { HttpDeps } from '../deps.js';
import type { Logger } from '../../observability/logger.js';

/**
 * The one place errors become responses. GatewayErrors are expected (bad input, upstream
 * failures): logged once at their level, counted by code, rendered as JSON for API clients and
 * as a page for people. Anything else is a bug: logged as error, answered 500 without details.
 */
export function handleErrors(services: Pick<HttpDeps, 'metrics' | 'pages' | 'loggablePath'>): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new GatewayError('not_found', 'There is nothing at this address.', { level: 'debug' });
      }
      if (ctx.status === 405 && ctx.body === undefined) {
        const allow = ctx.response.get('Allow');
        throw new GatewayError('method_not_allowed', `This address does not answer ${ctx.method} requests.`, { level: 'info', detail: { method: ctx.method.slice(0, 16), allow }, allowedMethods: allow.split(',').map((method) => method.trim()) });
      }
    } catch (thrown) {
      const error = toGatewayError(thrown);
      const answer = answerOf(error, koaClientStatus(thrown));
      const log = (ctx.state.log as Logger | undefined) ?? undefined;
      services.metrics.errors.inc({ kind: answer.code });
      if (log) {
        const fields = { code: answer.code, status: answer.status, path: services.loggablePath(ctx.path), ...error.detail };
        if (answer.status >= 500 && error.code === 'internal_error') log.error({ ...fields, err: thrown }, error.message);
        else log[answer.level](fields, error.operatorMessage ?? error.message);
      }
      ctx.status = answer.status;
      for (const [name, value] of Object.entries(answer.headers)) ctx.set(name, value);
      if (wantsJson(ctx)) {
        ctx.body = { error: answer.code, message: error.message, ...(error.context ? { details: error.context } : {}) };
      } else {
        ctx.type = 'text/html; charset=utf-8';
        ctx.body = services.pages.errorPage({
          status: answer.status,
          code: answer.code,
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
    return new GatewayError('store_not_replicated', 'The change was not confirmed by the state store\'s replicas in time: it may or may not have been saved. Check the result, and repeat the request if it is missing.', {
      level: 'warn',
      detail: { reason: thrown.message },
      retryAfterSeconds: 1,
    });
  }
  if (thrown instanceof StoreUnavailableError) {
    return new GatewayError('store_unavailable', 'The login service cannot reach its state store right now. Please try again in a moment.', {
      level: 'warn',
      detail: { reason: thrown.message },
      retryAfterSeconds: 5,
    });
  }
  const status = koaClientStatus(thrown);
  if (status !== undefined) {
    // Koa's own client errors (e.g. malformed URL encoding in ctx.query), answered with their status.
    return new GatewayError(status === 413 ? 'payload_too_large' : 'invalid_request', 'The request is malformed.', { level: 'info' });
  }
  return new GatewayError('internal_error', 'Something went wrong on our side.', { level: 'error', cause: thrown });
}

/** The 4xx status of an error Koa itself threw (not a GatewayError), kept as it is. */
function koaClientStatus(thrown: unknown): number | undefined {
  if (thrown instanceof GatewayError) return undefined;
  const status = (thrown as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

function wantsJson(ctx: Context): boolean {
  if (ctx.path.includes('/api/') || ctx.path.endsWith('/readyz') || ctx.path.includes('/auth/') && ctx.method === 'POST') return true;
  const accept = ctx.get('accept');
  return accept.includes('application/json') && !accept.includes('text/html');
}
