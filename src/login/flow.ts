import type { LoginDeps } from './deps.js';
import type { ReturnMode } from './request.js';
import { readableRoomName } from '../tokens/room.js';

/**
 * The login endpoints are short tables of named steps (see entry.ts, callback.ts, logout.ts), in
 * the manner of node-oidc-provider's actions. A step reads and fills the flow, throws a
 * GatewayError to stop with an error, or returns `'done'` once it has decided the answer.
 *
 * Steps know nothing of Koa: the HTTP edge (routes.ts) turns the request into `HttpIn` and applies
 * `HttpOut` (cookies, then a redirect or a page) to the response.
 */

export interface HttpIn {
  query: URLSearchParams;
  cookies: ReadonlyMap<string, string>;
  requestId: string | undefined;
  acceptLanguage: string;
  /** The client's address (src/security/client-address.ts), where a step needs it (GET /login). */
  clientAddress: string | undefined;
  /** Fetch metadata (Sec-Fetch-Site, Sec-Fetch-Dest), lowercase; empty when the browser sent none. */
  fetchSite: string;
  fetchDest: string;
}

export type Outcome =
  | { kind: 'redirect'; location: string }
  | {
      kind: 'page';
      status: number;
      html: string;
      /** Who may frame the page (the silent logout iframe). */
      frameAncestors?: string[];
      /** Where its form's submission may lead (the IdP a confirmed logout redirects to). */
      formAction?: string[];
    }
  | { kind: 'empty'; status: number };

export interface HttpOut {
  /** Complete Set-Cookie header values. */
  cookies: string[];
  outcome?: Outcome;
}

export interface Flow {
  services: LoginDeps;
  http: HttpIn;
  out: HttpOut;
}

/** A value an earlier step sets; its absence means the step table is in the wrong order (a bug). */
export function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`login flow: ${what} missing (step order)`);
  return value;
}

/** What a step returns once it has decided the answer. */
export const DONE = 'done' as const;

export type Step<F extends Flow> = (flow: F) => Promise<'done' | void> | 'done' | void;

/**
 * Runs the steps in order until one answers. A table that ends without an answer is a bug. Most
 * steps are synchronous: only a step that returns a promise is awaited (an `await` per step cost
 * a microtask turn and a promise each, for every request).
 */
export async function runSteps<F extends Flow>(flow: F, steps: ReadonlyArray<Step<F>>): Promise<Outcome> {
  for (const step of steps) {
    let result = step(flow);
    if (result !== undefined && typeof result !== 'string') result = await result;
    if (result === 'done') {
      if (!flow.out.outcome) throw new Error(`login step ${step.name} finished without an answer`);
      return flow.out.outcome;
    }
  }
  throw new Error(`login steps ended without an answer (last: ${steps.at(-1)?.name ?? 'none'})`);
}

export const redirect = (location: string): Outcome => ({ kind: 'redirect', location });
export const page = (html: string, status = 200, frameAncestors?: string[]): Outcome =>
  frameAncestors ? { kind: 'page', status, html, frameAncestors } : { kind: 'page', status, html };

/**
 * What an error page may offer (GatewayError.context, read by the page renderer): the room as
 * people read it, the meeting without a token, a "start again" link to /login for the same room
 * and return mode, and for a tokenAuthInline popup the Jitsi origin to post `oauth-error` to.
 */
export interface ErrorSurroundings {
  basePath: string;
  target: { name: string; isDefault: boolean; origin: string; meetingUrl: string };
  room: string;
  tenant?: string | undefined;
  mode: ReturnMode;
}

export function errorContext(where: ErrorSurroundings): Record<string, string> {
  const room = readableRoomName(where.room);
  const state: Record<string, unknown> = { room };
  if (where.tenant) state.tenant = where.tenant;
  if (where.mode === 'ios' || where.mode === 'android' || where.mode === 'electron') state[where.mode] = true;
  const query = new URLSearchParams({ room, state: JSON.stringify(state) });
  if (!where.target.isDefault) query.set('target', where.target.name);
  if (where.mode === 'inline') query.set('inline', '1');
  const context: Record<string, string> = {
    room,
    meetingUrl: where.target.meetingUrl,
    retryUrl: `${where.basePath}/login?${query.toString()}`,
  };
  if (where.mode === 'inline') context.inlineOrigin = where.target.origin;
  return context;
}
