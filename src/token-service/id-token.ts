import { createPublicKey } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type { IdTokenKey } from '../keys/id-token-key.js';

/**
 * The gateway's own ID-token key. Jitsi's sso.html only compares the ID token's `nonce` with the
 * one it sent; anyone else holding the ID token (Jitsi passes it to tokenLogoutUrl as
 * `id_token_hint`) verifies it against <publicUrl>/token-service/jwks.json.
 *
 * It is deliberately NOT in /.well-known/jwks.json: that set is Prosody's (`cache_keys_url`), and
 * Prosody must trust only the keys that sign Jitsi tokens. The key itself is read (and checked at
 * configuration load) in src/keys/id-token-key.ts.
 */

export interface IdTokenClaims {
  iss: string;
  sub: string;
  aud: string;
  /** Seconds since the epoch when the person signed in at the IdP (the gateway session's start). */
  authTime: number;
  nonce?: string | undefined;
  /** The gateway session (store id): Jitsi hands the ID token back as tokenLogoutUrl's id_token_hint. */
  sid: string;
  ttlSeconds: number;
}

export function signIdToken(key: IdTokenKey, claims: IdTokenClaims): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = { azp: claims.aud, auth_time: claims.authTime, sid: claims.sid };
  if (claims.nonce !== undefined) payload.nonce = claims.nonce;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(claims.iss)
    .setSubject(claims.sub)
    .setAudience(claims.aud)
    .setIssuedAt(now)
    .setExpirationTime(now + claims.ttlSeconds)
    .sign(key.privateKey);
}

/**
 * An `id_token_hint` this service issued: signature, issuer and one of the client ids; expiry is
 * not required (a logout hint is typically older than the ID token's few minutes). Returns the
 * session and person it names, or undefined for anything else.
 */
export async function readIdTokenHint(
  key: IdTokenKey,
  hint: string,
  expected: { issuer: string; clientIds: readonly string[]; maxAgeSeconds: number },
): Promise<{ sid: string; sub: string } | undefined> {
  if (hint.length > 8192 || expected.clientIds.length === 0) return undefined;
  try {
    const { payload } = await jwtVerify(hint, createPublicKey(key.privateKey), {
      algorithms: [key.alg],
      issuer: expected.issuer,
      audience: [...expected.clientIds],
      clockTolerance: expected.maxAgeSeconds,
    });
    return typeof payload.sid === 'string' && typeof payload.sub === 'string' ? { sid: payload.sid, sub: payload.sub } : undefined;
  } catch {
    return undefined;
  }
}
