import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Router } from '@koa/router';
import type { Context } from 'koa';
import { readBody } from '../http/body.js';
import type { EarlyResult, EarlyRoute } from '../http/early.js';
import { extendPagePolicy } from '../http/middleware/headers.js';
import type { LoginDeps } from './deps.js';
import { GatewayError } from '../errors/gateway-error.js';
import { callback, callbackErrorContext, type CallbackFlow } from './callback.js';
import { parseCookies } from '../session/cookies.js';
import { entryErrorContext, login } from './entry.js';
import type { Flow, HttpIn, HttpOut, Outcome } from './flow.js';
import { backchannelLogout, confirmedLogout, frontchannelLogout, loggedOut, logout } from './logout.js';
import { parkPostedAnswer } from './posted.js';
import { clientAddress } from '../security/client-address.js';

/**
 * The login feature's HTTP edge: request → HttpIn, run the action's steps, HttpOut → response.
 *
 *   GET  /login                              Jitsi's tokenAuthUrl
 *   GET  /auth/:provider/callback            where the IdP sends the browser back
 *   GET  /logout                             Jitsi's tokenLogoutUrl: a confirmation page (?inline=1: the silent iframe)
 *   POST /logout                             the confirmed logout (CSRF token)
 *   GET  /logout/done                        post_logout_redirect_uri
 *   POST /auth/:provider/backchannel-logout  OIDC back-channel logout / CAS single logout
 *   POST /auth/:provider/callback            form_post providers (SAML ACS): the answer, parked and
 *                                            303 to the GET callback; others: CAS single logout
 *                                            (CAS servers POST to the service URL)
 *   GET  /auth/:provider/logout              front-channel logout messages (SAML SLO, HTTP-Redirect)
 *   GET  /auth/:provider/metadata            the provider's published document (SAML SP metadata)
 */

/** A POSTed IdP answer (SAML Response with encrypted assertion and many attributes) can be large. */
const POSTED_ANSWER_LIMIT = 2 * 1024 * 1024;

const BACKCHANNEL_TYPES = ['application/x-www-form-urlencoded', 'text/xml', 'application/xml'] as const;

export function httpIn(ctx: Context, clientAddress?: string): HttpIn {
  return httpInOf(ctx.req.headers, ctx.querystring, typeof ctx.state.requestId === 'string' ? ctx.state.requestId : undefined, clientAddress);
}

/** HttpIn from the Node request's headers (what ctx.get reads, minus Koa's delegation) and query string. */
function httpInOf(headers: IncomingHttpHeaders, query: string, requestId: string | undefined, clientAddress: string | undefined): HttpIn {
  return {
    query: new URLSearchParams(query),
    cookies: parseCookies(headers.cookie ?? ''),
    requestId,
    acceptLanguage: headers['accept-language'] ?? '',
    clientAddress,
    fetchSite: (headers['sec-fetch-site'] ?? '').toLowerCase(),
    fetchDest: (headers['sec-fetch-dest'] ?? '').toLowerCase(),
  };
}

/** GET /login's client address (src/security/client-address.ts): its per-address limit counts it. */
function loginClientAddress(request: IncomingMessage, trustProxy: boolean): string | undefined {
  const forwardedFor = request.headers['x-forwarded-for'];
  return clientAddress(request.socket.remoteAddress, (typeof forwardedFor === 'string' ? forwardedFor : undefined) || undefined, trustProxy);
}

/** What an early route hands to its Koa route: the flow and how its steps ended. */
interface HandedOver<F> {
  flow: F;
  settled: { outcome: Outcome } | { error: unknown };
}

/**
 * Runs an action's steps before Koa: a redirect is answered at once by the request listener;
 * anything else (a page, an error) is handed to the Koa route through `handOver`, which answers it
 * with this outcome instead of running the steps again.
 */
async function runEarly<F extends { out: HttpOut }>(request: IncomingMessage, flow: F, steps: (flow: F) => Promise<Outcome>, handOver: WeakMap<IncomingMessage, HandedOver<F>>): Promise<EarlyResult> {
  let outcome: Outcome;
  try {
    outcome = await steps(flow);
  } catch (error) {
    handOver.set(request, { flow, settled: { error } });
    return { kind: 'koa' };
  }
  if (outcome.kind === 'redirect') return { kind: 'redirect', location: outcome.location, cookies: flow.out.cookies };
  handOver.set(request, { flow, settled: { outcome } });
  return { kind: 'koa' };
}

/**
 * Login starts run before Koa (loginStartEarly) whose answer is not a redirect (a page, an
 * error): Koa's /login route answers them with what their steps decided, without running them again.
 */
const startedEarly = new WeakMap<IncomingMessage, HandedOver<Flow>>();

/**
 * GET /login before Koa (src/http/early.ts): Jitsi's tokenAuthUrl, the gateway's busiest page. Its
 * usual answer, the 303 to the identity provider (or, with a session, back into the meeting), is
 * written at once; anything else is answered by the Koa route below, with the same steps' outcome.
 */
export function loginStartEarly(services: LoginDeps): EarlyRoute {
  const { trustProxy } = services.config.server;
  const path = `${services.basePath}/login`;
  return {
    path,
    route: path,
    run(request, query, requestId) {
      const flow: Flow = { services, http: httpInOf(request.headers, query, requestId, loginClientAddress(request, trustProxy)), out: { cookies: [] } };
      return runEarly(request, flow, login, startedEarly);
    },
  };
}

/** Callbacks run before Koa (callbackEarly) whose answer is not a redirect: answered by Koa's callback route. */
const calledBackEarly = new WeakMap<IncomingMessage, HandedOver<CallbackFlow>>();

/**
 * GET /auth/<provider>/callback before Koa (src/http/early.ts), one route per configured provider:
 * where the IdP sends every browser back. Its usual answer, the 303 into the meeting with the token
 * and the session cookie, is written at once; a page (popup and inline modes) or an error is
 * answered by the Koa route below with the same steps' outcome, as for the login start.
 */
export function callbackEarly(services: LoginDeps): EarlyRoute[] {
  const route = `${services.basePath}/auth/:provider/callback`;
  return [...services.providers.keys()].map((providerName) => ({
    path: `${services.basePath}/auth/${providerName}/callback`,
    route,
    run(request, query, requestId) {
      const flow: CallbackFlow = { services, http: httpInOf(request.headers, query, requestId, undefined), out: { cookies: [] }, providerName };
      return runEarly(request, flow, callback, calledBackEarly);
    },
  }));
}

function apply(ctx: Context, out: HttpOut, outcome?: Outcome): void {
  if (out.cookies.length > 0 && !ctx.res.headersSent) {
    // Appended to any Set-Cookie already there, in one setHeader (ctx.append: arrays per cookie).
    const earlier = ctx.res.getHeader('set-cookie');
    ctx.res.setHeader('set-cookie', earlier === undefined ? out.cookies : [...(Array.isArray(earlier) ? earlier : [String(earlier)]), ...out.cookies]);
  }
  if (!outcome) return;
  switch (outcome.kind) {
    case 'redirect':
      ctx.status = 303;
      if (!ctx.res.headersSent) ctx.res.setHeader('location', outcome.location);
      ctx.body = '';
      return;
    case 'page':
      if (outcome.frameAncestors) extendPagePolicy(ctx, { frameAncestors: outcome.frameAncestors });
      if (outcome.formAction) extendPagePolicy(ctx, { formAction: outcome.formAction });
      ctx.status = outcome.status;
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = outcome.html;
      return;
    case 'empty':
      ctx.status = outcome.status;
      ctx.body = '';
      return;
  }
}

/**
 * Runs an action; cookies decided before a failure (e.g. a new session before a policy refusal)
 * still apply, and a GatewayError gets what its page may offer (room, start again, the inline
 * popup's Jitsi origin) from what the flow knew when it failed.
 */
export async function run<F extends Flow>(
  ctx: Context,
  flow: F,
  action: (flow: F) => Promise<Outcome>,
  surroundings?: (flow: F) => Record<string, string> | undefined,
): Promise<void> {
  let outcome: Outcome | undefined;
  try {
    outcome = await action(flow);
  } catch (error) {
    const context = error instanceof GatewayError && surroundings ? surroundings(flow) : undefined;
    if (error instanceof GatewayError && context) throw error.withContext(context);
    throw error;
  } finally {
    apply(ctx, flow.out, outcome);
  }
}

export function loginRoutes(services: LoginDeps): Router {
  const router = new Router();
  const flow = (ctx: Context, address?: string): Flow => ({ services, http: httpIn(ctx, address), out: { cookies: [] } });
  const { trustProxy } = services.config.server;

  router.get('/login', (ctx) => {
    const early = startedEarly.get(ctx.req);
    if (early === undefined) return run(ctx, flow(ctx, loginClientAddress(ctx.req, trustProxy)), login, entryErrorContext);
    startedEarly.delete(ctx.req);
    const { settled } = early;
    return run(ctx, early.flow, async () => {
      if ('error' in settled) throw settled.error;
      return settled.outcome;
    }, entryErrorContext);
  });

  router.get('/auth/:provider/callback', (ctx) => {
    const early = calledBackEarly.get(ctx.req);
    if (early === undefined) return run(ctx, { ...flow(ctx), providerName: String(ctx.params.provider ?? '') }, callback, callbackErrorContext);
    calledBackEarly.delete(ctx.req);
    const { settled } = early;
    return run(ctx, early.flow, async () => {
      if ('error' in settled) throw settled.error;
      return settled.outcome;
    }, callbackErrorContext);
  });

  router.get('/logout', (ctx) => run(ctx, flow(ctx), logout));

  // The confirmed logout: the form of the confirmation page (a GET never signs anyone out by itself).
  router.post('/logout', async (ctx) => {
    const form = new URLSearchParams(await readBody(ctx, { limit: 4096, types: ['application/x-www-form-urlencoded'] }));
    await run(ctx, { ...flow(ctx), form }, confirmedLogout);
  });

  router.get('/logout/done', (ctx) => run(ctx, flow(ctx), loggedOut));

  const backchannel = async (ctx: Context & { params: Record<string, string | undefined> }) => {
    const body = await readBody(ctx, { limit: Math.min(services.config.server.maxBodyBytes, 256 * 1024), types: BACKCHANNEL_TYPES });
    await backchannelLogout({ ...flow(ctx), providerName: String(ctx.params.provider ?? '') }, body, ctx.get('content-type'));
    ctx.status = 200;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = '';
  };
  router.post('/auth/:provider/backchannel-logout', backchannel);
  router.post('/auth/:provider/callback', async (ctx) => {
    const name = String(ctx.params.provider ?? '');
    if (services.providers.get(name)?.callbackBinding !== 'form_post') {
      // CAS servers POST single-logout requests to the service URL itself: the callback.
      await backchannel(ctx);
      return;
    }
    const body = await readBody(ctx, { limit: POSTED_ANSWER_LIMIT, types: ['application/x-www-form-urlencoded'] });
    const handle = await parkPostedAnswer(services.store, body);
    ctx.status = 303;
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Location', `${services.basePath}/auth/${encodeURIComponent(name)}/callback?posted=${handle}`);
    ctx.body = '';
  });

  router.get('/auth/:provider/logout', (ctx) =>
    run(ctx, flow(ctx), async (f) => frontchannelLogout({ ...f, providerName: String(ctx.params.provider ?? '') }, ctx.querystring)),
  );

  router.get('/auth/:provider/metadata', async (ctx) => {
    const provider = services.providers.get(String(ctx.params.provider ?? ''));
    if (!provider?.metadata) throw new GatewayError('not_found', 'This sign-in provider publishes no metadata.');
    const document = await provider.metadata();
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.type = document.contentType;
    ctx.body = document.body;
  });

  return router;
}
