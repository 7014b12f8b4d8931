import { randomBase64url } from '../security/random.js';
import { GatewayError } from '../http/errors.js';
import type { Services } from '../services.js';
import type { Store } from '../store/store.js';
import type { RoomLocation } from '../tokens/target.js';
import { cookieOptions, digest, gatewayCookie, randomValue, serializeCookie } from './cookies.js';
import { RETURN_MODES, type ReturnMode } from './request.js';

/**
 * The login transaction: everything the callback needs, kept server-side under `tx:<id>` for
 * session.loginTimeoutSeconds and consumed with `take` (GETDEL) exactly once. The id is 128 random
 * bits and travels through the IdP (OIDC `state`, CAS `tx`). The transaction is bound to the
 * browser that started it: a random value in an HttpOnly cookie, whose SHA-256 the transaction
 * keeps. One binding cookie per browser serves every login started in it (several tabs at once).
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
}

export const TRANSACTION_ID = /^[A-Za-z0-9_-]{22}$/;

export const newTransactionId = () => randomBase64url(16);

export const bindingCookieName = (services: Pick<Services, 'config'>) => `${services.config.session.cookieName}_login`;

/** The browser's binding value: the existing cookie's, or a new one. Always (re)sets the cookie. */
export function browserBinding(services: Services, cookies: ReadonlyMap<string, string>): { value: string; setCookie: string } {
  const name = bindingCookieName(services);
  const value = gatewayCookie(cookies, name) ?? randomValue();
  return { value, setCookie: serializeCookie(name, value, services.config.session.loginTimeoutSeconds, cookieOptions(services)) };
}

export async function saveTransaction(store: Store, id: string, transaction: LoginTransaction, ttlSeconds: number): Promise<void> {
  await store.put(`tx:${id}`, JSON.stringify(transaction), ttlSeconds);
}

const expired = (detail: Record<string, unknown>) =>
  new GatewayError(400, 'login_expired', 'This sign-in has expired or was already completed. Please go back to the meeting link and sign in again.', {
    detail,
  });

/** Takes the transaction (single use). Unknown, used and expired are the same answer: start again. */
export async function takeTransaction(store: Store, id: string): Promise<LoginTransaction> {
  if (!TRANSACTION_ID.test(id)) throw expired({ reason: 'malformed transaction id', length: id.length });
  const raw = await store.take(`tx:${id}`);
  if (raw === null) throw expired({ reason: 'unknown, used or expired transaction' });
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
    tx.secrets === null
  ) {
    return undefined;
  }
  return tx as LoginTransaction;
}

/** The transaction must have been started by this provider, in this browser. */
export function checkTransaction(transaction: LoginTransaction, provider: string, cookies: ReadonlyMap<string, string>, cookieName: string): void {
  if (transaction.provider !== provider) {
    throw new GatewayError(400, 'login_mismatch', 'This sign-in answer came from a different sign-in provider than the one the sign-in started with. Please go back to the meeting link and sign in again.', {
      detail: { expected: transaction.provider, got: provider },
    });
  }
  const binding = gatewayCookie(cookies, cookieName);
  if (!binding || digest(binding) !== transaction.binding) {
    throw new GatewayError(400, 'login_mismatch', 'This sign-in was started in another browser (or its cookies were cleared). Please open the meeting link again in this browser.', {
      detail: { reason: binding ? 'binding cookie does not match' : 'binding cookie missing' },
      level: 'warn',
    });
  }
}
