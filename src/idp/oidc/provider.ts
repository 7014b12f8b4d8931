import { createHash } from 'node:crypto';
import { randomBase64url } from '../../security/random.js';
import { createRemoteJWKSet, customFetch as joseCustomFetch, importPKCS8, type JWTVerifyGetKey } from 'jose';
import * as client from 'openid-client';
import { GatewayError } from '../../errors/gateway-error.js';
import { IdentityMappingError, mapIdentity, missingFields } from '../../identity/mapping.js';
import type { BackchannelLogout, IdentityProvider, LoginFinish, LoginRequest, LoginResult, LoginStart } from '../provider.js';
import { idpMisconfigured } from '../misconfigured.js';
import { DiscoveryCache, type DiscoveryLog, type LoadedMetadata } from './discovery.js';
import { idpFailure, idTokenRefused, type FailureSettings } from './errors.js';
import { idTokenProblem } from './id-token-claims.js';
import { claimsTooLarge, jsonBytes } from '../claims-limit.js';
import { createBackchannelFetch } from './http.js';
import { verifyIdTokenSignature } from './id-token-signature.js';
import { logoutTokenFromBody, verifyLogoutToken } from './logout-token.js';
import type { OidcProviderSettings } from './settings.js';

/**
 * OpenID Connect provider kind: authorization code flow with PKCE (S256), `state` (the login
 * transaction id) and `nonce`, on openid-client v6.
 *
 * - ID tokens: openid-client checks iss, aud, exp, iat, nonce and the alg, id-token-claims.ts
 *   azp (also for one audience) and an iat in the future; the signature is
 *   also verified against the IdP's JWKS (id-token-signature.ts, node:crypto with cached
 *   KeyObjects, in place of openid-client's WebCrypto `enableNonRepudiationChecks` for the code
 *   exchange), so an in-cluster plain-http back channel cannot be used to slip in a forged token.
 *   Every other request (userinfo) keeps openid-client's own non-repudiation checks. `at_hash` is optional in the code flow
 *   (OIDC Core 3.1.3.6) and openid-client v6 does not require or check it, so IdPs that omit it
 *   (authentik, pocket-id) work unchanged.
 * - Session indexes for back-channel logout: `sid:<sid>` (when the IdP sends one) and `sub:<sub>`,
 *   only for an IdP that sends logout tokens: its discovery document says
 *   `backchannel_logout_supported: true` (Back-Channel Logout 1.0 §2.1: absent means false), or one
 *   arrived at this replica. Each index costs the login three Redis commands and the store a set per
 *   person for the session's lifetime; Entra ID, Google and most IdPs never use them.
 * - logoutHint: the raw ID token, for `id_token_hint` at RP-initiated logout.
 */

export interface OidcProviderDeps {
  log: DiscoveryLog & { error(obj: Record<string, unknown>, msg: string): void };
  fetch?: typeof fetch;
}

/** Claims that are protocol plumbing, not facts about the person. */
const PLUMBING = ['nonce', 'at_hash', 'c_hash', 's_hash', 'aud', 'azp', 'exp', 'iat', 'nbf', 'jti', '_claim_names', '_claim_sources'];

/**
 * Claims the IdP sent only as a reference to another endpoint (OIDC Core 5.6.2, aggregated and
 * distributed claims): Entra ID does this with `groups` for people in more than 200 groups. The
 * gateway does not follow such references.
 */
function referencedClaims(claims: Readonly<Record<string, unknown>>): string[] {
  const names = claims._claim_names;
  return typeof names === 'object' && names !== null && !Array.isArray(names) ? Object.keys(names) : [];
}

const SIGNING_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

export class OidcProvider implements IdentityProvider {
  readonly kind = 'oidc' as const;
  readonly displayName: string;
  private readonly discovery: DiscoveryCache;
  /** For the code exchange: the ID token signature is checked by verifyIdTokenSignature. */
  private configuration: client.Configuration | undefined;
  /** For everything else (userinfo, end session): openid-client's non-repudiation checks on. */
  private strictConfiguration: client.Configuration | undefined;
  private jwks: { uri: string; keys: JWTVerifyGetKey } | undefined;
  private readonly scope: string;
  /** A valid logout token arrived although the discovery document does not offer back-channel logout. */
  private logoutTokensArrived = false;
  /** Authorization URL prefixes by callback URL (see authorizationPrefix); cleared on a metadata reload. */
  private readonly prefixes = new Map<string, string>();
  /** The back channel's HTTP client (token, userinfo), bounding each request by timeoutMs itself. */
  private readonly backchannel: client.CustomFetch;

  private constructor(
    readonly name: string,
    private readonly settings: OidcProviderSettings,
    private readonly clientAuth: client.ClientAuth,
    private readonly deps: OidcProviderDeps,
  ) {
    this.displayName = settings.displayName ?? name;
    this.scope = [...new Set(['openid', ...settings.scopes])].join(' ');
    this.backchannel = deps.fetch ? (deps.fetch as client.CustomFetch) : createBackchannelFetch({ timeoutMs: settings.timeoutMs });
    this.discovery = new DiscoveryCache(name, this.displayName, settings, deps.log, deps.fetch);
    this.discovery.onLoad((loaded) => this.configure(loaded));
  }

  static async create(name: string, settings: OidcProviderSettings, deps: OidcProviderDeps): Promise<OidcProvider> {
    const provider = new OidcProvider(name, settings, await clientAuthentication(settings), deps);
    provider.discovery.start();
    return provider;
  }

  transactionId(params: URLSearchParams): string | undefined {
    const values = params.getAll('state');
    return values.length === 1 ? values[0] : undefined;
  }

  async startLogin(request: LoginRequest): Promise<LoginStart> {
    await this.client();
    // PKCE verifier (RFC 7636: 43 characters of base64url) and nonce: 256 random bits each.
    const verifier = randomBase64url(32);
    const nonce = randomBase64url(32);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const prefix = this.authorizationPrefix(request.callbackUrl, request.forceLogin === true);
    const redirectUrl = `${prefix}&state=${encodeURIComponent(request.transactionId)}&nonce=${nonce}&code_challenge=${challenge}`;
    return { redirectUrl, secrets: { verifier, nonce } };
  }

  /**
   * The constant part of the authorization URL (endpoint, client_id, response_type, redirect_uri,
   * scope, code_challenge_method, prompt, acr_values, authParams), built once per metadata load:
   * per login only state, nonce and code_challenge are appended.
   */
  private authorizationPrefix(callbackUrl: string, forceLogin: boolean): string {
    const key = `${forceLogin ? 'force' : 'normal'} ${callbackUrl}`;
    const cached = this.prefixes.get(key);
    if (cached) return cached;
    const endpoint = this.discovery.peek()?.metadata.authorization_endpoint;
    if (!endpoint) throw new Error('authorization endpoint unknown after discovery');
    const url = new URL(endpoint);
    const params = url.searchParams;
    for (const [name, value] of Object.entries(this.settings.authParams)) params.set(name, value);
    params.set('client_id', this.settings.clientId);
    params.set('response_type', 'code');
    params.set('redirect_uri', callbackUrl);
    params.set('scope', this.scope);
    params.set('code_challenge_method', 'S256');
    const prompt = forceLogin ? 'login' : this.settings.prompt;
    if (prompt) params.set('prompt', prompt);
    if (this.settings.acrValues?.length) params.set('acr_values', this.settings.acrValues.join(' '));
    const prefix = url.href;
    this.prefixes.set(key, prefix);
    return prefix;
  }

  async finishLogin(finish: LoginFinish): Promise<LoginResult> {
    const { verifier, nonce } = finish.secrets;
    if (!verifier || !nonce) {
      throw new GatewayError('login_expired', 'This sign-in cannot be completed. Please go back to the meeting link and sign in again.', {
        detail: { provider: this.name, reason: 'transaction without PKCE verifier or nonce' },
      });
    }
    const config = await this.client();
    const strict = this.strictConfiguration ?? config;
    const keys = this.jwks?.keys;
    if (!keys) throw new GatewayError('idp_unavailable', `${this.displayName} keys are not known yet.`, { detail: { provider: this.name } });
    const currentUrl = new URL(finish.callbackUrl);
    currentUrl.search = finish.params.toString();
    let tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;
    try {
      tokens = await client.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: verifier,
        expectedNonce: nonce,
        expectedState: finish.transactionId,
        idTokenExpected: true,
      });
      if (tokens.id_token) await verifyIdTokenSignature(tokens.id_token, keys, this.algorithms());
    } catch (error) {
      throw idpFailure(error, this.name, this.displayName, 'authorization code exchange', this.failureSettings());
    }
    const idClaims = tokens.claims();
    if (!idClaims || !tokens.id_token) {
      throw new GatewayError('idp_error', `${this.displayName} did not send an ID token.`, { detail: { provider: this.name } });
    }
    const limit = this.settings.maxClaimsBytes;
    if (tokens.id_token.length > limit) throw claimsTooLarge(this.name, this.displayName, 'ID token', tokens.id_token.length, limit);
    const problem = idTokenProblem(idClaims, this.settings);
    if (problem) throw idTokenRefused(problem, this.name, this.displayName, this.failureSettings());
    let claims: Record<string, unknown> = { ...idClaims };
    const wantUserinfo =
      this.settings.userinfo === 'always' ||
      (this.settings.userinfo === 'auto' && missingFields(claims, this.settings.claims).some((field) => field !== 'avatar'));
    if (wantUserinfo && config.serverMetadata().userinfo_endpoint) {
      try {
        const userinfo = await client.fetchUserInfo(strict, tokens.access_token, idClaims.sub);
        const bytes = jsonBytes(userinfo);
        if (bytes > limit) throw claimsTooLarge(this.name, this.displayName, 'userinfo answer', bytes, limit);
        claims = { ...userinfo, ...claims };
      } catch (error) {
        throw idpFailure(error, this.name, this.displayName, 'userinfo', this.failureSettings());
      }
    }
    const referenced = referencedClaims(claims);
    for (const key of PLUMBING) delete claims[key];
    let identity;
    try {
      identity = mapIdentity(this.name, claims, this.settings.claims, { emailsAuthoritative: this.settings.emailsAuthoritative });
    } catch (error) {
      if (error instanceof IdentityMappingError) {
        throw idpMisconfigured({
          provider: this.name,
          displayName: this.displayName,
          problem: `the IdP's answer lacks a claim the gateway needs (${error.message}); it sent ${Object.keys(claims).slice(0, 50).join(', ') || 'no claims'}`,
          fix: 'map claims.id (and the other claims) to claims the IdP sends, or make the IdP release them: add the scope that carries them to scopes, or export the attribute as a claim for this client',
          detail: { claimNames: Object.keys(claims).slice(0, 50) },
        });
      }
      throw error;
    }
    if (identity.groups.length === 0) {
      const groupClaim = this.settings.claims.groups.split('|').find((path) => referenced.includes(path.split('.')[0] ?? path));
      if (groupClaim !== undefined) {
        // Rules on groups will not match this person: say why, once per login, to the operator.
        this.deps.log.warn(
          { claim: groupClaim, user: identity.id },
          'the groups claim arrived only as a reference to another endpoint (too many groups for the token, e.g. Entra ID group overage): this person has no groups here',
        );
      }
    }
    const sessionIndexes: string[] = [];
    if (this.sendsLogoutTokens()) {
      sessionIndexes.push(`sub:${idClaims.sub}`);
      if (typeof idClaims.sid === 'string' && idClaims.sid !== '') sessionIndexes.unshift(`sid:${idClaims.sid}`);
    }
    return { identity, sessionIndexes, logoutHint: tokens.id_token };
  }

  async logoutUrl(session: { logoutHint?: string }, returnUrl: string): Promise<string | undefined> {
    if (this.settings.logout === 'local') return undefined;
    let config: client.Configuration;
    try {
      config = await this.client();
    } catch {
      return undefined; // the IdP is down: the gateway session still ends
    }
    if (!config.serverMetadata().end_session_endpoint) return undefined;
    const parameters: Record<string, string> = { post_logout_redirect_uri: returnUrl, client_id: this.settings.clientId };
    if (session.logoutHint) parameters.id_token_hint = session.logoutHint;
    return client.buildEndSessionUrl(config, parameters).href;
  }

  async backchannelLogout(body: string, contentType: string): Promise<BackchannelLogout> {
    const token = logoutTokenFromBody(body, contentType);
    await this.client();
    const keys = this.jwks?.keys;
    if (!keys) throw new GatewayError('idp_unavailable', `${this.displayName} keys are not known yet.`, { detail: { provider: this.name } });
    const subject = await verifyLogoutToken(token, {
      issuer: this.settings.issuer,
      clientId: this.settings.clientId,
      keys,
      algorithms: this.algorithms(),
      clockToleranceSeconds: this.settings.clockToleranceSeconds,
    });
    if (!this.sendsLogoutTokens()) {
      this.logoutTokensArrived = true;
      this.deps.log.warn(
        { provider: this.name, misconfigured: true },
        `${this.name}: a back-channel logout arrived, but the IdP's discovery document does not say backchannel_logout_supported: true, so this replica did not index its sessions until now: sessions opened before cannot be ended this way. Make the IdP publish backchannel_logout_supported: true (every replica then indexes from the start)`,
      );
    }
    // §2.7: with sid, only that IdP session ends; with sub alone, every session of the person.
    return {
      sessionIndexes: subject.sid ? [`sid:${subject.sid}`] : [`sub:${subject.sub}`],
      replay: { id: subject.jti, ttlSeconds: subject.replayTtlSeconds },
    };
  }

  /** Whether logins index their sessions for back-channel logout (see the comment at the top). */
  private sendsLogoutTokens(): boolean {
    return this.logoutTokensArrived || this.discovery.peek()?.metadata.backchannel_logout_supported === true;
  }

  /** What failure messages name: the client's settings and where the keys come from. */
  private failureSettings(): FailureSettings {
    return {
      clientId: this.settings.clientId,
      clientAuth: this.settings.clientAuth,
      clockToleranceSeconds: this.settings.clockToleranceSeconds,
      idTokenAlg: this.settings.idTokenAlg,
      jwksUri: this.jwks?.uri,
    };
  }

  /** The JWS algorithms accepted for ID and logout tokens. */
  private algorithms(): string[] {
    return this.settings.idTokenAlg ? [this.settings.idTokenAlg] : SIGNING_ALGORITHMS;
  }

  async ready(): Promise<{ ok: boolean; detail?: string }> {
    return this.discovery.status();
  }

  async close(): Promise<void> {
    this.discovery.close();
  }

  private async client(): Promise<client.Configuration> {
    await this.discovery.get();
    if (!this.configuration) throw new Error('OIDC client configuration missing after discovery');
    return this.configuration;
  }

  /** Builds the openid-client configuration for newly loaded metadata, keeping the JWKS cache. */
  private configure(loaded: LoadedMetadata): void {
    const metadata: Partial<client.ClientMetadata> = {};
    if (this.settings.clientSecret && this.settings.clientAuth !== 'private_key_jwt') metadata.client_secret = this.settings.clientSecret;
    if (this.settings.idTokenAlg) metadata.id_token_signed_response_alg = this.settings.idTokenAlg;
    metadata[client.clockTolerance] = this.settings.clockToleranceSeconds;
    const build = () => {
      const built = new client.Configuration(loaded.metadata, this.settings.clientId, metadata, this.clientAuth);
      // The gateway's client keeps the time limit with one timer per request; an injected fetch gets
      // openid-client's AbortSignal.timeout instead.
      built.timeout = this.deps.fetch ? this.settings.timeoutMs / 1000 : 0;
      built[client.customFetch] = this.backchannel;
      if (loaded.insecure) client.allowInsecureRequests(built);
      return built;
    };
    const config = build();
    const strict = build();
    client.enableNonRepudiationChecks(strict);
    const previous = this.strictConfiguration ? client.getJwksCache(this.strictConfiguration) : undefined;
    const jwksUri = loaded.metadata.jwks_uri as string;
    if (previous && this.jwks?.uri === jwksUri) client.setJwksCache(strict, previous);
    this.configuration = config;
    this.strictConfiguration = strict;
    this.prefixes.clear();
    if (this.jwks?.uri !== jwksUri) {
      this.jwks = {
        uri: jwksUri,
        keys: createRemoteJWKSet(new URL(jwksUri), {
          timeoutDuration: this.settings.timeoutMs,
          cooldownDuration: 30_000,
          cacheMaxAge: 600_000,
          ...(this.deps.fetch ? { [joseCustomFetch]: this.deps.fetch } : {}),
        }),
      };
    }
  }
}

export async function clientAuthentication(settings: OidcProviderSettings): Promise<client.ClientAuth> {
  switch (settings.clientAuth) {
    case 'client_secret_basic':
      return client.ClientSecretBasic(settings.clientSecret);
    case 'client_secret_post':
      return client.ClientSecretPost(settings.clientSecret);
    case 'private_key_jwt': {
      const key = await importPKCS8(settings.privateKey ?? '', settings.privateKeyAlg);
      return client.PrivateKeyJwt(settings.privateKeyId ? { key, kid: settings.privateKeyId } : key);
    }
    case 'none':
      return client.None();
  }
}
