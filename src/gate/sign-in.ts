import { namePattern } from '../config/schema.js';
import { GatewayError } from '../errors/gateway-error.js';
import { chooseProvider, limitLoginStarts, startTransaction, type EntryFlow } from '../login/entry.js';
import { chooseMember } from '../login/discovery.js';
import { DONE, need, redirect, runSteps, type Step } from '../login/flow.js';
import { parseMemberQuery, single } from '../login/request.js';
import { loadSession } from '../session/session.js';
import type { Gate } from './gate.js';
import { checkReturnUrl, roomOf } from './return-url.js';
import { issueTicket } from './ticket.js';

/**
 * GET <base>/gate/start/:target?rd=<return URL>[&provider=<name>] — where the proxy sends a person
 * the check refused (nginx error_page 401, ingress-nginx auth-signin, the check-redirect answer):
 *
 *   find the target → check the return URL against it (no open redirect) → with a gateway
 *   session: a ticket, and off to the Jitsi host's /gate/enter → else the login's own steps
 *   (choose the provider, count the login start, start the transaction) with the transaction
 *   continuing here after the callback, so the same steps then find the session.
 *
 * One sign-in at the IdP, then the session does the rest: no second IdP round trip.
 */

export interface SignInFlow extends EntryFlow {
  gate: Gate;
  returnUrl?: URL;
}

export const findGateTarget = (name: string): Step<SignInFlow> =>
  function findGateTarget(flow) {
    const target = namePattern.test(name) ? flow.services.targets.get(name) : undefined;
    if (!target) throw new GatewayError('unknown_target', 'This sign-in link names no known Jitsi server.', { detail: { target: name.slice(0, 64) } });
    flow.target = target;
  };

export const readReturnUrl: Step<SignInFlow> = function readReturnUrl(flow) {
  const target = need(flow.target, 'target');
  const returnUrl = checkReturnUrl(target, single(flow.http.query, 'rd'));
  const provider = single(flow.http.query, 'provider');
  if (provider !== undefined && !namePattern.test(provider)) throw new GatewayError('unknown_provider', 'This sign-in link names no known sign-in provider.');
  const location = roomOf(target, returnUrl);
  flow.returnUrl = returnUrl;
  // The login's steps read these: a meeting when the return URL names one (room '' otherwise:
  // the transaction continues here, it never mints for it).
  flow.location = location ?? { target: target.name, room: '' };
  flow.request = { room: location?.room ?? '', tenant: location?.tenant, target: target.name, provider, ...parseMemberQuery(flow.http.query), forceLogin: false, hashParams: [], mode: 'redirect' };
  flow.entryPath = `${flow.services.basePath}/gate/start/${target.name}`;
  flow.continueAt = `/gate/start/${target.name}?rd=${encodeURIComponent(returnUrl.href)}`;
};

export const handOverSession: Step<SignInFlow> = async function handOverSession(flow) {
  const session = await loadSession(flow.services, flow.http.cookies);
  if (!session) return;
  const request = need(flow.request, 'request');
  if (request.provider && request.provider !== session.session.provider) return; // asked for another provider: log in there
  if (!flow.services.providers.has(session.session.provider)) return; // provider removed from the config since
  const target = need(flow.target, 'target');
  const ticket = await issueTicket(flow.services.store, { target: target.name, sessionId: session.id, returnUrl: need(flow.returnUrl, 'return URL').href });
  flow.out.outcome = redirect(flow.gate.enterUrl(target, ticket));
  return DONE;
};

export const signIn = (flow: SignInFlow, targetName: string) =>
  runSteps(flow, [findGateTarget(targetName), readReturnUrl, handOverSession, chooseProvider, limitLoginStarts, chooseMember, startTransaction]);
