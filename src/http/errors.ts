import type { ErrorCode, GatewayError, LogLevel, PublicErrorCode } from '../errors/gateway-error.js';

/**
 * How the HTTP edge answers a GatewayError (src/errors/gateway-error.ts): the one table of
 * statuses, the public code a finer core code is shown as, and the headers its semantic fields
 * become. The core never names a status; a new code fails tsc here until it has one.
 */
export const STATUS: Readonly<Record<ErrorCode, number>> = {
  invalid_request: 400,
  invalid_room: 400,
  unknown_tenant: 400,
  unknown_target_requested: 400,
  login_expired: 400,
  login_mismatch: 400,
  unauthorized: 401,
  access_denied: 403,
  forbidden: 403,
  unknown_target: 404,
  unknown_provider: 404,
  not_found: 404,
  method_not_allowed: 405,
  gone: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  client_closed_request: 499,
  internal_error: 500,
  idp_error: 502,
  idp_unavailable: 502,
  store_unavailable: 503,
  store_not_replicated: 503,
  not_ready: 503,
  idp_timeout: 504,
};

/** The public code (docs/api.md) each finer core code is answered with. */
const SHOWN_AS: Readonly<Record<Exclude<ErrorCode, PublicErrorCode>, PublicErrorCode>> = {
  idp_timeout: 'idp_unavailable',
  unknown_target_requested: 'unknown_target',
};

/** The realm of the WWW-Authenticate challenge of the API. */
const REALM = 'jitsi-sso-gateway';

export interface ErrorAnswer {
  status: number;
  /** The `error` of the JSON answer, the page's code, the metric's `kind`. */
  code: PublicErrorCode;
  headers: Record<string, string>;
  level: LogLevel;
}

export function publicCode(code: ErrorCode): PublicErrorCode {
  return Object.hasOwn(SHOWN_AS, code) ? SHOWN_AS[code as keyof typeof SHOWN_AS] : (code as PublicErrorCode);
}

/** Status, public code, headers and log level of an error (`status` overrides the table: Koa's own client errors keep theirs). */
export function answerOf(error: GatewayError, status = STATUS[error.code]): ErrorAnswer {
  const headers: Record<string, string> = {};
  if (error.retryAfterSeconds !== undefined) headers['Retry-After'] = String(error.retryAfterSeconds);
  if (error.allowedMethods !== undefined) headers.Allow = error.allowedMethods.join(', ');
  if (error.challenge !== undefined) headers['WWW-Authenticate'] = error.challenge.map((scheme) => `${scheme} realm="${REALM}"`).join(', ');
  return { status, code: publicCode(error.code), headers, level: error.level ?? (status >= 500 ? 'error' : 'info') };
}

export const statusOf = (error: GatewayError): number => STATUS[error.code];

/** What an error page shows: the answer's status and public code, the error's safe message and context. */
export interface ErrorPageInput {
  status: number;
  code: string;
  message: string;
  /** Accept-Language header of the request, for the page language. */
  acceptLanguage?: string | undefined;
  /** GatewayError.context: safe values the page may offer (retryUrl, meetingUrl, room, reason, inlineOrigin). */
  context?: Record<string, string> | undefined;
}

/** The renderer of error pages for people (src/pages/ provides it through the composition root). */
export interface ErrorPages {
  errorPage(input: ErrorPageInput): string;
}
