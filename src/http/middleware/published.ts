import type { Middleware } from 'koa';
import type { FixedAnswers } from '../fixed-answers.js';

/**
 * Prosody fetches keys on every new kid and, with cache_keys_url, on a timer from every virtual
 * host. The request listener answers them before Koa (src/http/fixed-answers.ts); what still
 * reaches Koa for the same path (an absolute-form request target, which only Koa parses) is
 * answered here from the same table, before routing, logging and error handling.
 */
export function servePublished(answers: FixedAnswers): Middleware {
  return async (ctx, next) => {
    if (!answers.answerAt(ctx.method, ctx.path, ctx.res, false)) return next();
    ctx.respond = false;
  };
}
