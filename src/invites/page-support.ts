import type { Context } from 'koa';
import type { Logger } from '../observability/logger.js';

/** The request's logger (src/http/middleware/observe.ts), when the request went through it. */
export function requestLog(ctx: Context): Logger | undefined {
  return ctx.state.log as Logger | undefined;
}
