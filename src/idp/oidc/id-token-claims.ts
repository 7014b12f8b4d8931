/**
 * ID token claims the gateway checks itself, beyond openid-client (which compares `azp` only for
 * tokens with several audiences, and does not look at an `iat` in the future). Pure.
 *
 * - `azp`, when present, must be our client id, also for a single-audience token (OIDC Core
 *   3.1.3.7 step 5: the party the token was issued to).
 * - `iat` may not lie in the future beyond the allowed clock difference: a token "issued" later
 *   than now was not issued by a provider whose clock agrees with ours, and would outlive its
 *   stated age checks.
 */
export type IdTokenProblem = { claim: 'azp' } | { claim: 'iat'; skewSeconds: number };

export function idTokenProblem(
  claims: Readonly<Record<string, unknown>>,
  expected: { clientId: string; clockToleranceSeconds: number; now?: number },
): IdTokenProblem | undefined {
  if (claims.azp !== undefined && claims.azp !== expected.clientId) return { claim: 'azp' };
  const now = expected.now ?? Math.floor(Date.now() / 1000);
  if (typeof claims.iat === 'number' && claims.iat > now + expected.clockToleranceSeconds) return { claim: 'iat', skewSeconds: claims.iat - now };
  return undefined;
}
