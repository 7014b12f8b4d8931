import { errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { GatewayError } from '../../errors/gateway-error.js';

/**
 * OpenID Connect Back-Channel Logout 1.0, §2.6: the checks on a logout token. Everything that is
 * wrong is a 400 with a reason; nothing here ever widens which sessions are revoked.
 */

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_TOKEN_LENGTH = 16 * 1024;
/** Logout tokens are sent the moment the IdP session ends; older ones are refused. */
const MAX_TOKEN_AGE_SECONDS = 600;

export interface LogoutTokenCheck {
  issuer: string;
  clientId: string;
  keys: JWTVerifyGetKey;
  algorithms: string[];
  clockToleranceSeconds: number;
}

export interface LogoutSubject {
  sub?: string;
  sid?: string;
  /** The token's jti (required by OIDC Back-Channel Logout §2.4), for replay detection. */
  jti: string;
  /** How long the jti must be remembered: until the token is too old to be accepted anyway. */
  replayTtlSeconds: number;
}

const invalid = (reason: string, detail: Record<string, unknown> = {}) =>
  new GatewayError('invalid_request', `The logout token was rejected: ${reason}.`, { level: 'warn', detail: { reason, ...detail } });

/** Reads the `logout_token` form parameter (exactly one). */
export function logoutTokenFromBody(body: string, contentType: string): string {
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw invalid('the request must be application/x-www-form-urlencoded');
  const params = new URLSearchParams(body);
  const tokens = params.getAll('logout_token');
  if (tokens.length !== 1) throw invalid('the request must carry exactly one logout_token parameter');
  const token = tokens[0] ?? '';
  if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) throw invalid('logout_token is not a signed JWT');
  return token;
}

export async function verifyLogoutToken(token: string, check: LogoutTokenCheck): Promise<LogoutSubject> {
  let payload: JWTPayload;
  try {
    const result = await jwtVerify(token, check.keys, {
      issuer: check.issuer,
      audience: check.clientId,
      algorithms: check.algorithms,
      clockTolerance: check.clockToleranceSeconds,
      maxTokenAge: MAX_TOKEN_AGE_SECONDS + check.clockToleranceSeconds,
      requiredClaims: ['iat'],
    });
    payload = result.payload;
    const typ = result.protectedHeader.typ;
    if (typ !== undefined && !/^(application\/)?(logout\+jwt|jwt)$/i.test(typ)) throw invalid(`unexpected token type "${String(typ).slice(0, 40)}"`);
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    throw invalid(joseReason(error), { error: error instanceof Error ? error.message.slice(0, 200) : String(error) });
  }
  const events = payload.events;
  if (typeof events !== 'object' || events === null || Array.isArray(events)) throw invalid('the events claim is missing');
  const event = (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT];
  if (typeof event !== 'object' || event === null || Array.isArray(event)) throw invalid('the events claim has no back-channel logout event');
  if (payload.nonce !== undefined) throw invalid('a logout token must not contain a nonce');
  const sub = typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : undefined;
  const sid = typeof payload.sid === 'string' && payload.sid !== '' ? payload.sid : undefined;
  if (payload.sid !== undefined && sid === undefined) throw invalid('the sid claim is not a string');
  if (!sub && !sid) throw invalid('it names neither a subject (sub) nor a session (sid)');
  const jti = typeof payload.jti === 'string' && payload.jti !== '' && payload.jti.length <= 256 ? payload.jti : undefined;
  if (!jti) throw invalid('it has no jti (token id)');
  const subject: LogoutSubject = { jti, replayTtlSeconds: MAX_TOKEN_AGE_SECONDS + 2 * check.clockToleranceSeconds };
  if (sub) subject.sub = sub;
  if (sid) subject.sid = sid;
  return subject;
}

function joseReason(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return error.claim === 'iat' ? 'it is too old' : 'it has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'iss':
        return 'it was issued by another identity provider';
      case 'aud':
        return 'it was issued for another application';
      case 'iat':
        return error.reason === 'missing' ? 'it has no issue time (iat)' : 'it is too old';
      default:
        return `its ${error.claim} claim is not acceptable`;
    }
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'its signature is not valid';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'it is signed with an algorithm that is not allowed';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'it is signed with a key the identity provider does not publish';
  if (error instanceof joseErrors.JWKSTimeout) return 'the identity provider keys could not be fetched in time';
  if (error instanceof joseErrors.JWTInvalid || error instanceof joseErrors.JWSInvalid) return 'it is not a valid JWT';
  return 'it could not be verified';
}
