import type { Identity } from '../identity/identity.js';

/**
 * The contract every identity provider kind (OIDC, CAS, the development IdP) implements. The login
 * flow (src/login/) knows only this interface: protocol details stay behind it.
 *
 * Errors: throw GatewayError (src/http/errors.ts) with code idp_error (502), idp_unavailable
 * (502/504), access_denied (403) or invalid_request (400); never let a raw error escape for input
 * the IdP or the browser controls.
 */
export interface LoginRequest {
  /** Id of the server-side login transaction. OIDC sends it as `state`; CAS puts it in the service URL. */
  transactionId: string;
  /** Absolute URL of this provider's callback: `<publicUrl>/auth/<provider>/callback`. */
  callbackUrl: string;
  /** Ask the IdP to re-authenticate even with an SSO session (OIDC prompt=login, CAS renew). */
  forceLogin?: boolean;
}

export interface LoginStart {
  /** Where to send the browser. */
  redirectUrl: string;
  /** Provider-private values kept in the transaction until the callback (PKCE verifier, nonce, service URL). */
  secrets: Record<string, string>;
}

export interface LoginFinish extends LoginRequest {
  /** The query (or form) parameters the IdP sent back to the callback. */
  params: URLSearchParams;
  /** What startLogin returned in `secrets`. */
  secrets: Record<string, string>;
}

export interface LoginResult {
  identity: Identity;
  /**
   * Ids the IdP will use in a back-channel logout to name this login (CAS service ticket, OIDC `sid`
   * and/or `sub`), indexed in the store so the session can be revoked.
   */
  sessionIndexes: string[];
  /** Kept with the session for RP-initiated logout (e.g. the OIDC id_token for id_token_hint). */
  logoutHint?: string;
}

export interface BackchannelLogout {
  /** Session indexes (see LoginResult.sessionIndexes) whose sessions must end. */
  sessionIndexes: string[];
  /**
   * A unique id of this logout request (OIDC: the logout token's jti) and how long it must be
   * remembered: the flow refuses a second request with the same id (replay).
   */
  replay?: { id: string; ttlSeconds: number };
}

export interface IdentityProvider {
  readonly name: string;
  readonly kind: 'oidc' | 'cas' | 'dev';
  readonly displayName: string;

  /** Reads the transaction id from the IdP's answer at the callback (OIDC `state`, CAS `tx`). */
  transactionId(params: URLSearchParams): string | undefined;

  startLogin(request: LoginRequest): Promise<LoginStart>;

  finishLogin(finish: LoginFinish): Promise<LoginResult>;

  /** URL for RP-initiated / front-channel logout at the IdP, or undefined when it has none. */
  logoutUrl?(session: { logoutHint?: string }, returnUrl: string): Promise<string | undefined>;

  /** Parses a back-channel logout request (OIDC logout_token, CAS SAML logoutRequest). */
  backchannelLogout?(body: string, contentType: string): Promise<BackchannelLogout>;

  /** Whether the provider can serve logins now (discovery loaded, ...); for /readyz. */
  ready(): Promise<{ ok: boolean; detail?: string }>;

  close?(): Promise<void>;
}
