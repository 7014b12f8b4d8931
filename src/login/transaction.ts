import { randomBase64url } from '../security/random.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { LoginDeps } from './deps.js';
import type { Store } from '../store/store.js';
import type { RoomLocation } from '../tokens/target.js';
import { clearCookie, cookieOptions, digest, isCookieValue, randomValue, serializeCookie, type CookieOptions } from '../session/cookies.js';
import { RETURN_MODES, type ReturnMode } from './request.js';
import type { AuthorizationRequest } from '../token-service/authorize.js';

/**
 * The login transaction: everything the callback needs, kept server-side under `tx:<id>` for
 * session.loginTimeoutSeconds and consumed exactly once (takeTransaction). The id is 128 random
 * bits and travels through the IdP (OIDC `state`, CAS `tx`). The transaction is bound to the
 * browser that started it: a random value in an HttpOnly cookie, whose SHA-256 the transaction
 * keeps. Every login start gets a new binding (see browserBinding); the callback removes it.
 */

export interface LoginTransaction {
  v: 1;
  provider: string;
  /** SHA-256 (base64url) of the browser binding cookie. */
  binding: string;
  location: RoomLocation;
  hashParams: Array<[string, string]>;
  mode: ReturnMode;
  /** What the provider's startLogin returned (PKCE verifier, nonce, CAS service URL). */
  secrets: Record<string, string>;
  /** Mode sso: the authorization request the code will be bound to. */
  authorization?: AuthorizationRequest | undefined;
  /**
   * Set by the gate's sign-in (src/gate/): a path under publicUrl to continue at once the session is
   * open, instead of minting for `location` (whose room is '' when the gate's return URL names no
   * meeting). Written by the gateway only, never taken from a request.
   */
  continueAt?: string;
}

/** A path under publicUrl: one leading slash, no scheme or authority, no control characters. */
export const CONTINUE_AT = /^\/(?![\/\\])[^\u0000-\u001f\u007f\\]*$/;

export const TRANSACTION_ID = /^[A-Za-z0-9_-]{22}$/;

export const newTransactionId = () => randomBase64url(16);

/**
 * The binding cookie. With an https publicUrl it is `__Host-<cookieName>_login` (Secure, Path=/,
 * no Domain): browsers refuse such a cookie from a sibling subdomain or plain http, so nobody can
 * plant a binding of their own in a victim's browser and then send it their own callback URL
 * (login CSRF). Over plain http (development) the prefix is unavailable and the cookie is
 * `<cookieName>_login` under the gateway's path.
 */
export interface BindingCookie {
  name: string;
  options: CookieOptions;
  /** Whether the browser guarantees that only the gateway set it (the `__Host-` prefix). */
  hostOnly: boolean;
}

export function bindingCookie(services: Pick<LoginDeps, 'config' | 'publicUrl' | 'basePath'>): BindingCookie {
  const name = `${services.config.session.cookieName}_login`;
  if (services.publicUrl.startsWith('https:')) return { name: `__Host-${name}`, options: { secure: true, path: '/' }, hostOnly: true };
  return { name, options: cookieOptions(services), hostOnly: false };
}

/** Bindings of logins still running in other tabs that the cookie keeps beside the newest. */
const MAX_BINDINGS = 3;

/** The binding values in the cookie (newest first): 43-character random values joined by ".". */
export function bindingValues(cookies: ReadonlyMap<string, string>, cookie: BindingCookie): string[] {
  const raw = cookies.get(cookie.name);
  if (raw === undefined || raw.length > 44 * MAX_BINDINGS) return [];
  return raw.split('.').filter(isCookieValue).slice(0, MAX_BINDINGS);
}

/**
 * A new binding for every login start, never one found in the request: a value the browser
 * brought may have been planted. Earlier values stay beside it (so logins started in several tabs
 * each finish) only under the `__Host-` prefix, where the browser vouches that the gateway set them.
 */
export function browserBinding(services: LoginDeps, cookies: ReadonlyMap<string, string>): { value: string; setCookie: string } {
  const cookie = bindingCookie(services);
  const value = randomValue();
  const earlier = cookie.hostOnly ? bindingValues(cookies, cookie).slice(0, MAX_BINDINGS - 1) : [];
  return { value, setCookie: serializeCookie(cookie.name, [value, ...earlier].join('.'), services.config.session.loginTimeoutSeconds, cookie.options) };
}

/** After the callback: the cookie without the binding just used, or cleared when none is left. */
export function releaseBinding(services: LoginDeps, cookies: ReadonlyMap<string, string>, used: string): string {
  const cookie = bindingCookie(services);
  const left = bindingValues(cookies, cookie).filter((value) => digest(value) !== used);
  if (left.length === 0) return clearCookie(cookie.name, cookie.options);
  return serializeCookie(cookie.name, left.join('.'), services.config.session.loginTimeoutSeconds, cookie.options);
}

export async function saveTransaction(store: Store, id: string, transaction: LoginTransaction, ttlSeconds: number): Promise<void> {
  await store.put(`tx:${id}`, JSON.stringify(transaction), ttlSeconds);
}

const expired = (detail: Record<string, unknown>) =>
  new GatewayError('login_expired', 'This sign-in has expired or was already completed. Please go back to the meeting link and sign in again.', {
    detail,
  });

/**
 * How long a used transaction id is remembered, so that a replayed callback (the browser's back
 * button, a reload, a copied link) is told "already used" rather than "too long": taking the
 * transaction replaces it with USED for this long.
 */
export const USED_MARKER_SECONDS = 3600;

/** What `tx:<id>` holds once taken (a transaction is a JSON object, never this). */
const USED = 'used';

/**
 * Takes the transaction (single use) in one store command: `tx:<id>` is replaced by the used
 * marker and its value returned (Redis SET XX GET), so of concurrent callbacks exactly one gets it
 * and an unknown id stores nothing. Unknown and expired are the same answer: start again; a
 * transaction taken before (within USED_MARKER_SECONDS) says it was already used.
 */
export async function takeTransaction(store: Store, id: string): Promise<LoginTransaction> {
  if (!TRANSACTION_ID.test(id)) throw expired({ reason: 'malformed transaction id', length: id.length });
  const raw = await store.replace(`tx:${id}`, USED, USED_MARKER_SECONDS);
  if (raw === null) throw expired({ reason: 'unknown or expired transaction' });
  if (raw === USED) {
    throw new GatewayError('login_expired', 'This sign-in link was already used. Please go back to the meeting link and sign in again.', {
      detail: { reason: 'transaction already used (replayed callback)' },
      context: { reason: 'used' },
    });
  }
  const parsed = parseTransaction(raw);
  if (!parsed) throw expired({ reason: 'unreadable transaction' });
  return parsed;
}

function parseTransaction(raw: string): LoginTransaction | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const tx = value as Partial<LoginTransaction>;
  const location = tx.location as Partial<RoomLocation> | undefined;
  if (
    tx.v !== 1 ||
    typeof tx.provider !== 'string' ||
    typeof tx.binding !== 'string' ||
    typeof location?.target !== 'string' ||
    typeof location.room !== 'string' ||
    !Array.isArray(tx.hashParams) ||
    !RETURN_MODES.includes(tx.mode as ReturnMode) ||
    typeof tx.secrets !== 'object' ||
    tx.secrets === null ||
    (tx.mode === 'sso') !== (typeof tx.authorization?.codeChallenge === 'string' && typeof tx.authorization.state === 'string') ||
    (tx.continueAt !== undefined && (typeof tx.continueAt !== 'string' || !CONTINUE_AT.test(tx.continueAt)))
  ) {
    return undefined;
  }
  return tx as LoginTransaction;
}

/** The transaction must have been started by this provider, in this browser. */
export function checkTransaction(transaction: LoginTransaction, provider: string, cookies: ReadonlyMap<string, string>, cookie: BindingCookie): void {
  if (transaction.provider !== provider) {
    throw new GatewayError('login_mismatch', 'This sign-in answer came from a different sign-in provider than the one the sign-in started with. Please go back to the meeting link and sign in again.', {
      detail: { expected: transaction.provider, got: provider },
    });
  }
  const bindings = bindingValues(cookies, cookie);
  if (!bindings.some((binding) => digest(binding) === transaction.binding)) {
    throw new GatewayError('login_mismatch', 'This sign-in was started in another browser (or its cookies were cleared). Please open the meeting link again in this browser.', {
      detail: { reason: bindings.length > 0 ? 'binding cookie does not match' : 'binding cookie missing' },
      level: 'warn',
    });
  }
}
