import type { ServerResponse } from 'node:http';
import type { Context, Middleware } from 'koa';

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
 * A Content-Security-Policy. Scripts: only those allowed by hash (the gateway's own static inline
 * scripts, see SecurityHeaders); styles: the gateway's stylesheet file; images: the gateway and
 * https logos; no plugins, no framing, no <base>, forms post to the gateway only. A route widens
 * it per response with extendPagePolicy.
 */
export function contentSecurityPolicy(policy: PagePolicy = {}): string {
  return [
    "default-src 'none'",
    `script-src ${sources(policy.scriptHashes, "'none'")}`,
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

const PERMISSIONS_POLICY = 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), display-capture=()';

/** One security header; `routeMaySet`: a value the route set itself is kept. */
type SecurityHeader = readonly [name: string, value: string, routeMaySet: boolean];

function headerSet(csp: string, frameOptions: string, secure: boolean): readonly SecurityHeader[] {
  return [
    ['content-security-policy', csp, true],
    ['x-frame-options', frameOptions, true],
    ['x-content-type-options', 'nosniff', false],
    ['referrer-policy', 'no-referrer', false],
    ['cross-origin-resource-policy', 'same-origin', false],
    ['permissions-policy', PERMISSIONS_POLICY, false],
    ...(secure ? [['strict-transport-security', 'max-age=31536000', false] as const] : []),
    ['cache-control', 'no-store', true],
  ];
}

/**
 * The security headers of every response, built once for the pages' own static inline scripts:
 * their hashes (src/pages/scripts.ts) are allowed on every page, before what a route adds. The
 * composition root passes them in; the edge knows no feature.
 */
export class SecurityHeaders {
  /** The headers of a response without a page policy (over http, over https). */
  private readonly defaultSets: readonly [readonly SecurityHeader[], readonly SecurityHeader[]];

  constructor(private readonly pageScriptHashes: readonly string[]) {
    const csp = contentSecurityPolicy({ scriptHashes: pageScriptHashes });
    this.defaultSets = [headerSet(csp, 'DENY', false), headerSet(csp, 'DENY', true)];
  }

  /**
   * The security headers of a response whose route wrote no header of its own among them (a
   * redirect, for instance), as one object: what `write` writes on such a response.
   */
  defaults(secure: boolean): Readonly<Record<string, string>> {
    return Object.fromEntries(this.defaultSets[secure ? 1 : 0].map(([name, value]) => [name, value]));
  }

  /**
   * Writes the security headers on the way out, straight on the Node response (Koa's ctx.set builds
   * arrays per header): the route's own Content-Security-Policy, X-Frame-Options and Cache-Control
   * are kept, its cookies hardened.
   */
  write(res: ServerResponse, policy: PagePolicy | undefined, secure: boolean): void {
    const set = policy
      ? headerSet(contentSecurityPolicy({ ...policy, scriptHashes: [...this.pageScriptHashes, ...(policy.scriptHashes ?? [])] }), policy.frameAncestors?.includes("'self'") ? 'SAMEORIGIN' : 'DENY', secure)
      : this.defaultSets[secure ? 1 : 0];
    for (const [name, value, routeMaySet] of set) {
      if (!routeMaySet || !res.hasHeader(name)) res.setHeader(name, value);
    }
    const cookies = res.getHeader('set-cookie');
    if (cookies === undefined || cookies === '') return;
    if (typeof cookies === 'string') {
      const hardened = hardenCookie(cookies, secure);
      if (hardened !== cookies) res.setHeader('set-cookie', hardened);
    } else if (Array.isArray(cookies)) {
      const hardened = cookies.map((cookie) => hardenCookie(cookie, secure));
      if (hardened.some((cookie, index) => cookie !== cookies[index])) res.setHeader('set-cookie', hardened);
    }
  }
}

/**
 * Security headers on every response: the page policy above, no referrer (the join URL carries
 * the token in its hash), no MIME sniffing, no framing unless a route allows its own origin, no
 * powerful browser features, HSTS over https, no caching unless a route says otherwise, and a
 * safety net that keeps every cookie HttpOnly, SameSite and (over https) Secure.
 */
export function securityHeaders(headers: SecurityHeaders): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } finally {
      if (!ctx.res.headersSent) headers.write(ctx.res, ctx.state[STATE_KEY] as PagePolicy | undefined, ctx.secure);
    }
  };
}

const HTTP_ONLY = /;\s*httponly/i;
const SAME_SITE = /;\s*samesite=/i;
const SECURE = /;\s*secure/i;

/** A Set-Cookie value with HttpOnly, SameSite=Lax and (over https) Secure added where it lacks them. */
export function hardenCookie(cookie: string, secure: boolean): string {
  let out = cookie;
  if (!HTTP_ONLY.test(cookie)) out += '; httponly';
  if (!SAME_SITE.test(cookie)) out += '; samesite=lax';
  if (secure && !SECURE.test(cookie)) out += '; secure';
  return out;
}
