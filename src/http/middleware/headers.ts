import type { Context, Middleware } from 'koa';
import { PAGE_SCRIPT_HASHES } from '../../pages/scripts.js';

/**
 * What a route may add to the page policy of its response (call `extendPagePolicy` before or
 * after rendering; the policy is written once, on the way out).
 *
 * - scriptHashes: `'sha256-…'` of a static inline script the page carries (never a nonce-less
 *   `'unsafe-inline'`).
 * - formAction: origins a form on the page may submit to *or be redirected to* after submitting
 *   (Chromium applies form-action to the redirects of a form submission): e.g. the Jitsi origin
 *   for a form whose answer is a redirect into the meeting.
 * - frameAncestors: who may frame the page. Only the inline logout iframe needs this, as `'self'`
 *   (the gateway on Jitsi's origin, e.g. under /sso/).
 * - connectSrc: origins scripts on the page may fetch from.
 * - frameSrc: what the page may frame (the demo's stand-in Jitsi page frames the logout).
 */
export interface PagePolicy {
  scriptHashes?: readonly string[];
  formAction?: readonly string[];
  frameAncestors?: readonly string[];
  connectSrc?: readonly string[];
  frameSrc?: readonly string[];
}

const STATE_KEY = 'pagePolicy';

/** Widens the Content-Security-Policy of this response only. */
export function extendPagePolicy(ctx: Context, policy: PagePolicy): void {
  const current = (ctx.state[STATE_KEY] as PagePolicy | undefined) ?? {};
  const merge = (first: readonly string[] | undefined, second: readonly string[] | undefined) => [...new Set([...(first ?? []), ...(second ?? [])])];
  ctx.state[STATE_KEY] = {
    scriptHashes: merge(current.scriptHashes, policy.scriptHashes),
    formAction: merge(current.formAction, policy.formAction),
    frameAncestors: merge(current.frameAncestors, policy.frameAncestors),
    connectSrc: merge(current.connectSrc, policy.connectSrc),
    frameSrc: merge(current.frameSrc, policy.frameSrc),
  } satisfies PagePolicy;
}

const SOURCE = /^(?:'self'|'none'|'sha(?:256|384|512)-[A-Za-z0-9+/]+={0,2}'|https?:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?|https?:\/\/\[[0-9a-fA-F:.]+\](?::\d{1,5})?)$/;

function sources(values: readonly string[] | undefined, fallback: string): string {
  const valid = (values ?? []).filter((value) => SOURCE.test(value));
  return valid.length > 0 ? valid.join(' ') : fallback;
}

/**
 * The Content-Security-Policy of every response. Scripts: only the gateway's own static inline
 * scripts, allowed by hash (the inline-login completion script); styles: the gateway's stylesheet
 * file; images: the gateway and https logos; no plugins, no framing, no <base>, forms post to the
 * gateway only. A route widens it per response with extendPagePolicy.
 */
export function contentSecurityPolicy(policy: PagePolicy = {}): string {
  const scripts = [...PAGE_SCRIPT_HASHES, ...(policy.scriptHashes ?? [])];
  return [
    "default-src 'none'",
    `script-src ${sources(scripts, "'none'")}`,
    "style-src 'self'",
    "img-src 'self' data: https:",
    `connect-src ${sources(policy.connectSrc, "'none'")}`,
    `frame-src ${sources(policy.frameSrc, "'none'")}`,
    `form-action ${sources(["'self'", ...(policy.formAction ?? [])], "'self'")}`,
    `frame-ancestors ${sources(policy.frameAncestors, "'none'")}`,
    "base-uri 'none'",
    "object-src 'none'",
  ].join('; ');
}

const DEFAULT_POLICY = contentSecurityPolicy();

/**
 * Security headers on every response: the page policy above, no referrer (the join URL carries
 * the token in its hash), no MIME sniffing, no framing unless a route allows its own origin, no
 * powerful browser features, HSTS over https, no caching unless a route says otherwise, and a
 * safety net that keeps every cookie HttpOnly, SameSite and (over https) Secure.
 */
export function securityHeaders(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } finally {
      // Straight on the Node response (what ctx.set does, minus Koa's delegation per header).
      const res = ctx.res;
      if (!res.headersSent) {
        const policy = ctx.state[STATE_KEY] as PagePolicy | undefined;
        if (!res.hasHeader('Content-Security-Policy')) {
          res.setHeader('Content-Security-Policy', policy ? contentSecurityPolicy(policy) : DEFAULT_POLICY);
        }
        const framedBySelf = policy?.frameAncestors?.includes("'self'") ?? false;
        if (!res.hasHeader('X-Frame-Options')) res.setHeader('X-Frame-Options', framedBySelf ? 'SAMEORIGIN' : 'DENY');
        res.setHeader('X-Content-Type-Options', 'nosniff');
        res.setHeader('Referrer-Policy', 'no-referrer');
        res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
        res.setHeader('Permissions-Policy', PERMISSIONS_POLICY);
        if (ctx.secure) res.setHeader('Strict-Transport-Security', 'max-age=31536000');
        if (!res.hasHeader('Cache-Control')) res.setHeader('Cache-Control', 'no-store');
        if (res.hasHeader('Set-Cookie')) hardenCookies(ctx);
      }
    }
  };
}

const PERMISSIONS_POLICY = 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), display-capture=()';

function hardenCookies(ctx: Context): void {
  const raw = ctx.response.get('Set-Cookie') as unknown;
  const cookies = Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' && raw ? [raw] : [];
  if (cookies.length === 0) return;
  const hardened = cookies.map((cookie) => {
    let out = cookie;
    const lower = cookie.toLowerCase();
    if (!/;\s*httponly/.test(lower)) out += '; httponly';
    if (!/;\s*samesite=/.test(lower)) out += '; samesite=lax';
    if (ctx.secure && !/;\s*secure/.test(lower)) out += '; secure';
    return out;
  });
  ctx.set('Set-Cookie', hardened);
}
