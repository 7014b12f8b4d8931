import { digest, randomValue } from '../session/cookies.js';
import { randomBase64url } from '../security/random.js';
import type { PersonKey } from '../identity/person.js';
import type { Store } from '../store/store.js';
import type { RoomLocation } from '../tokens/target.js';

/**
 * Refresh tokens of the token service. Jitsi sends a refresh as `grant_type=refresh_token` with
 * nothing but the token and its client id, so everything else is bound to the token server-side:
 * the client, the room, the person and their gateway session.
 *
 * - Opaque 256-bit values; the store keeps `sso-rt:<sha256(token)>` only. Jitsi also puts the token
 *   into `{state}` of the authorization URL (a query string), so it must be worth little when it
 *   leaks: it lives at most tokenService.refreshTokenTtlSeconds and never beyond the session.
 * - Single use with rotation: redeeming takes it (GETDEL) and hands out a new one of the same
 *   family. A spent token is remembered (`sso-rt-spent:`) for its lifetime: presenting it again
 *   means two parties hold the family, so the whole family is revoked (OAuth 2.0 Security BCP
 *   §4.14.2) and the next rotation fails for both.
 * - Revocable: the family (`sso-rt-family:<id>`) is deleted on reuse or by /revoke, and every
 *   redemption also needs the gateway session alive (logout and IdP back-channel logout end it).
 */
export interface RefreshGrant {
  v: 1;
  family: string;
  client: string;
  session: string;
  person: PersonKey;
  location: RoomLocation;
  /** The nonce of the original authorization: a refreshed ID token carries the same (OIDC Core §12.2). */
  nonce?: string | undefined;
}

export const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43}$/;

const tokenKey = (token: string) => `sso-rt:${digest(token)}`;
const spentKey = (token: string) => `sso-rt-spent:${digest(token)}`;
const familyKey = (family: string) => `sso-rt-family:${family}`;

export const newFamily = () => randomBase64url(16);

/** Stores a new refresh token; a new family also gets its liveness key (lifetime `familyTtlSeconds`). */
export async function issueRefreshToken(
  store: Store,
  grant: RefreshGrant,
  ttlSeconds: number,
  options: { newFamily: boolean; familyTtlSeconds: number },
): Promise<string> {
  const token = randomValue();
  const writes = [store.put(tokenKey(token), JSON.stringify(grant), ttlSeconds)];
  if (options.newFamily) writes.push(store.put(familyKey(grant.family), '1', options.familyTtlSeconds));
  await Promise.all(writes);
  return token;
}

export type Redemption =
  | { ok: true; grant: RefreshGrant }
  | { ok: false; reason: 'unknown' | 'reused' | 'revoked' | 'unreadable' };

/** Takes the token (once). A second presentation of a spent token revokes its family. */
export async function redeemRefreshToken(store: Store, token: string, ttlSeconds: number): Promise<Redemption> {
  if (!REFRESH_TOKEN.test(token)) return { ok: false, reason: 'unknown' };
  const raw = await store.take(tokenKey(token));
  if (raw === null) {
    const family = await store.get(spentKey(token));
    if (family === null) return { ok: false, reason: 'unknown' };
    await store.delete(familyKey(family));
    return { ok: false, reason: 'reused' };
  }
  let grant: RefreshGrant;
  try {
    grant = JSON.parse(raw) as RefreshGrant;
  } catch {
    return { ok: false, reason: 'unreadable' };
  }
  if (grant.v !== 1 || typeof grant.family !== 'string' || typeof grant.session !== 'string') return { ok: false, reason: 'unreadable' };
  const [alive] = await Promise.all([store.get(familyKey(grant.family)), store.put(spentKey(token), grant.family, ttlSeconds)]);
  if (alive === null) return { ok: false, reason: 'revoked' };
  return { ok: true, grant };
}

/** Whether the token would be honoured now (read only: the authorization endpoint must not spend it). */
export async function refreshTokenKnown(store: Store, token: string): Promise<boolean> {
  if (!REFRESH_TOKEN.test(token)) return false;
  const raw = await store.get(tokenKey(token));
  if (raw === null) return false;
  try {
    const grant = JSON.parse(raw) as RefreshGrant;
    return (await store.get(familyKey(grant.family))) !== null;
  } catch {
    return false;
  }
}

/** RFC 7009: ends the token's whole family. Returns the grant it belonged to, if any. */
export async function revokeRefreshToken(store: Store, token: string): Promise<RefreshGrant | undefined> {
  if (!REFRESH_TOKEN.test(token)) return undefined;
  const raw = await store.take(tokenKey(token));
  if (raw === null) return undefined;
  try {
    const grant = JSON.parse(raw) as RefreshGrant;
    await store.delete(familyKey(grant.family));
    return grant;
  } catch {
    return undefined;
  }
}
