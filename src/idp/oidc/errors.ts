import * as client from 'openid-client';
import { GatewayError } from '../../http/errors.js';

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

export function idpFailure(error: unknown, provider: string, displayName: string, stage: string): GatewayError {
  const detail = (extra: Record<string, unknown> = {}) => ({ provider, stage, ...extra });
  if (error instanceof GatewayError) return error;

  if (error instanceof client.AuthorizationResponseError) {
    const code = error.error;
    if (REFUSALS.has(code)) {
      return new GatewayError(403, 'access_denied', `The sign-in at ${displayName} was cancelled or refused (${code}). ${startAgain}`, {
        detail: detail({ error: code, description: error.error_description?.slice(0, 300) }),
      });
    }
    return new GatewayError(502, 'idp_error', `${displayName} reported an error during sign-in (${safeCode(code)}). Please try again; if it keeps happening, tell your administrator.`, {
      level: 'warn',
      detail: detail({ error: code, description: error.error_description?.slice(0, 300) }),
    });
  }

  if (error instanceof client.ResponseBodyError) {
    if (error.error === 'invalid_grant') {
      return new GatewayError(400, 'login_expired', `${displayName} did not accept the sign-in answer: it is invalid, expired or was already used. ${startAgain}`, {
        detail: detail({ error: error.error, status: error.status, description: error.error_description?.slice(0, 300) }),
      });
    }
    return new GatewayError(502, 'idp_error', `${displayName} refused the gateway's request (${safeCode(error.error)}). If it keeps happening, tell your administrator.`, {
      level: 'error',
      detail: detail({ error: error.error, status: error.status, description: error.error_description?.slice(0, 300) }),
    });
  }

  if (error instanceof client.ClientError) {
    switch (error.code) {
      case 'OAUTH_TIMEOUT':
        return new GatewayError(504, 'idp_unavailable', `${displayName} did not answer in time. Please try again in a moment.`, { level: 'warn', detail: detail() });
      case 'OAUTH_ABORT':
        return new GatewayError(502, 'idp_unavailable', `${displayName} cannot be reached right now. Please try again in a moment.`, { level: 'warn', detail: detail() });
      case 'OAUTH_JWT_CLAIM_COMPARISON_FAILED':
      case 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED':
      case 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED':
      case 'OAUTH_INVALID_RESPONSE':
      case 'OAUTH_KEY_SELECTION_FAILED': {
        const claim = failedClaim(error);
        const reason = (claim && CLAIM_MESSAGES[claim]) ?? error.message;
        return new GatewayError(400, 'invalid_request', `The sign-in answer from ${displayName} could not be verified: ${reason}. ${startAgain}`, {
          level: 'warn',
          detail: detail({ check: error.code, claim, reason: describeCause(error) }),
        });
      }
      case 'OAUTH_RESPONSE_IS_NOT_CONFORM':
      case 'OAUTH_RESPONSE_IS_NOT_JSON':
      case 'OAUTH_PARSE_ERROR':
        return new GatewayError(502, 'idp_error', `${displayName} sent an answer the gateway cannot use. Please try again; if it keeps happening, tell your administrator.`, {
          level: 'warn',
          detail: detail({ check: error.code, reason: describeCause(error) }),
        });
      default:
        return new GatewayError(502, 'idp_error', `Signing in at ${displayName} failed. Please try again; if it keeps happening, tell your administrator.`, {
          level: 'error',
          detail: detail({ check: error.code, reason: describeCause(error) }),
        });
    }
  }

  if (error instanceof TypeError || (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))) {
    const timeout = error.name === 'TimeoutError';
    return new GatewayError(timeout ? 504 : 502, 'idp_unavailable', timeout ? `${displayName} did not answer in time. Please try again in a moment.` : `${displayName} cannot be reached right now. Please try again in a moment.`, {
      level: 'warn',
      detail: detail({ reason: describeCause(error) }),
    });
  }

  return new GatewayError(502, 'idp_error', `Signing in at ${displayName} failed. Please try again; if it keeps happening, tell your administrator.`, {
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
