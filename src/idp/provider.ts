import type { Identity } from '../identity/identity.js';

/**
 * The contract every identity provider kind (OIDC, CAS, the development IdP) implements. The login
 * flow (src/login/) knows only this interface: protocol details stay behind it.
 *
 * Errors: throw GatewayError (src/errors/gateway-error.ts) with code idp_error, idp_unavailable
 * (idp_timeout when the IdP did not answer in time), access_denied or invalid_request; never let a
 * raw error escape for input the IdP or the browser controls.
 */
export interface LoginRequest {
  /** Id of the server-side login transaction. OIDC sends it as `state`; CAS puts it in the service URL. */
  transactionId: string;
  /** Absolute URL of this provider's callback: `<publicUrl>/auth/<provider>/callback`. */
  callbackUrl: string;
  /** Ask the IdP to re-authenticate even with an SSO session (OIDC prompt=login, CAS renew). */
  forceLogin?: boolean;
  /** For a provider with members (see IdentityProvider.members): the id of the one chosen. */
  member?: string;
}

/**
 * One of the identity providers a provider fronts (a member IdP of a SAML federation). The login
 * flow lets the person pick one (discovery page) or takes it from the login URL, and passes its id
 * to startLogin; the provider binds it to the transaction through its secrets.
 */
export interface ProviderMember {
  /** Opaque id (SAML: the entityID). */
  id: string;
  displayName: string;
  /** Other names (translations), searched on the discovery page. */
  aliases: readonly string[];
  /** Domains the member answers for (SAML: shibmd:Scope), searched on the discovery page. */
  domains: readonly string[];
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
  logoutHint?: string | undefined;
  /**
   * A unique id of what the IdP asserted (SAML: the assertion ID) and how long it stays valid: the
   * flow refuses a second login with the same id in that time, across replicas (replay).
   */
  replay?: { id: string; ttlSeconds: number };
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

/** What the provider's front-channel logout endpoint decided (see IdentityProvider.frontchannelLogout). */
export interface FrontchannelLogout extends BackchannelLogout {
  /** Where to send the browser afterwards (the IdP, with the answer); none: the signed-out page. */
  redirectUrl?: string;
}

/** A document the provider publishes (SAML SP metadata). */
export interface ProviderDocument {
  contentType: string;
  body: string;
}

export interface IdentityProvider {
  readonly name: string;
  readonly kind: 'oidc' | 'cas' | 'dev' | 'saml';
  readonly displayName: string;
  /**
   * How the IdP sends the browser back to the callback: `query` (a GET, the default) or `form_post`
   * (an auto-submitted POST form, as SAML's HTTP-POST binding does). For form_post the flow reads
   * the POSTed fields as the callback's parameters.
   */
  readonly callbackBinding?: 'query' | 'form_post';
  /**
   * Whether an answer that no login started may sign a person in (SAML IdP-initiated SSO, when the
   * provider enables it). The flow then opens a gateway session and sends the browser to the
   * default Jitsi target; finishLogin gets no transaction (empty id and secrets).
   */
  readonly acceptsUnsolicited?: boolean;

  /**
   * The identity providers this provider fronts, by id, when the person must pick one before the
   * login starts (a federation); undefined for a provider that is one IdP (the usual case).
   */
  members?(): ReadonlyMap<string, ProviderMember> | undefined;

  /**
   * For a provider whose members cannot be listed (a SAML federation's MDQ service): the member with
   * this id, or undefined when there is none. Such a provider needs the id from the login URL.
   */
  findMember?(id: string): Promise<ProviderMember | undefined>;

  /** Reads the transaction id from the IdP's answer at the callback (OIDC `state`, CAS `tx`). */
  transactionId(params: URLSearchParams): string | undefined;

  startLogin(request: LoginRequest): Promise<LoginStart>;

  finishLogin(finish: LoginFinish): Promise<LoginResult>;

  /** URL for RP-initiated / front-channel logout at the IdP, or undefined when it has none. */
  logoutUrl?(session: { logoutHint?: string }, returnUrl: string): Promise<string | undefined>;

  /** Parses a back-channel logout request (OIDC logout_token, CAS SAML logoutRequest). */
  backchannelLogout?(body: string, contentType: string): Promise<BackchannelLogout>;

  /**
   * A logout message the IdP sends through the browser to `<publicUrl>/auth/<name>/logout` (SAML
   * HTTP-Redirect binding: the IdP's LogoutRequest, or its LogoutResponse to the gateway's own
   * request). Gets the raw query string, since signatures cover its exact bytes.
   */
  frontchannelLogout?(rawQuery: string): Promise<FrontchannelLogout>;

  /** A document published at `<publicUrl>/auth/<name>/metadata` (SAML SP metadata). */
  metadata?(): Promise<ProviderDocument>;

  /** Whether the provider can serve logins now (discovery loaded, ...); for /readyz. */
  ready(): Promise<{ ok: boolean; detail?: string }>;

  close?(): Promise<void>;
}
