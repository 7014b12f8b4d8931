import { digest, randomValue } from '../session/cookies.js';
import type { Store } from '../store/store.js';

/**
 * The hand-over from the gateway's host to a Jitsi host. The gateway session cookie lives on the
 * gateway's own origin and path; the gate pass must be set on the Jitsi host. So after sign-in (or
 * with an existing session) the gateway sends the browser to `<Jitsi origin><base>/gate/enter/…`
 * with a ticket: 256 random bits, kept in the store (as its SHA-256) for TICKET_SECONDS and taken
 * exactly once, naming the session, the target and the checked return URL. It is like an OAuth
 * authorization code: it travels in a query string, so it is single-use, short-lived and never logged.
 */

export const TICKET_SECONDS = 60;
export const TICKET_VALUE = /^[A-Za-z0-9_-]{43}$/;

export interface GateTicket {
  v: 1;
  target: string;
  sessionId: string;
  /** Absolute, already checked against the target (return-url.ts). */
  returnUrl: string;
}

const key = (value: string) => `gate-ticket:${digest(value)}`;

export async function issueTicket(store: Store, ticket: Omit<GateTicket, 'v'>): Promise<string> {
  const value = randomValue();
  await store.put(key(value), JSON.stringify({ v: 1, ...ticket } satisfies GateTicket), TICKET_SECONDS);
  return value;
}

/** The ticket, once; undefined when malformed, unknown, used or expired. */
export async function takeTicket(store: Store, value: string | undefined): Promise<GateTicket | undefined> {
  if (value === undefined || !TICKET_VALUE.test(value)) return undefined;
  const raw = await store.take(key(value));
  if (raw === null) return undefined;
  try {
    const ticket = JSON.parse(raw) as Partial<GateTicket>;
    if (ticket.v !== 1 || typeof ticket.target !== 'string' || typeof ticket.sessionId !== 'string' || typeof ticket.returnUrl !== 'string') return undefined;
    return ticket as GateTicket;
  } catch {
    return undefined;
  }
}
