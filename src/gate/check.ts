import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Middleware } from 'koa';
import { loadSessionById } from '../session/session.js';
import { StoreUnavailableError } from '../store/store.js';
import type { JitsiTarget } from '../tokens/target.js';
import type { Gate } from './gate.js';
import { cookieValues, type GatePass } from './pass.js';

/**
 * The forward-auth check the reverse proxy in front of a Jitsi host asks on every request:
 *
 *   ANY <base>/gate/check/<target>[/<original path>]            2xx or 401 with the sign-in URL in X-Gate-Sign-In
 *                                                               (nginx auth_request, ingress-nginx auth-url)
 *   ANY <base>/gate/check-redirect/<target>[/<original path>]   2xx, or 302 to sign-in for a browser navigation,
 *                                                               else 401 (Traefik forwardAuth, Envoy ext_authz:
 *                                                               they hand a denial to the browser as it is)
 *
 * Which Jitsi host is asked about comes from the check's own URL, which the operator writes into
 * the proxy's configuration for that host, never from a request header: X-Forwarded-Host,
 * X-Original-URL and Host pass through most proxies from the client unchanged unless the proxy
 * overwrites them, and trusting one would let a pass for host B open host A. Headers only
 * suggest the path to return to after sign-in (X-Original-URL, else X-Forwarded-Uri, else the
 * path after the target, which is how Envoy's path_prefix appends it), and /gate/start checks that
 * against the target again.
 *
 * Served before routing, logging and the security headers (like the published keys): a fresh
 * pass is answered from its HMAC alone. A pass older than gate.recheckSeconds costs one store
 * read: the session still exists → a new pass in Set-Cookie and 2xx; it ended (logout, back-channel
 * logout, expiry) → 401. The store unreachable → 503 (fail closed).
 */

const SKEW_SECONDS = 30;
const HEADER_SAFE = /^[\x20-\x7e]*$/;

type Mode = 'check' | 'redirect';

interface Matched {
  mode: Mode;
  target: JitsiTarget;
  /** What follows `/<target>` in the URL: the original path with Envoy's path_prefix, else ''. */
  suffix: string;
}

const headerValue = (value: string) => (HEADER_SAFE.test(value) ? value : encodeURIComponent(value));

function single(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** The path (and query) the person asked for, as the proxy reports it; '/' when it says nothing. */
export function originalPath(req: IncomingMessage, suffix: string): string {
  const reported = single(req, 'x-original-url') ?? single(req, 'x-forwarded-uri') ?? (suffix !== '' ? suffix : undefined);
  if (reported === undefined) return '/';
  try {
    const url = new URL(reported, 'http://gate.invalid');
    return `${url.pathname}${url.search}`;
  } catch {
    return '/';
  }
}

function isNavigation(req: IncomingMessage): boolean {
  const method = single(req, 'x-forwarded-method') ?? single(req, 'x-original-method') ?? req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') return false;
  const mode = single(req, 'sec-fetch-mode');
  if (mode !== undefined) return mode === 'navigate';
  return (single(req, 'accept') ?? '').includes('text/html');
}

export function gateCheck(gate: Gate): Middleware {
  const { services } = gate;
  const base = services.basePath;
  const prefixes: Array<[string, Mode]> = [
    [`${base}/gate/check/`, 'check'],
    [`${base}/gate/check-redirect/`, 'redirect'],
  ];
  const counters = new Map<string, { inc(): void }>();
  const count = (method: string, mode: Mode, status: number) => {
    const key = `${method} ${mode} ${status}`;
    let counter = counters.get(key);
    if (!counter) {
      const route = `${base}/gate/${mode === 'check' ? 'check' : 'check-redirect'}/:target`;
      counter = services.metrics.httpRequests.labels({ method: method.slice(0, 16), route, status: String(status) });
      if (counters.size < 200) counters.set(key, counter);
    }
    counter.inc();
  };

  function match(url: string): Matched | undefined {
    for (const [prefix, mode] of prefixes) {
      if (!url.startsWith(prefix)) continue;
      let end = prefix.length;
      while (end < url.length) {
        const code = url.charCodeAt(end);
        if (code === 47 /* / */ || code === 63 /* ? */) break;
        end += 1;
      }
      const target = services.targets.get(url.slice(prefix.length, end));
      if (!target) return undefined; // unknown target: left to the router (404)
      const rest = url.slice(end);
      return { mode, target, suffix: rest.startsWith('/') ? rest : '' };
    }
    return undefined;
  }

  function allow(res: ServerResponse, pass: GatePass, setCookie?: string): void {
    res.statusCode = 200;
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Auth-Request-User', headerValue(pass.user));
    res.setHeader('X-Auth-Request-Provider', headerValue(pass.provider));
    if (setCookie) res.setHeader('Set-Cookie', setCookie);
    res.end();
  }

  function deny(req: IncomingMessage, res: ServerResponse, matched: Matched): number {
    res.setHeader('Cache-Control', 'no-store');
    const signIn = gate.startUrl(matched.target, originalPath(req, matched.suffix));
    if (matched.mode === 'redirect' && isNavigation(req)) {
      res.statusCode = 302;
      res.setHeader('Location', signIn);
    } else {
      // nginx: `auth_request_set $gate_sign_in $upstream_http_x_gate_sign_in;` then
      // `return 302 $gate_sign_in;` (the return URL already escaped, which nginx cannot do).
      res.statusCode = 401;
      res.setHeader('X-Gate-Sign-In', signIn);
    }
    res.end();
    return res.statusCode;
  }

  return async (ctx, next) => {
    const { req, res } = ctx;
    const matched = match(req.url ?? '');
    if (!matched) return next();
    ctx.respond = false;
    const method = req.method ?? 'GET';
    const name = gate.cookieName(matched.target.name);
    const at = Math.floor(Date.now() / 1000);
    let stale: GatePass | undefined;
    for (const value of cookieValues(single(req, 'cookie'), name)) {
      const pass = gate.signer.verify(value);
      if (!pass || pass.target !== matched.target.name || pass.expiresAt <= at || pass.issuedAt > at + SKEW_SECONDS) continue;
      if (at - pass.issuedAt < gate.recheckSeconds) {
        allow(res, pass);
        count(method, matched.mode, 200);
        return;
      }
      stale ??= pass;
    }
    if (!stale) {
      count(method, matched.mode, deny(req, res, matched));
      return;
    }
    try {
      const loaded = await loadSessionById(services.store, stale.sessionId);
      if (!loaded || loaded.session.provider !== stale.provider) {
        services.logger.debug({ target: matched.target.name, provider: stale.provider }, 'gate: the session of a pass has ended');
        count(method, matched.mode, deny(req, res, matched));
        return;
      }
      const renewed = gate.passFor(matched.target.name, loaded, at);
      allow(res, renewed, gate.setCookie(renewed, at));
      count(method, matched.mode, 200);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) services.logger.error({ err: error }, 'gate: check failed');
      else services.logger.warn({ reason: error.message }, 'gate: store unavailable, refusing stale passes');
      res.statusCode = 503;
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Retry-After', '5');
      res.end();
      count(method, matched.mode, 503);
    }
  };
}
