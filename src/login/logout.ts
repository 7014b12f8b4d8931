import { createHash, timingSafeEqual } from 'node:crypto';
import { GatewayError } from '../errors/gateway-error.js';
import { personKeyOf } from '../identity/person.js';
import type { BackchannelLogout, IdentityProvider } from '../idp/provider.js';
import type { JitsiTarget } from '../tokens/target.js';
import { targetOrigin } from './deliver.js';
import { DONE, page, redirect, runSteps, type Flow, type Outcome, type Step } from './flow.js';
import { single } from './request.js';
import { clearCookie, cookieOptions, isCookieValue, randomValue, serializeCookie, type CookieOptions } from '../session/cookies.js';
import { clearSessionCookie, endSession, loadSession, loadSessionById, revokeIndexed, type LoadedSession } from '../session/session.js';
import { readIdTokenHint } from '../token-service/id-token.js';

/**
 * GET /logout — Jitsi's tokenLogoutUrl: read the request → Jitsi's silent iframe (same site) signs
 * out at once → anyone else gets a confirmation page whose form POSTs with a CSRF token.
 *
 * POST /logout — the confirmed logout:
 *
 *   read the request → check the confirmation → end the gateway session → answer: the inline iframe gets
 *   postMessage({type: 'logout-success'}) to the Jitsi origin; a browser is sent to the IdP's
 *   RP-initiated logout (id_token_hint, post_logout_redirect_uri = <publicUrl>/logout/done) when it
 *   has one, else shown the signed-out page.
 *
 * POST /auth/:provider/backchannel-logout — the IdP ends sessions:
 *
 *   find the provider → let it verify the request (OIDC logout token, CAS SAML) → end the sessions
 *   indexed under what it names, for this provider only.
 */

export interface LogoutFlow extends Flow {
  target?: JitsiTarget;
  inline?: boolean;
  session?: LoadedSession | undefined;
  /** The confirmation form (POST /logout). */
  form?: URLSearchParams;
  /** An id_token_hint signed by this gateway came with the request. */
  hintHonoured?: boolean;
}

/**
 * The confirmation's CSRF token travels twice: in the page's form and in a cookie only the gateway
 * can set (`__Host-` behind https). A POST whose two copies differ, or that lacks one, signs
 * nobody out: a page elsewhere can neither read the token nor set the cookie.
 */
function confirmCookie(services: LogoutFlow['services']): { name: string; options: CookieOptions } {
  const name = `${services.config.session.cookieName}_logout`;
  if (services.publicUrl.startsWith('https:')) return { name: `__Host-${name}`, options: { secure: true, path: '/' } };
  return { name, options: cookieOptions(services) };
}

/**
 * Jitsi's silent logout iframe (tokenAuthInline): the one GET that signs out by itself, and only
 * when the browser says it is an iframe of a page of this site (Sec-Fetch-Dest, Sec-Fetch-Site).
 * A link, a redirect or a frame from elsewhere gets the confirmation page.
 */
export const signOutSilentFrame: Step<LogoutFlow> = async function signOutSilentFrame(flow) {
  if (!flow.inline) return;
  const { fetchDest, fetchSite } = flow.http;
  if (fetchDest !== 'iframe' || (fetchSite !== 'same-origin' && fetchSite !== 'same-site')) return;
  await endGatewaySession(flow);
  await endHintedSession(flow);
  return answerInlineFrame(flow);
};

/**
 * An id_token_hint the gateway itself signed (its token service's ID tokens, which Jitsi's inline
 * logout sends from another site, without the gateway cookie) is the relying party's proof: it
 * signs out at once, as before.
 */
export const signOutByHint: Step<LogoutFlow> = async function signOutByHint(flow) {
  await endHintedSession(flow);
  if (!flow.hintHonoured) return;
  await endGatewaySession(flow);
  if (answerInlineFrame(flow) === DONE) return DONE;
  if ((await logoutAtProvider(flow)) === DONE) return DONE;
  return showSignedOut(flow);
};

export const askToConfirm: Step<LogoutFlow> = async function askToConfirm(flow) {
  const { services } = flow;
  const token = randomValue();
  const cookie = confirmCookie(services);
  const query = new URLSearchParams();
  const target = single(flow.http.query, 'target');
  if (target !== undefined && flow.target !== services.defaultTarget) query.set('target', target);
  if (flow.inline) query.set('inline', '1');
  const action = `${services.basePath}/logout${query.size > 0 ? `?${query.toString()}` : ''}`;
  flow.out.cookies.push(serializeCookie(cookie.name, token, 900, cookie.options));
  const confirm = page(services.pages.logoutConfirmPage({ action, csrfToken: token, returnUrl: flow.target?.config.url, acceptLanguage: flow.http.acceptLanguage }));
  // The confirmed POST may redirect to the IdP's logout: browsers hold that redirect to form-action.
  const idpLogout = await providerLogoutUrl(flow);
  if (confirm.kind === 'page' && idpLogout) confirm.formAction = [new URL(idpLogout).origin];
  flow.out.outcome = confirm;
  return DONE;
};

export const checkConfirmation: Step<LogoutFlow> = function checkConfirmation(flow) {
  const cookie = confirmCookie(flow.services);
  const fromCookie = flow.http.cookies.get(cookie.name) ?? '';
  const fromForm = flow.form?.get('csrf') ?? '';
  flow.out.cookies.push(clearCookie(cookie.name, cookie.options));
  const same = isCookieValue(fromForm) && fromForm.length === fromCookie.length && timingSafeEqual(Buffer.from(fromForm), Buffer.from(fromCookie));
  if (!same) {
    throw new GatewayError('forbidden', 'This sign-out did not come from the sign-out page of this service. Open the sign-out link again and confirm there.', {
      detail: { reason: fromCookie === '' ? 'confirmation cookie missing' : 'confirmation token does not match' },
    });
  }
};

export const readLogoutRequest: Step<LogoutFlow> = function readLogoutRequest(flow) {
  const name = single(flow.http.query, 'target');
  const target = name === undefined ? flow.services.defaultTarget : flow.services.targets.get(name);
  if (!target) throw new GatewayError('unknown_target', 'This logout link names no known Jitsi server.');
  flow.target = target;
  const inline = single(flow.http.query, 'inline');
  flow.inline = inline === '1' || inline === 'true';
};

export const endGatewaySession: Step<LogoutFlow> = async function endGatewaySession(flow) {
  flow.session = await loadSession(flow.services, flow.http.cookies);
  if (flow.session) {
    await endSession(flow.services.store, flow.session);
    flow.services.logger.info({ requestId: flow.http.requestId, person: personKeyOf(flow.session.session.identity) }, 'gateway session ended (logout)');
  }
  flow.out.cookies.push(clearSessionCookie(flow.services));
};

/**
 * Jitsi's inline logout adds `id_token_hint=<the token service's ID token>` to tokenLogoutUrl and
 * loads it in a hidden iframe; with the gateway on another site that iframe carries no gateway
 * cookie. A hint this gateway signed names the session (`sid`): it ends too, and with it every
 * refresh token issued in it. A hint that does not verify is ignored (the logout still answers).
 */
export const endHintedSession: Step<LogoutFlow> = async function endHintedSession(flow) {
  const hint = single(flow.http.query, 'id_token_hint');
  if (!hint) return;
  const { tokenService } = flow.services;
  const named = await readIdTokenHint(tokenService.key, hint, { issuer: tokenService.issuer, clientIds: tokenService.clients.ids, maxAgeSeconds: flow.services.config.session.ttlSeconds });
  if (!named) {
    flow.services.logger.info({ requestId: flow.http.requestId }, 'logout: id_token_hint not issued by this gateway, ignored');
    return;
  }
  flow.hintHonoured = true;
  const session = await loadSessionById(flow.services.store, named.sid);
  if (!session || personKeyOf(session.session.identity) !== named.sub) return;
  await endSession(flow.services.store, session);
  flow.services.logger.info({ requestId: flow.http.requestId, person: named.sub }, 'gateway session ended (logout by id_token_hint)');
};

export const answerInlineFrame: Step<LogoutFlow> = function answerInlineFrame(flow) {
  if (!flow.inline) return;
  const target = flow.target as JitsiTarget;
  const origin = targetOrigin(target);
  flow.out.outcome = page(
    flow.services.pages.inlineResultPage({ to: 'parent', origin, message: { type: 'logout-success' }, acceptLanguage: flow.http.acceptLanguage }),
    200,
    ["'self'", origin],
  );
  return DONE;
};

/** Where the IdP ends its own session for this person, if their provider has such a URL. */
async function providerLogoutUrl(flow: LogoutFlow): Promise<string | undefined> {
  const session = flow.session ?? (await loadSession(flow.services, flow.http.cookies));
  const provider: IdentityProvider | undefined = session ? flow.services.providers.get(session.session.provider) : undefined;
  if (!session || !provider?.logoutUrl) return undefined;
  const hint: { logoutHint?: string } = {};
  if (session.session.logoutHint) hint.logoutHint = session.session.logoutHint;
  return provider.logoutUrl(hint, `${flow.services.publicUrl}/logout/done`);
}

export const logoutAtProvider: Step<LogoutFlow> = async function logoutAtProvider(flow) {
  if (!flow.session) return;
  const url = await providerLogoutUrl(flow);
  if (!url) return;
  flow.out.outcome = redirect(url);
  return DONE;
};

export const showSignedOut: Step<LogoutFlow> = function showSignedOut(flow) {
  flow.out.outcome = page(flow.services.pages.loggedOutPage({ returnUrl: flow.target?.config.url, acceptLanguage: flow.http.acceptLanguage }));
  return DONE;
};

/** GET /logout: Jitsi's silent iframe signs out; anything else is asked to confirm. */
export const LOGOUT_STEPS: ReadonlyArray<Step<LogoutFlow>> = [readLogoutRequest, signOutSilentFrame, signOutByHint, askToConfirm];

/** POST /logout: the confirmation form. */
export const CONFIRMED_LOGOUT_STEPS: ReadonlyArray<Step<LogoutFlow>> = [readLogoutRequest, checkConfirmation, endGatewaySession, endHintedSession, answerInlineFrame, logoutAtProvider, showSignedOut];

/** GET /logout/done: where the IdP sends people after its logout. */
export const LOGGED_OUT_STEPS: ReadonlyArray<Step<LogoutFlow>> = [readLogoutRequest, showSignedOut];

export const logout = (flow: LogoutFlow) => runSteps(flow, LOGOUT_STEPS);
export const confirmedLogout = (flow: LogoutFlow) => runSteps(flow, CONFIRMED_LOGOUT_STEPS);
export const loggedOut = (flow: LogoutFlow) => runSteps(flow, LOGGED_OUT_STEPS);

/** Back-channel logout; returns how many sessions ended. */
export async function backchannelLogout(
  flow: Flow & { providerName: string },
  body: string,
  contentType: string,
): Promise<number> {
  const provider = flow.services.providers.get(flow.providerName);
  if (!provider?.backchannelLogout) {
    throw new GatewayError('unknown_provider', 'No back-channel logout for this provider.', { detail: { provider: flow.providerName.slice(0, 64) } });
  }
  return revokeNamed(flow, provider, await provider.backchannelLogout(body, contentType), 'back-channel logout');
}

/**
 * GET /auth/:provider/logout — a logout message through the browser (SAML HTTP-Redirect): the
 * provider verifies it; the sessions it names end (as with back-channel logout), and so does this
 * browser's own session of that provider; then the browser goes where the provider says (back to
 * the IdP with its answer) or to the signed-out page.
 */
export async function frontchannelLogout(flow: Flow & { providerName: string }, rawQuery: string): Promise<Outcome> {
  const provider = flow.services.providers.get(flow.providerName);
  if (!provider?.frontchannelLogout) {
    throw new GatewayError('unknown_provider', 'No logout endpoint for this provider.', { detail: { provider: flow.providerName.slice(0, 64) } });
  }
  const result = await provider.frontchannelLogout(rawQuery);
  if (result.sessionIndexes.length > 0) await revokeNamed(flow, provider, result, 'front-channel logout');
  const own = await loadSession(flow.services, flow.http.cookies);
  if (own && own.session.provider === provider.name) {
    await endSession(flow.services.store, own);
    flow.out.cookies.push(clearSessionCookie(flow.services));
  }
  if (result.redirectUrl) return redirect(result.redirectUrl);
  return page(flow.services.pages.loggedOutPage({ returnUrl: flow.services.defaultTarget.config.url, acceptLanguage: flow.http.acceptLanguage }));
}

async function revokeNamed(flow: Flow, provider: IdentityProvider, named: BackchannelLogout, what: string): Promise<number> {
  const { sessionIndexes, replay } = named;
  if (replay) {
    const key = `bcl-replay:${provider.name}:${createHash('sha256').update(replay.id).digest('base64url')}`;
    if (!(await flow.services.store.putIfAbsent(key, '1', Math.max(1, replay.ttlSeconds)))) {
      throw new GatewayError('invalid_request', 'This logout token was already used.', { detail: { provider: provider.name } });
    }
  }
  const revoked = await revokeIndexed(flow.services.store, provider.name, sessionIndexes.slice(0, 100));
  flow.services.logger.info({ requestId: flow.http.requestId, provider: provider.name, indexes: sessionIndexes.length, revoked }, what);
  return revoked;
}
