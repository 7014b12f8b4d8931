import type { Config } from '../config/schema.js';
import type { Identity } from '../identity/identity.js';
import type { Store } from '../store/store.js';
import { clearCookie, cookieOptions, digest, gatewayCookie, randomValue, serializeCookie, type CookieScope } from './cookies.js';

/**
 * The gateway session: after a successful login, a cookie (session.cookieName) referencing
 * `session:<sha256(cookie)>` in the store for session.ttlSeconds. While it lives, a request for
 * another room mints a token without going back to the IdP (policy is asked again for every room).
 * Its session indexes (OIDC sid/sub, CAS service ticket) are indexed under
 * `slo:<provider>:<index>` so a back-channel logout from the IdP finds and ends it.
 */

export interface GatewaySession {
  v: 1;
  provider: string;
  identity: Identity;
  /** For RP-initiated logout (the OIDC ID token). */
  logoutHint?: string;
  sessionIndexes: string[];
  /** Seconds since the epoch. */
  createdAt: number;
  expiresAt: number;
}

export interface LoadedSession {
  /** Store id (SHA-256 of the cookie value). */
  id: string;
  session: GatewaySession;
}

const now = () => Math.floor(Date.now() / 1000);

export const sessionKey = (id: string) => `session:${id}`;
/** Index key; long or odd ids from the IdP are hashed so keys stay short and printable. */
export const sloIndex = (provider: string, index: string) =>
  `slo:${provider}:${index.length <= 200 && /^[\x21-\x7e]+$/.test(index) ? index : `h:${digest(index)}`}`;

/** What sessions use: session settings, the transient-state store, the cookie scope. */
export interface SessionDeps extends CookieScope {
  config: Pick<Config, 'session'>;
  store: Store;
}

export async function openSession(
  services: SessionDeps,
  login: { provider: string; identity: Identity; logoutHint?: string | undefined; sessionIndexes: string[] },
): Promise<{ loaded: LoadedSession; setCookie: string }> {
  const ttl = services.config.session.ttlSeconds;
  const cookie = randomValue();
  const id = digest(cookie);
  const created = now();
  const session: GatewaySession = {
    v: 1,
    provider: login.provider,
    identity: login.identity,
    sessionIndexes: login.sessionIndexes.slice(0, 10),
    createdAt: created,
    expiresAt: created + ttl,
  };
  if (login.logoutHint) session.logoutHint = login.logoutHint;
  // Concurrent: an index entry whose session write failed is harmless (revokeIndexed skips it).
  await Promise.all([
    services.store.put(sessionKey(id), JSON.stringify(session), ttl),
    ...session.sessionIndexes.map((index) => services.store.indexAdd(sloIndex(login.provider, index), id, ttl)),
  ]);
  return { loaded: { id, session }, setCookie: serializeCookie(services.config.session.cookieName, cookie, ttl, cookieOptions(services)) };
}

/** The session by store id, or undefined when it ended, expired or is unreadable. */
export async function loadSessionById(store: Store, id: string): Promise<LoadedSession | undefined> {
  const raw = await store.get(sessionKey(id));
  if (raw === null) return undefined;
  try {
    const session = JSON.parse(raw) as GatewaySession;
    // The person is (provider, subject): a record whose identity names another provider is not used.
    if (session.v !== 1 || typeof session.provider !== 'string' || typeof session.identity?.id !== 'string' || session.identity.provider !== session.provider || session.expiresAt <= now()) return undefined;
    return { id, session };
  } catch {
    return undefined;
  }
}

/** The session this browser's cookie names, if any. */
export async function loadSession(services: Pick<SessionDeps, 'config' | 'store'>, cookies: ReadonlyMap<string, string>): Promise<LoadedSession | undefined> {
  const cookie = gatewayCookie(cookies, services.config.session.cookieName);
  if (!cookie) return undefined;
  return loadSessionById(services.store, digest(cookie));
}

/** Seconds the session has left (at least 1). */
export const remainingSeconds = (session: GatewaySession) => Math.max(1, session.expiresAt - now());

/** Ends the session: its record and its index entries. */
export async function endSession(store: Store, loaded: LoadedSession): Promise<void> {
  await store.delete(sessionKey(loaded.id));
  await Promise.all(loaded.session.sessionIndexes.map((index) => store.indexRemove(sloIndex(loaded.session.provider, index), loaded.id)));
}

export const clearSessionCookie = (services: Pick<SessionDeps, 'config' | 'publicUrl' | 'basePath'>) => clearCookie(services.config.session.cookieName, cookieOptions(services));

/** Back-channel logout: ends every session indexed under these indexes of this provider. */
export async function revokeIndexed(store: Store, provider: string, indexes: readonly string[]): Promise<number> {
  let revoked = 0;
  for (const index of indexes) {
    const key = sloIndex(provider, index);
    for (const id of await store.indexMembers(key)) {
      const loaded = await loadSessionById(store, id);
      // The index key names the provider; the session must agree before it is ended.
      if (loaded && loaded.session.provider === provider) {
        await endSession(store, loaded);
        revoked += 1;
      } else {
        await store.indexRemove(key, id);
      }
    }
  }
  return revoked;
}
