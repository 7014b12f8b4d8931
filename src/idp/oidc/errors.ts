import * as client from 'openid-client';
import { GatewayError } from '../../errors/gateway-error.js';
import { idpMisconfigured } from '../misconfigured.js';
import type { IdTokenProblem } from './id-token-claims.js';

/**
 * How openid-client's failures reach the person: one table, so every failure has one status,
 * one code and one message. Nothing from the IdP's answer is shown verbatim except the OAuth
 * error code; details go to the log only.
 */

const startAgain = 'Please go back to the meeting link and sign in again.';

/** Authorization response `error` values that mean "the person (or the IdP's policy) said no". */
const REFUSALS = new Set([
  'access_denied',
  'login_required',
  'interaction_required',
  'consent_required',
  'account_selection_required',
  'unmet_authentication_requirements',
]);

/** Claim names openid-client reports in JWT claim comparison failures. */
function failedClaim(error: client.ClientError): string | undefined {
  const cause = error.cause as { cause?: { claim?: unknown } } | undefined;
  const claim = cause?.cause?.claim;
  return typeof claim === 'string' ? claim : undefined;
}

const CLAIM_MESSAGES: Record<string, string> = {
  nonce: 'the ID token does not belong to this sign-in (nonce mismatch)',
  iss: 'the ID token was issued by another identity provider (issuer mismatch)',
  aud: 'the ID token was issued for another application (audience mismatch)',
  azp: 'the ID token was issued for another application (authorized party mismatch)',
  sub: 'the user info belongs to another person (subject mismatch)',
};

/** The provider's settings the operator-facing messages name. */
export interface FailureSettings {
  clientId: string;
  clientAuth: string;
  clockToleranceSeconds: number;
  idTokenAlg?: string | undefined;
  /** Where the keys were fetched (named when a key is missing). */
  jwksUri?: string | undefined;
}

/** The fix for a refused client authentication, shared by the login and `providers check`. */
export function clientAuthRefused(settings: Pick<FailureSettings, 'clientId' | 'clientAuth'>): { problem: string; fix: string } {
  return {
    problem: `the IdP refused the gateway's client authentication (method ${settings.clientAuth}, client id ${settings.clientId})`,
    fix:
      "check the secret and clientAuth (the IdP's token_endpoint_auth_method for this client; with client_secret_basic the client id and secret are form-encoded in the Basic header as RFC 6749 says, which some IdPs such as LemonLDAP::NG do not decode: use client_secret_post there)",
  };
}

/**
 * The OAuth error code of a failed token request: from the JSON body, or from the
 * WWW-Authenticate challenge of a 401 (openid-client throws WWWAuthenticateChallengeError then).
 */
export function oauthErrorOf(error: unknown): string | undefined {
  if (error instanceof client.ResponseBodyError) return error.error;
  if (error instanceof client.WWWAuthenticateChallengeError) {
    return error.cause.map((challenge) => challenge.parameters.error).find((value): value is string => typeof value === 'string');
  }
  return undefined;
}

/**
 * The failures that come from the gateway's and the IdP's settings, not from the person: client
 * authentication, keys, algorithms, clocks. Undefined for anything else.
 */
function misconfiguration(error: unknown, provider: string, displayName: string, stage: string, settings: FailureSettings): GatewayError | undefined {
  const base = { provider, displayName, detail: { stage } };
  const status = (error as { status?: unknown }).status;
  const oauthError = oauthErrorOf(error);
  if (stage !== 'userinfo' && (oauthError === 'invalid_client' || status === 401)) {
    return idpMisconfigured({ ...base, ...clientAuthRefused(settings), detail: { stage, error: oauthError ?? 'HTTP 401', idpStatus: status } });
  }
  if (oauthError === 'unauthorized_client' || oauthError === 'unsupported_grant_type') {
    return idpMisconfigured({
      ...base,
      problem: `the IdP does not allow this client (client id ${settings.clientId}) the authorization code grant (${oauthError})`,
      fix: 'enable the authorization code ("standard") flow for the client at the IdP',
      detail: { stage, error: oauthError },
    });
  }
  if (!(error instanceof client.ClientError)) return undefined;
  // openid-client wraps oauth4webapi's error, whose cause holds the claim and the clock.
  const cause = ((error.cause as { cause?: unknown } | undefined)?.cause ?? {}) as { claim?: unknown; now?: unknown; claims?: Record<string, unknown> };
  switch (error.code) {
    case 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED': {
      const claim = typeof cause.claim === 'string' ? cause.claim : 'a time claim';
      if (claim === 'auth_time') return undefined;
      const value = typeof cause.claims?.[claim] === 'number' ? (cause.claims[claim] as number) : undefined;
      const now = typeof cause.now === 'number' ? cause.now : Math.floor(Date.now() / 1000);
      const skew = value === undefined ? undefined : claim === 'exp' ? now - value : claim === 'nbf' ? value - now : now - value;
      const what = claim === 'exp' ? 'already expired' : claim === 'nbf' ? 'not valid yet' : 'issued too long ago';
      return idpFailureWithClock(base, claim, what, skew, settings);
    }
    case 'OAUTH_KEY_SELECTION_FAILED':
      return idpMisconfigured({
        ...base,
        problem: `the IdP's JWKS${settings.jwksUri ? ` (${settings.jwksUri})` : ''} has no key that verifies the ID token (${error.message})`,
        fix: 'the IdP signs with a key it does not publish at its jwks_uri: check the IdP\'s signing keys (a new key must be published before it signs), and backchannelUrl/endpoints.jwks if set',
        detail: { stage, check: error.code },
      });
    case 'OAUTH_JWT_ALG_NOT_SUPPORTED':
      return idpMisconfigured({
        ...base,
        problem: `the ID token is signed with an algorithm the gateway does not accept here (${error.message})`,
        fix: settings.idTokenAlg
          ? `set idTokenAlg to the algorithm the client is registered with at the IdP (now ${settings.idTokenAlg}), or change the client's ID token signing algorithm`
          : "configure the IdP to sign this client's ID tokens with RS256 (or another asymmetric algorithm) and set idTokenAlg to it",
        detail: { stage, check: error.code },
      });
    default:
      return undefined;
  }
}

/** An ID token the gateway's own checks refuse (src/idp/oidc/id-token-claims.ts). */
export function idTokenRefused(problem: IdTokenProblem, provider: string, displayName: string, settings: FailureSettings): GatewayError {
  if (problem.claim === 'iat') return idpFailureWithClock({ provider, displayName }, 'iat', 'issued in the future', -problem.skewSeconds, settings);
  return new GatewayError('invalid_request', `The sign-in answer from ${displayName} could not be verified: ${CLAIM_MESSAGES.azp}. ${startAgain}`, {
    level: 'warn',
    detail: { provider, stage: 'authorization code exchange', check: 'azp', claim: 'azp' },
  });
}

function idpFailureWithClock(
  base: { provider: string; displayName: string },
  claim: string,
  what: string,
  skew: number | undefined,
  settings: FailureSettings,
): GatewayError {
  return idpMisconfigured({
    ...base,
    problem: `the ID token is ${what} by the gateway's clock ("${claim}"${skew !== undefined ? ` off by ${skew} s` : ''}, clockToleranceSeconds ${settings.clockToleranceSeconds}): the clocks of the gateway and the IdP differ`,
    fix: 'synchronise both clocks (NTP); raise clockToleranceSeconds only as a stopgap',
    detail: { check: 'clock', claim, skewSeconds: skew },
  });
}

export function idpFailure(error: unknown, provider: string, displayName: string, stage: string, settings?: FailureSettings): GatewayError {
  const detail = (extra: Record<string, unknown> = {}) => ({ provider, stage, ...extra });
  if (error instanceof GatewayError) return error;
  const misconfigured = settings ? misconfiguration(error, provider, displayName, stage, settings) : undefined;
  if (misconfigured) return misconfigured;

  if (error instanceof client.AuthorizationResponseError) {
    const code = error.error;
    if (REFUSALS.has(code)) {
      return new GatewayError('access_denied', `The sign-in at ${displayName} was cancelled or refused (${code}). ${startAgain}`, {
        detail: detail({ error: code, description: error.error_description?.slice(0, 300) }),
      });
    }
    return new GatewayError('idp_error', `${displayName} reported an error during sign-in (${safeCode(code)}). Please try again; if it keeps happening, tell your administrator.`, {
      level: 'warn',
      detail: detail({ error: code, description: error.error_description?.slice(0, 300) }),
    });
  }

  if (error instanceof client.ResponseBodyError) {
    if (error.error === 'invalid_grant') {
      return new GatewayError('login_expired', `${displayName} did not accept the sign-in answer: it is invalid, expired or was already used. ${startAgain}`, {
        detail: detail({ error: error.error, status: error.status, description: error.error_description?.slice(0, 300) }),
      });
    }
    return new GatewayError('idp_error', `${displayName} refused the gateway's request (${safeCode(error.error)}). If it keeps happening, tell your administrator.`, {
      level: 'error',
      detail: detail({ error: error.error, status: error.status, description: error.error_description?.slice(0, 300) }),
    });
  }

  if (error instanceof client.ClientError) {
    switch (error.code) {
      case 'OAUTH_TIMEOUT':
        return new GatewayError('idp_timeout', `${displayName} did not answer in time. Please try again in a moment.`, { level: 'warn', detail: detail() });
      case 'OAUTH_ABORT':
        return new GatewayError('idp_unavailable', `${displayName} cannot be reached right now. Please try again in a moment.`, { level: 'warn', detail: detail() });
      case 'OAUTH_JWT_CLAIM_COMPARISON_FAILED':
      case 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED':
      case 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED':
      case 'OAUTH_INVALID_RESPONSE':
      case 'OAUTH_KEY_SELECTION_FAILED': {
        const claim = failedClaim(error);
        const reason = (claim && CLAIM_MESSAGES[claim]) ?? error.message;
        return new GatewayError('invalid_request', `The sign-in answer from ${displayName} could not be verified: ${reason}. ${startAgain}`, {
          level: 'warn',
          detail: detail({ check: error.code, claim, reason: describeCause(error) }),
        });
      }
      case 'OAUTH_RESPONSE_IS_NOT_CONFORM':
      case 'OAUTH_RESPONSE_IS_NOT_JSON':
      case 'OAUTH_PARSE_ERROR':
        return new GatewayError('idp_error', `${displayName} sent an answer the gateway cannot use. Please try again; if it keeps happening, tell your administrator.`, {
          level: 'warn',
          detail: detail({ check: error.code, reason: describeCause(error) }),
        });
      default:
        return new GatewayError('idp_error', `Signing in at ${displayName} failed. Please try again; if it keeps happening, tell your administrator.`, {
          level: 'error',
          detail: detail({ check: error.code, reason: describeCause(error) }),
        });
    }
  }

  if (error instanceof TypeError || (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))) {
    const timeout = error.name === 'TimeoutError';
    return new GatewayError(timeout ? 'idp_timeout' : 'idp_unavailable', timeout ? `${displayName} did not answer in time. Please try again in a moment.` : `${displayName} cannot be reached right now. Please try again in a moment.`, {
      level: 'warn',
      detail: detail({ reason: describeCause(error) }),
    });
  }

  return new GatewayError('idp_error', `Signing in at ${displayName} failed. Please try again; if it keeps happening, tell your administrator.`, {
    level: 'error',
    detail: detail({ reason: describeCause(error) }),
    cause: error,
  });
}

/** OAuth error codes are [\x20-\x7e] tokens; anything else is not echoed. */
function safeCode(code: string): string {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : 'error';
}

function describeCause(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    parts.push(typeof code === 'string' ? `${current.message} [${code}]` : current.message);
    current = current.cause;
  }
  return parts.join(' <- ').slice(0, 500);
}
