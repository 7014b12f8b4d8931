import type { Middleware } from 'koa';

/**
 * Baseline security headers on every response. Pages that need scripts or framing set their own
 * Content-Security-Policy (with a nonce or hash) before this runs its defaults.
 */
export function securityHeaders(): Middleware {
  return async (ctx, next) => {
    await next();
    ctx.set('X-Content-Type-Options', 'nosniff');
    // The join URL carries the token in its hash; never leak URLs to third parties.
    ctx.set('Referrer-Policy', 'no-referrer');
    if (!ctx.response.get('Content-Security-Policy')) {
      ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    }
    if (!ctx.response.get('X-Frame-Options') && !ctx.response.get('Content-Security-Policy').includes('frame-ancestors \'self')) {
      ctx.set('X-Frame-Options', 'DENY');
    }
    if (!ctx.response.get('Cache-Control')) ctx.set('Cache-Control', 'no-store');
  };
}
