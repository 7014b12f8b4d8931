import { GatewayError } from '../errors/gateway-error.js';
import { personKeyOf } from '../identity/person.js';
import { checkIdentifiers } from '../identity/printable.js';
import { claimNamesFor, withKeptClaims } from '../identity/kept-claims.js';
import type { IdentityProvider, LoginResult } from '../idp/provider.js';
import type { PreparedDecision } from '../policy/policy.js';
import type { JitsiTarget } from '../tokens/target.js';
import { deliver, targetOrigin } from './deliver.js';
import { callbackUrl } from './entry.js';
import { DONE, errorContext, need, redirect, runSteps, type Flow, type Step } from './flow.js';
import { digest } from '../session/cookies.js';
import { mintOrJoinAsGuest } from './guest.js';
import { issueRefreshHandle } from './refresh.js';
import { takePostedAnswer } from './posted.js';
import { openSession, type LoadedSession } from '../session/session.js';
import { bindingCookie, checkTransaction, releaseBinding, takeTransaction, type LoginTransaction } from './transaction.js';
import { countUnavailable } from './unavailable.js';
import { answerAuthorization } from '../token-service/authorize.js';

/**
 * GET /auth/:provider/callback — the IdP sends the browser back:
 *
 *   find the provider → (read the POSTed answer it parked) → read the transaction id → take the
 *   transaction (once) → check it belongs to this provider and this browser → finish at the provider
 *   (code exchange, ID token checks, CAS ticket validation, SAML response checks) → refuse a replayed
 *   assertion → open the gateway session → mint for the room and deliver.
 *
 * Provider-neutral: OIDC and CAS differ only behind IdentityProvider.
 */

export interface CallbackFlow extends Flow {
  providerName: string;
  provider?: IdentityProvider;
  transactionId?: string;
  transaction?: LoginTransaction;
  target?: JitsiTarget;
  result?: LoginResult;
  session?: LoadedSession;
  /** The room's policy reads, sent with the session write (openGatewaySession). */
  prepared?: PreparedDecision;
}

export const findProvider: Step<CallbackFlow> = function findProvider(flow) {
  const provider = flow.services.providers.get(flow.providerName);
  if (!provider) {
    throw new GatewayError('unknown_provider', 'This sign-in answer is for a sign-in provider this service does not know.', {
      detail: { provider: flow.providerName.slice(0, 64) },
    });
  }
  flow.provider = provider;
};

/** A provider that answers by POST (SAML): its fields were parked by the POST and are taken here. */
export const readPostedAnswer: Step<CallbackFlow> = async function readPostedAnswer(flow) {
  if (need(flow.provider, 'provider').callbackBinding !== 'form_post') return;
  flow.http = { ...flow.http, query: await takePostedAnswer(flow.services.store, flow.http.query) };
};

/**
 * An answer no login started (SAML IdP-initiated SSO), from a provider that accepts those: its own
 * short table — finish at the provider without a transaction, refuse a replay, open the session,
 * land on the default Jitsi target (the person then opens a meeting and needs no IdP round trip).
 */
export const unsolicitedLogin: Step<CallbackFlow> = async function unsolicitedLogin(flow) {
  const provider = need(flow.provider, 'provider');
  if (!provider.acceptsUnsolicited || provider.transactionId(flow.http.query) !== undefined) return;
  await runSteps(flow, UNSOLICITED_STEPS);
  return DONE;
};

export const finishUnsolicited: Step<CallbackFlow> = async function finishUnsolicited(flow) {
  const provider = need(flow.provider, 'provider');
  flow.result = await provider.finishLogin({ transactionId: '', callbackUrl: callbackUrl(flow.services.publicUrl, provider.name), params: flow.http.query, secrets: {} });
  if (flow.result.identity.provider !== provider.name) throw new Error(`provider ${provider.name} returned an identity of ${flow.result.identity.provider}`);
};

export const landOnDefaultTarget: Step<CallbackFlow> = function landOnDefaultTarget(flow) {
  flow.out.outcome = redirect(flow.services.defaultTarget.config.url);
  return DONE;
};

export const readTransactionId: Step<CallbackFlow> = function readTransactionId(flow) {
  const id = need(flow.provider, 'provider').transactionId(flow.http.query);
  if (!id) {
    throw new GatewayError('login_expired', 'This sign-in answer does not say which sign-in it belongs to. Please go back to the meeting link and sign in again.', {
      detail: { reason: 'no transaction id in the callback' },
    });
  }
  flow.transactionId = id;
};

export const takeLoginTransaction: Step<CallbackFlow> = async function takeLoginTransaction(flow) {
  flow.transaction = await takeTransaction(flow.services.store, need(flow.transactionId, 'transaction id'));
};

export const checkBrowserBinding: Step<CallbackFlow> = function checkBrowserBinding(flow) {
  const transaction = need(flow.transaction, 'transaction');
  checkTransaction(transaction, flow.providerName, flow.http.cookies, bindingCookie(flow.services));
  // The transaction is used up whatever happens next: its binding leaves the cookie now.
  flow.out.cookies.push(releaseBinding(flow.services, flow.http.cookies, transaction.binding));
  const target = flow.services.targets.get(transaction.location.target);
  if (!target) throw new GatewayError('login_expired', 'The meeting server of this sign-in is no longer configured. Please open the meeting link again.');
  flow.target = target;
};

export const finishAtProvider: Step<CallbackFlow> = async function finishAtProvider(flow) {
  const provider = need(flow.provider, 'provider');
  const transaction = need(flow.transaction, 'transaction');
  flow.result = await countUnavailable(
    flow.services,
    provider.name,
    provider.finishLogin({
      transactionId: need(flow.transactionId, 'transaction id'),
      callbackUrl: callbackUrl(flow.services.publicUrl, provider.name),
      params: flow.http.query,
      secrets: transaction.secrets,
    }),
  );
  if (flow.result.identity.provider !== provider.name) throw new Error(`provider ${provider.name} returned an identity of ${flow.result.identity.provider}`);
};

/**
 * Whatever the provider kind: a printable id (or no login), and printable name, e-mail and groups;
 * of the claims, only those the policy looks at.
 */
export const checkIdentity: Step<CallbackFlow> = function checkIdentity(flow) {
  const result = need(flow.result, 'login result');
  const checked = checkIdentifiers(result.identity);
  const provider = flow.providerName;
  if (checked.problem !== undefined) {
    throw new GatewayError('idp_error', 'Your identity provider sent an identity the gateway cannot use. Please tell your administrator.', {
      level: 'warn',
      detail: { provider, reason: checked.problem, idLength: result.identity.id.length },
    });
  }
  if (checked.dropped.length > 0) {
    flow.services.logger.warn({ requestId: flow.http.requestId, person: personKeyOf(checked.identity), dropped: checked.dropped }, 'the identity provider sent unprintable or overlong values; they are left out');
  }
  // The session keeps only the claims the policy can ask about (not every claim for hours).
  flow.result = { ...result, identity: withKeptClaims(checked.identity, claimNamesFor(flow.services.config.policy)) };
};

/** What the IdP asserted is used once (SAML assertion IDs), on every replica: remembered until it expires. */
export const refuseReplay: Step<CallbackFlow> = async function refuseReplay(flow) {
  const replay = need(flow.result, 'login result').replay;
  if (!replay) return;
  const key = `login-replay:${flow.providerName}:${digest(replay.id)}`;
  if (!(await flow.services.store.putIfAbsent(key, '1', Math.max(1, Math.min(replay.ttlSeconds, 86_400))))) {
    throw new GatewayError('login_expired', 'This sign-in answer was already used. Please go back to the meeting link and sign in again.', {
      detail: { provider: flow.providerName, reason: 'replayed assertion' },
      level: 'warn',
    });
  }
};

export const openGatewaySession: Step<CallbackFlow> = async function openGatewaySession(flow) {
  const result = need(flow.result, 'login result');
  const transaction = flow.transaction;
  // A login that ends in a token for the room: the policy's read of the room's registry entry goes
  // to the store in the same round trip as the session write (issueAndDeliver decides with it).
  if (transaction && transaction.continueAt === undefined && !transaction.authorization) {
    flow.prepared = flow.services.policy.prepare?.(transaction.location);
  }
  const opened = await openSession(flow.services, {
    provider: flow.providerName,
    identity: result.identity,
    logoutHint: result.logoutHint,
    sessionIndexes: result.sessionIndexes,
  });
  flow.session = opened.loaded;
  flow.out.cookies.push(opened.setCookie);
};

/** A login the gate started continues there (src/gate/sign-in.ts), now with the session cookie. */
export const continueElsewhere: Step<CallbackFlow> = function continueElsewhere(flow) {
  const { continueAt } = need(flow.transaction, 'transaction');
  if (continueAt === undefined) return;
  flow.out.outcome = redirect(`${flow.services.publicUrl}${continueAt}`);
  return DONE;
};

export const issueAndDeliver: Step<CallbackFlow> = async function issueAndDeliver(flow) {
  const transaction = need(flow.transaction, 'transaction');
  const target = need(flow.target, 'target');
  const session = need(flow.session, 'session');
  if (transaction.authorization) {
    const location = await answerAuthorization(flow.services, { session, target, location: transaction.location, authorization: transaction.authorization });
    flow.out.outcome = redirect(location);
    return DONE;
  }
  const issued = await mintOrJoinAsGuest(
    flow.services,
    { identity: session.session.identity, target, location: transaction.location, requestId: flow.http.requestId, prepared: flow.prepared },
    transaction.mode,
  );
  const refreshToken = transaction.mode === 'inline' && issued ? await issueRefreshHandle(flow.services, session, target.name) : undefined;
  flow.out.outcome = deliver(flow.services.pages, {
    target,
    location: transaction.location,
    token: issued?.token,
    mode: transaction.mode,
    hashParams: transaction.hashParams,
    refreshToken,
    acceptLanguage: flow.http.acceptLanguage,
  });
  return DONE;
};

export const UNSOLICITED_STEPS: ReadonlyArray<Step<CallbackFlow>> = [finishUnsolicited, checkIdentity, refuseReplay, openGatewaySession, landOnDefaultTarget];

export const CALLBACK_STEPS: ReadonlyArray<Step<CallbackFlow>> = [
  findProvider,
  readPostedAnswer,
  unsolicitedLogin,
  readTransactionId,
  takeLoginTransaction,
  checkBrowserBinding,
  finishAtProvider,
  checkIdentity,
  refuseReplay,
  openGatewaySession,
  continueElsewhere,
  issueAndDeliver,
];

export const callback = (flow: CallbackFlow) => runSteps(flow, CALLBACK_STEPS);

/** What an error page of this callback may offer, once the transaction is known. */
export function callbackErrorContext(flow: CallbackFlow): Record<string, string> | undefined {
  const { transaction, target } = flow;
  if (!transaction || !target || transaction.continueAt !== undefined) return undefined;
  return errorContext({
    basePath: flow.services.basePath,
    target: { name: target.name, isDefault: target === flow.services.defaultTarget, origin: targetOrigin(target), meetingUrl: target.joinUrl(transaction.location, undefined) },
    room: transaction.location.room,
    tenant: transaction.location.tenant,
    mode: transaction.mode,
  });
}
