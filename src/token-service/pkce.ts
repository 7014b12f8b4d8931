import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * PKCE (RFC 7636) with S256 only: Jitsi's web client sends `{code_challenge}` =
 * base64url(sha256(verifier)) without `code_challenge_method` (its sso.html posts the verifier),
 * so the method is fixed here rather than read from the request; `plain` is never accepted.
 */

/** base64url of a SHA-256: exactly 43 characters. */
export const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** RFC 7636 §4.1: 43-128 unreserved characters (Jitsi's are 64 letters and digits). */
export const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export const s256 = (verifier: string) => createHash('sha256').update(verifier, 'ascii').digest('base64url');

export function verifierMatches(verifier: string, challenge: string): boolean {
  if (!CODE_VERIFIER.test(verifier) || !CODE_CHALLENGE.test(challenge)) return false;
  return timingSafeEqual(Buffer.from(s256(verifier)), Buffer.from(challenge));
}
