/**
 * The one error type the gateway throws for anything a client or an upstream did wrong. Thrown
 * from any step, rendered once by the error middleware (src/http/middleware/errors.ts) as a page
 * or as JSON, counted in metrics by `code`, logged once at `level`. Anything else that escapes is a
 * bug and becomes a 500.
 */
export type ErrorCode =
  | 'invalid_request' // 400: malformed or hostile input
  | 'invalid_room' // 400: room name cannot be used
  | 'unknown_tenant' // 400/404: tenant not allowed for the target
  | 'unknown_target' // 404
  | 'unknown_provider' // 404
  | 'login_expired' // 400: transaction unknown, used or expired: start again
  | 'login_mismatch' // 400: transaction bound to another browser
  | 'idp_error' // 502: the IdP answered with an error or something invalid
  | 'idp_unavailable' // 502/504: the IdP could not be reached in time
  | 'access_denied' // 403: policy or IdP said no
  | 'unauthorized' // 401: API credentials missing or wrong
  | 'forbidden' // 403: API client not allowed to do this
  | 'not_found' // 404
  | 'method_not_allowed' // 405
  | 'client_closed_request' // 499: the client went away before the end of its request (nobody receives it)
  | 'gone' // 410: invite used up, expired or revoked
  | 'payload_too_large' // 413
  | 'unsupported_media_type' // 415
  | 'rate_limited' // 429
  | 'store_unavailable' // 503
  | 'store_not_replicated' // 503: written, but too few replicas confirmed it in time (docs/store.md)
  | 'not_ready' // 503
  | 'internal_error'; // 500: a bug

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface GatewayErrorOptions {
  /** Details for the log line only (never shown to the client, never secrets). */
  detail?: Record<string, unknown>;
  level?: LogLevel;
  cause?: unknown;
  /** Extra safe fields for JSON answers or pages (e.g. room to start again, policy message). */
  context?: Record<string, string>;
  headers?: Record<string, string>;
  /**
   * What the operator reads in the log instead of `message` (which is written for the person):
   * the cause in the operator's terms and the fix, e.g. which setting to check.
   */
  operatorMessage?: string;
}

export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  readonly detail: Record<string, unknown> | undefined;
  readonly level: LogLevel;
  readonly context: Record<string, string> | undefined;
  readonly headers: Record<string, string> | undefined;
  readonly operatorMessage: string | undefined;

  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    /** Human-readable message, safe to show to the person or API client. */
    message: string,
    options: GatewayErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.detail = options.detail;
    this.level = options.level ?? (status >= 500 ? 'error' : 'info');
    this.context = options.context;
    this.headers = options.headers;
    this.operatorMessage = options.operatorMessage;
  }
}

export const badRequest = (message: string, options?: GatewayErrorOptions) =>
  new GatewayError(400, 'invalid_request', message, options);

export const notFound = (message = 'Not found.', options?: GatewayErrorOptions) =>
  new GatewayError(404, 'not_found', message, options);
