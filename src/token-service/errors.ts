/**
 * The token service's answers to a bad request are OAuth 2.0 error responses (RFC 6749 §5.2):
 * `{error, error_description}` with the status the RFC gives each code. Jitsi's sso.html shows
 * `error_description` (or `error`) to the person, so the description is written for people.
 */
export type OAuthErrorCode =
  | 'invalid_request' // 400: a parameter missing, repeated or malformed
  | 'invalid_client' // 401: unknown client id, or a request from an origin the client does not have
  | 'invalid_grant' // 400: code or refresh token unknown, used, expired, or bound to something else
  | 'unsupported_grant_type' // 400
  | 'temporarily_unavailable' // 503: the store cannot be reached
  | 'server_error'; // 500: a bug

const STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unsupported_grant_type: 400,
  temporarily_unavailable: 503,
  server_error: 500,
};

export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  readonly status: number;

  constructor(
    readonly code: OAuthErrorCode,
    /** For the person and the client: never a code, token or verifier. */
    readonly description: string,
    /** For the log line only (never secrets). */
    readonly detail: Record<string, unknown> = {},
  ) {
    super(description);
    this.status = STATUS[code];
  }

  body(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.code, error_description: this.description };
  }
}
