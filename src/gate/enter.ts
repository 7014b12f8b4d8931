import { GatewayError } from '../errors/gateway-error.js';
import { personKeyOf } from '../identity/person.js';
import { DONE, need, redirect, runSteps, type Flow, type Step } from '../login/flow.js';
import { mintOrJoinAsGuest } from '../login/guest.js';
import { single } from '../login/request.js';
import { loadSessionById, type LoadedSession } from '../session/session.js';
import type { JitsiTarget } from '../tokens/target.js';
import type { Gate } from './gate.js';
import { checkReturnUrl, roomOf } from './return-url.js';
import { takeTicket, type GateTicket } from './ticket.js';

/**
 * GET <base>/gate/enter/:target?ticket=… — on the Jitsi host (its proxy routes <base>/gate/ to
 * the gateway without the check):
 *
 *   find the target → take the ticket (once; for this target) → load its session → set the gate
 *   pass on this host → the return URL names a meeting: mint for it (policy decides, as for every
 *   login, policy.hosts included) and redirect there with `#jwt=`; else back to the return URL as it was.
 */

export interface EnterFlow extends Flow {
  gate: Gate;
  target?: JitsiTarget;
  ticket?: GateTicket;
  session?: LoadedSession;
}

const expired = (reason: string) =>
  new GatewayError('login_expired', 'This sign-in link has expired or was already used. Please open the meeting link again.', { detail: { reason }, level: 'info' });

export const findEnterTarget = (name: string): Step<EnterFlow> =>
  function findEnterTarget(flow) {
    const target = flow.services.targets.get(name);
    if (!target) throw new GatewayError('unknown_target', 'This sign-in link names no known Jitsi server.', { detail: { target: name.slice(0, 64) } });
    flow.target = target;
  };

export const takeGateTicket: Step<EnterFlow> = async function takeGateTicket(flow) {
  const ticket = await takeTicket(flow.services.store, single(flow.http.query, 'ticket'));
  if (!ticket) throw expired('unknown, used or expired ticket');
  if (ticket.target !== need(flow.target, 'target').name) throw expired('ticket for another target');
  flow.ticket = ticket;
};

export const loadTicketSession: Step<EnterFlow> = async function loadTicketSession(flow) {
  const session = await loadSessionById(flow.services.store, need(flow.ticket, 'ticket').sessionId);
  if (!session) throw expired('the session ended');
  flow.session = session;
};

export const setGatePass: Step<EnterFlow> = function setGatePass(flow) {
  const pass = flow.gate.passFor(need(flow.target, 'target').name, need(flow.session, 'session'));
  flow.out.cookies.push(flow.gate.setCookie(pass));
  const session = need(flow.session, 'session');
  flow.services.logger.info({ requestId: flow.http.requestId, target: pass.target, person: personKeyOf(session.session.identity) }, 'gate: pass issued');
};

export const goToMeeting: Step<EnterFlow> = async function goToMeeting(flow) {
  const target = need(flow.target, 'target');
  // Checked when the ticket was made; checked again, it costs nothing.
  const returnUrl = checkReturnUrl(target, need(flow.ticket, 'ticket').returnUrl);
  const location = roomOf(target, returnUrl);
  if (!location) {
    flow.out.outcome = redirect(returnUrl.href);
    return DONE;
  }
  // As the login does: refused by the policy is a 403 page; let in but not a host, with
  // policy.hosts.others: guest, back to the meeting without a token (as a guest, past the gate).
  const identity = need(flow.session, 'session').session.identity;
  const issued = await mintOrJoinAsGuest(flow.services, { identity, target, location, requestId: flow.http.requestId }, 'redirect');
  flow.out.outcome = redirect(target.joinUrl(location, issued?.token));
  return DONE;
};

export const enter = (flow: EnterFlow, targetName: string) =>
  runSteps(flow, [findEnterTarget(targetName), takeGateTicket, loadTicketSession, setGatePass, goToMeeting]);
