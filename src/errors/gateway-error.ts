/**
 * The one error type the gateway throws for anything a client or an upstream did wrong. Thrown
 * from any step of the core, it says what went wrong in the gateway's own terms (a code, a message
 * safe to show, what the operator should read) and nothing about HTTP: src/http/errors.ts decides
 * the status and headers of each code, and the error middleware (src/http/middleware/errors.ts)
 * renders it once as a page or as JSON, counts it by code and logs it once at its level. Anything
 * else that escapes is a bug and becomes a 500.
 *
 * This module is a leaf: it imports nothing from the rest of src/.
 */

/**
 * The codes clients see: the `error` of a JSON answer (docs/api.md), the page's `data-error`, the
 * `kind` of jsg_errors_total. Part of the public API: never renamed.
 */
export type PublicErrorCode =
  | 'invalid_request' // malformed or hostile input
  | 'invalid_room' // room name cannot be used
  | 'unknown_tenant' // tenant not allowed for the target
  | 'unknown_target' // a link or address names no target
  | 'unknown_provider'
  | 'login_expired' // transaction unknown, used or expired: start again
  | 'login_mismatch' // transaction bound to another browser
  | 'idp_error' // the IdP answered with an error or something invalid
  | 'idp_unavailable' // the IdP could not be reached
  | 'access_denied' // policy or IdP said no
  | 'unauthorized' // credentials or session missing or wrong
  | 'forbidden' // the caller is not allowed to do this
  | 'not_found'
  | 'method_not_allowed'
  | 'client_closed_request' // the client went away before the end of its request (nobody receives it)
  | 'gone' // invite used up, expired or revoked
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'store_unavailable'
  | 'store_not_replicated' // written, but too few replicas confirmed it in time (docs/store.md)
  | 'not_ready'
  | 'internal_error'; // a bug

/**
 * What the core can say went wrong: the public codes, and a few finer ones that clients see under
 * a public code (src/http/errors.ts answers each with its own status).
 */
export type ErrorCode =
  | PublicErrorCode
  | 'idp_timeout' // the IdP did not answer in time (seen as idp_unavailable)
  | 'unknown_target_requested'; // a request's `target` field names no target (seen as unknown_target)

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** An authentication scheme the caller may use again after an `unauthorized`. */
export type AuthScheme = 'Bearer' | 'Basic';

export interface GatewayErrorOptions {
  /** Details for the log line only (never shown to the client, never secrets). */
  detail?: Record<string, unknown>;
  /** The level of its log line; without one, the edge logs failures of its own side as errors, the rest as info. */
  level?: LogLevel;
  cause?: unknown;
  /** Extra safe fields for JSON answers or pages (e.g. room to start again, policy message). */
  context?: Record<string, string>;
  /**
   * What the operator reads in the log instead of `message` (which is written for the person):
   * the cause in the operator's terms and the fix, e.g. which setting to check.
   */
  operatorMessage?: string;
  /** When asking again can succeed (rate_limited, a store that did not answer). */
  retryAfterSeconds?: number;
  /** The methods the address does answer (method_not_allowed). */
  allowedMethods?: readonly string[];
  /** How the caller may authenticate instead (unauthorized, for API clients). */
  challenge?: readonly AuthScheme[];
}

export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  readonly detail: Record<string, unknown> | undefined;
  readonly level: LogLevel | undefined;
  readonly context: Record<string, string> | undefined;
  readonly operatorMessage: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly allowedMethods: readonly string[] | undefined;
  readonly challenge: readonly AuthScheme[] | undefined;

  constructor(
    readonly code: ErrorCode,
    /** Human-readable message, safe to show to the person or API client. */
    message: string,
    options: GatewayErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.detail = options.detail;
    this.level = options.level;
    this.context = options.context;
    this.operatorMessage = options.operatorMessage;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.allowedMethods = options.allowedMethods;
    this.challenge = options.challenge;
  }

  /** The same error with more page context (what the flow knew when it failed); the error's own context wins. */
  withContext(context: Record<string, string>): GatewayError {
    return new GatewayError(this.code, this.message, {
      detail: this.detail,
      level: this.level,
      cause: this.cause,
      context: { ...context, ...this.context },
      operatorMessage: this.operatorMessage,
      retryAfterSeconds: this.retryAfterSeconds,
      allowedMethods: this.allowedMethods,
      challenge: this.challenge,
    });
  }
}
