import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type { ConfigIssue } from '../config/errors.js';
import { randomBase64url } from '../security/random.js';

/**
 * The gateway's own ID-token key. Jitsi's sso.html only compares the ID token's `nonce` with the
 * one it sent; anyone else holding the ID token (Jitsi passes it to tokenLogoutUrl as
 * `id_token_hint`) verifies it against <publicUrl>/token-service/jwks.json.
 *
 * It is deliberately NOT in /.well-known/jwks.json: that set is Prosody's (`cache_keys_url`), and
 * Prosody must trust only the keys that sign Jitsi tokens.
 */

export interface IdTokenKey {
  kid: string;
  alg: 'ES256' | 'RS256';
  privateKey: KeyObject;
  jwk: JsonWebKey & { kid: string; alg: string; use: 'sig' };
}

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

/** Reads the configured key, or reports why it cannot sign. */
export function readIdTokenKey(config: { kid: string; privateKey: string }, path: string): { key?: IdTokenKey; issues: ConfigIssue[] } {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(config.privateKey);
  } catch {
    return { issues: [{ path: `${path}.privateKey`, problem: 'is not a readable PEM private key', fix: 'use a PKCS#8 EC P-256 or RSA private key, e.g. `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`' }] };
  }
  const details = privateKey.asymmetricKeyDetails;
  if (privateKey.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') return { key: idTokenKey(config.kid, 'ES256', privateKey), issues: [] };
  if (privateKey.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= 2048) return { key: idTokenKey(config.kid, 'RS256', privateKey), issues: [] };
  return { issues: [{ path: `${path}.privateKey`, problem: `is a ${privateKey.asymmetricKeyType ?? 'unknown'} key the token service cannot sign ID tokens with`, fix: 'use an EC P-256 key (ES256) or an RSA key of at least 2048 bits (RS256)' }] };
}

/** A key made at start-up: fine for one replica; replicas each make their own. */
export function ephemeralIdTokenKey(): IdTokenKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return idTokenKey(`ephemeral-${randomBase64url(9)}`, 'ES256', privateKey);
}

function idTokenKey(kid: string, alg: IdTokenKey['alg'], privateKey: KeyObject): IdTokenKey {
  const { d: _private, ...publicJwk } = createPublicKey(privateKey).export({ format: 'jwk' });
  return { kid, alg, privateKey, jwk: { ...publicJwk, kid, alg, use: 'sig' } };
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
