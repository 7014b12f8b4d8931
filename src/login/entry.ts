import { GatewayError } from '../errors/gateway-error.js';
import type { IdentityProvider } from '../idp/provider.js';
import type { JitsiTarget, RoomLocation } from '../tokens/target.js';
import { digest } from '../session/cookies.js';
import { countUnavailable } from './unavailable.js';
import { chooseMember } from './discovery.js';
import { DONE, errorContext, need, page, redirect, runSteps, type Flow, type Outcome, type Step } from './flow.js';
import { deliver, targetOrigin } from './deliver.js';
import { mintOrJoinAsGuest } from './guest.js';
import { issueRefreshHandle, redeemRefreshHandle } from './refresh.js';
import { parseLoginQuery, type LoginQuery } from './request.js';
import { loadSession, type LoadedSession } from '../session/session.js';
import { browserBinding, newTransactionId, saveTransaction, type LoginTransaction } from './transaction.js';
import { answerAuthorization, clientForTarget, refreshPassBack, type AuthorizationRequest } from '../token-service/authorize.js';

/**
 * GET /login — Jitsi's tokenAuthUrl:
 *
 *   parse Jitsi's request → pick the target → check room and tenant → resume with the refresh
 *   handle → resume with the gateway session → choose the provider → count the client's login
 *   starts → choose the provider's member IdP (a federation: discovery, or an MDQ lookup) → start
 *   the transaction and send the browser to the IdP.
 *
 * Every step before "start the transaction" can answer on its own (a token for a known person, a
 * chooser page); anything malformed stops with a 4xx before the store or an IdP is touched.
 */

export interface EntryFlow extends Flow {
  request?: LoginQuery;
  target?: JitsiTarget;
  location?: RoomLocation;
  provider?: IdentityProvider;
  /** For a provider with members (a federation): the one chosen (src/login/discovery.ts). */
  member?: string;
  /** Where the provider chooser's links point (default `<base>/login`): another entry, such as the gate's sign-in. */
  entryPath?: string;
  /**
   * A path under publicUrl the callback sends the browser to once the session is open, instead of
   * minting for `location` (the gate's sign-in, which hands the session over to a Jitsi host).
   */
  continueAt?: string;
}

export const parseJitsiRequest: Step<EntryFlow> = function parseJitsiRequest(flow) {
  flow.request = parseLoginQuery(flow.http.query);
};

export const pickTarget: Step<EntryFlow> = function pickTarget(flow) {
  const { target } = need(flow.request, 'request');
  if (target === undefined) {
    flow.target = flow.services.defaultTarget;
    return;
  }
  const found = flow.services.targets.get(target);
  if (!found) throw new GatewayError('unknown_target', 'This login link names no known Jitsi server.', { detail: { target } });
  flow.target = found;
};

export const checkRoom: Step<EntryFlow> = function checkRoom(flow) {
  const request = need(flow.request, 'request');
  flow.location = need(flow.target, 'target').locate(request.room, request.tenant);
};

/** Mints for a known person and answers in the request's return mode. */
export async function issueAndDeliver(flow: EntryFlow, session: LoadedSession): Promise<Outcome> {
  const request = need(flow.request, 'request');
  const target = need(flow.target, 'target');
  const location = need(flow.location, 'location');
  if (request.authorization) {
    return redirect(await answerAuthorization(flow.services, { session, target, location, authorization: request.authorization }));
  }
  const issued = await mintOrJoinAsGuest(flow.services, { identity: session.session.identity, target, location, requestId: flow.http.requestId }, request.mode);
  const handle = request.mode === 'inline' && issued ? await issueRefreshHandle(flow.services, session, target.name) : undefined;
  return deliver(flow.services.pages, {
    target,
    location,
    token: issued?.token,
    mode: request.mode,
    hashParams: request.hashParams,
    refreshToken: handle,
    acceptLanguage: flow.http.acceptLanguage,
  });
}

/**
 * Jitsi's inline sign-in (mode sso): the target must have a token service client; a state
 * carrying a refresh token the service still honours goes straight back to sso.html, which
 * refreshes at /token (see src/token-service/authorize.ts).
 */
export const passRefreshToTokenService: Step<EntryFlow> = function passRefreshToTokenService(flow) {
  const request = need(flow.request, 'request');
  // Synchronous unless Jitsi's inline sign-in asks (runSteps awaits only a promise).
  if (!request.authorization) return;
  return passRefresh(flow, request.authorization);
};

async function passRefresh(flow: EntryFlow, authorization: AuthorizationRequest): Promise<'done' | void> {
  const client = clientForTarget(flow.services, need(flow.target, 'target'));
  if (need(flow.request, 'request').forceLogin) return;
  const passed = await refreshPassBack(flow.services, client, authorization);
  authorization.state = passed.state;
  if (passed.location === undefined) return;
  flow.out.outcome = redirect(passed.location);
  return DONE;
}

export const resumeWithRefreshHandle: Step<EntryFlow> = function resumeWithRefreshHandle(flow) {
  const request = need(flow.request, 'request');
  // Synchronous unless Jitsi sent a refresh handle (runSteps awaits only a promise).
  if (!request.refreshToken || request.forceLogin) return;
  return resumeWithHandle(flow, request.refreshToken);
};

async function resumeWithHandle(flow: EntryFlow, refreshToken: string): Promise<'done' | void> {
  const request = need(flow.request, 'request');
  const target = need(flow.target, 'target');
  const session = await redeemRefreshHandle(flow.services, refreshToken, target.name);
  if (!session) return; // unknown or ended: carry on as if Jitsi had sent none
  if (request.provider && request.provider !== session.session.provider) return;
  flow.out.outcome = await issueAndDeliver(flow, session); // inline: a new handle replaces the one just taken
  return DONE;
}

export const resumeWithSession: Step<EntryFlow> = async function resumeWithSession(flow) {
  const request = need(flow.request, 'request');
  if (request.forceLogin) return; // prompt=login: authenticate at the IdP again
  const session = await loadSession(flow.services, flow.http.cookies);
  if (!session) return;
  if (request.provider && request.provider !== session.session.provider) return; // asked for another provider: log in there
  if (!flow.services.providers.has(session.session.provider)) return; // provider removed from the config since
  flow.out.outcome = await issueAndDeliver(flow, session);
  return DONE;
};

export const chooseProvider: Step<EntryFlow> = function chooseProvider(flow) {
  const request = need(flow.request, 'request');
  const { providers } = flow.services;
  if (request.provider !== undefined) {
    const chosen = providers.get(request.provider);
    if (!chosen) throw new GatewayError('unknown_provider', 'This login link names no known sign-in provider.', { detail: { provider: request.provider } });
    flow.provider = chosen;
    return;
  }
  if (providers.size === 0) {
    throw new GatewayError('not_ready', 'No sign-in provider is configured on this login service.', { level: 'error' });
  }
  if (providers.size === 1) {
    flow.provider = providers.values().next().value;
    return;
  }
  const base = flow.entryPath ?? `${flow.services.basePath}/login`;
  const choices = [...providers.values()].map((provider) => {
    const query = new URLSearchParams(flow.http.query);
    query.set('provider', provider.name);
    return { name: provider.name, displayName: provider.displayName, url: `${base}?${query.toString()}` };
  });
  flow.out.outcome = page(flow.services.pages.chooserPage({ providers: choices, acceptLanguage: flow.http.acceptLanguage }));
  return DONE;
};

/**
 * Before anything is stored for this browser, and before a federation's discovery search or MDQ
 * lookup: at most session.loginStartsPerMinute per address (429).
 */
export const limitLoginStarts: Step<EntryFlow> = function limitLoginStarts(flow) {
  flow.services.loginStarts.check(flow.http.clientAddress);
};

export const startTransaction: Step<EntryFlow> = async function startTransaction(flow) {
  const { services } = flow;
  const request = need(flow.request, 'request');
  const provider = need(flow.provider, 'provider');
  const binding = browserBinding(services, flow.http.cookies);
  const transactionId = newTransactionId();
  const start = await countUnavailable(services, provider.name, provider.startLogin({ transactionId, callbackUrl: callbackUrl(services.publicUrl, provider.name), forceLogin: request.forceLogin, ...(flow.member !== undefined ? { member: flow.member } : {}) }));
  const transaction: LoginTransaction = {
    v: 1,
    provider: provider.name,
    binding: digest(binding.value),
    location: need(flow.location, 'location'),
    hashParams: request.hashParams,
    mode: request.mode,
    secrets: start.secrets,
  };
  if (request.authorization) transaction.authorization = request.authorization;
  if (flow.continueAt !== undefined) transaction.continueAt = flow.continueAt;
  await saveTransaction(services.store, transactionId, transaction, services.config.session.loginTimeoutSeconds);
  flow.out.cookies.push(binding.setCookie);
  flow.out.outcome = redirect(start.redirectUrl);
  return DONE;
};

export const callbackUrl = (publicUrl: string, provider: string) => `${publicUrl}/auth/${provider}/callback`;

export const LOGIN_STEPS: ReadonlyArray<Step<EntryFlow>> = [
  parseJitsiRequest,
  pickTarget,
  checkRoom,
  passRefreshToTokenService,
  resumeWithRefreshHandle,
  resumeWithSession,
  chooseProvider,
  limitLoginStarts,
  chooseMember,
  startTransaction,
];

export const login = (flow: EntryFlow) => runSteps(flow, LOGIN_STEPS);

/** What an error page of this request may offer, once the room is known. */
export function entryErrorContext(flow: EntryFlow): Record<string, string> | undefined {
  const { request, target, location } = flow;
  if (!request || !target || !location) return undefined;
  return errorContext({
    basePath: flow.services.basePath,
    target: { name: target.name, isDefault: target === flow.services.defaultTarget, origin: targetOrigin(target), meetingUrl: target.joinUrl(location, undefined) },
    room: location.room,
    tenant: location.tenant,
    mode: request.mode,
  });
}
