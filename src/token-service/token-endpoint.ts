import { GatewayError } from '../errors/gateway-error.js';
import type { Identity } from '../identity/identity.js';
import { personKeyOf, type PersonKey } from '../identity/person.js';
import { mintForRoom } from '../mint/mint.js';
import { loadSessionById, remainingSeconds, type LoadedSession } from '../session/session.js';
import type { TokenServiceDeps } from './deps.js';
import type { RoomLocation } from '../tokens/target.js';
import type { SsoClient } from './clients.js';
import { takeCode } from './codes.js';
import { OAuthError } from './errors.js';
import { signIdToken } from './id-token.js';
import { verifierMatches } from './pkce.js';
import { issueRefreshToken, newFamily, redeemRefreshToken, type RefreshGrant } from './refresh-tokens.js';

/**
 * POST /token for public clients (Jitsi's sso.html), as a table of named steps:
 *
 *   read the form → find the client → check the Origin → by grant type:
 *     authorization_code: take the code (once) → same client and redirect URI → PKCE S256 →
 *                         the person's session still alive → mint → answer
 *     refresh_token:      take the refresh token (once; a spent one revokes its family) → same
 *                         client → session alive → mint → rotate → answer
 *
 * The request is a simple form POST from another origin (no cookies, no preflight), so the
 * browser has already sent it when CORS is decided: the Origin check happens here, before
 * anything is consumed. No client secret: only the client's configured origins may redeem.
 */

export interface TokenAnswer {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  id_token: string;
  refresh_token: string;
}

interface TokenFlow {
  services: TokenServiceDeps;
  origin: string | undefined;
  form: URLSearchParams;
  requestId: string | undefined;
  client?: SsoClient;
}

/** The single value of a form parameter; repeated parameters are refused (RFC 6749 §3.2). */
function param(form: URLSearchParams, name: string, required: true): string;
function param(form: URLSearchParams, name: string, required?: false): string | undefined;
function param(form: URLSearchParams, name: string, required = false): string | undefined {
  const values = form.getAll(name);
  if (values.length > 1) throw new OAuthError('invalid_request', `The parameter ${name} is given more than once.`);
  const value = values[0];
  if (required && (value === undefined || value === '')) throw new OAuthError('invalid_request', `The parameter ${name} is missing.`);
  return value === '' ? undefined : value;
}

function findClient(flow: TokenFlow): SsoClient {
  const clientId = param(flow.form, 'client_id', true);
  const client = flow.services.tokenService.clients.get(clientId);
  if (!client) throw new OAuthError('invalid_client', 'This sign-in client is not known to the token service.', { client: clientId.slice(0, 64) });
  return client;
}

function checkOrigin(flow: TokenFlow, client: SsoClient): void {
  if (flow.origin === undefined || !client.origins.has(flow.origin)) {
    throw new OAuthError('invalid_client', "Tokens for this client are only handed to its Jitsi site's sign-in page.", {
      client: client.id,
      origin: flow.origin?.slice(0, 200) ?? 'none',
    });
  }
}

/** The session the grant was issued in, still alive and still the same person. */
async function liveSession(services: TokenServiceDeps, grant: { session: string; person: PersonKey }): Promise<LoadedSession> {
  const loaded = await loadSessionById(services.store, grant.session);
  if (!loaded || personKeyOf(loaded.session.identity) !== grant.person) {
    throw new OAuthError('invalid_grant', 'This sign-in has ended (signed out or expired). Please sign in again.', { reason: 'session ended' });
  }
  return loaded;
}

async function mint(flow: TokenFlow, identity: Identity, location: RoomLocation): Promise<{ token: string; expiresIn: number }> {
  const client = flow.client as SsoClient;
  try {
    const issued = await mintForRoom(flow.services, { identity, target: client.target, location, requestId: flow.requestId });
    return { token: issued.token, expiresIn: Math.max(0, issued.claims.exp - Math.floor(Date.now() / 1000)) };
  } catch (error) {
    // Policy may have changed since the code or refresh token was issued.
    if (error instanceof GatewayError && error.code === 'access_denied') throw new OAuthError('invalid_grant', error.message, { reason: 'policy' });
    throw error;
  }
}

async function answer(flow: TokenFlow, session: LoadedSession, location: RoomLocation, refresh: { family: string; newFamily: boolean; nonce?: string | undefined }): Promise<TokenAnswer> {
  const { services } = flow;
  const client = flow.client as SsoClient;
  const { identity } = session.session;
  const settings = services.tokenService.settings;
  const minted = await mint(flow, identity, location);
  const remaining = remainingSeconds(session.session);
  const person = personKeyOf(identity);
  const grant: RefreshGrant = { v: 1, family: refresh.family, client: client.id, session: session.id, person, location, nonce: refresh.nonce };
  const [idToken, refreshToken] = await Promise.all([
    signIdToken(services.tokenService.key, {
      iss: services.tokenService.issuer,
      sub: person, // the person as the gateway names them: <provider>:<subject>
      aud: client.id,
      authTime: session.session.createdAt,
      nonce: refresh.nonce,
      sid: session.id,
      ttlSeconds: settings.idTokenTtlSeconds,
    }),
    issueRefreshToken(services.store, grant, Math.min(settings.refreshTokenTtlSeconds, remaining), { newFamily: refresh.newFamily, familyTtlSeconds: remaining }),
  ]);
  return { access_token: minted.token, token_type: 'Bearer', expires_in: minted.expiresIn, id_token: idToken, refresh_token: refreshToken };
}

async function authorizationCode(flow: TokenFlow): Promise<TokenAnswer> {
  const client = flow.client as SsoClient;
  const code = param(flow.form, 'code', true);
  const verifier = param(flow.form, 'code_verifier', true);
  const redirectUri = param(flow.form, 'redirect_uri', true);
  const grant = await takeCode(flow.services.store, code);
  if (!grant) throw new OAuthError('invalid_grant', 'This sign-in code is unknown, expired or already used. Please sign in again.', { reason: 'code unknown, used or expired' });
  if (grant.client !== client.id) throw new OAuthError('invalid_grant', 'This sign-in code was issued to another client.', { reason: 'client mismatch', client: client.id });
  if (grant.redirectUri !== redirectUri) throw new OAuthError('invalid_grant', 'The redirect_uri does not match the one the code was sent to.', { reason: 'redirect_uri mismatch' });
  if (!verifierMatches(verifier, grant.codeChallenge)) throw new OAuthError('invalid_grant', 'The code_verifier does not match the code challenge.', { reason: 'PKCE mismatch' });
  const session = await liveSession(flow.services, grant);
  return answer(flow, session, grant.location, { family: newFamily(), newFamily: true, nonce: grant.nonce });
}

async function refreshToken(flow: TokenFlow): Promise<TokenAnswer> {
  const client = flow.client as SsoClient;
  const token = param(flow.form, 'refresh_token', true);
  const redeemed = await redeemRefreshToken(flow.services.store, token, flow.services.tokenService.settings.refreshTokenTtlSeconds);
  if (!redeemed.ok) {
    const reused = redeemed.reason === 'reused';
    if (reused) flow.services.logger.warn({ client: client.id, origin: flow.origin }, 'a spent refresh token was presented again: its family is revoked');
    throw new OAuthError('invalid_grant', 'This refresh token is unknown, expired, revoked or already used. Please sign in again.', { reason: redeemed.reason });
  }
  const { grant } = redeemed;
  if (grant.client !== client.id) throw new OAuthError('invalid_grant', 'This refresh token was issued to another client.', { reason: 'client mismatch', client: client.id });
  const session = await liveSession(flow.services, grant);
  return answer(flow, session, grant.location, { family: grant.family, newFamily: false, nonce: grant.nonce });
}

export async function handleTokenRequest(services: TokenServiceDeps, input: { origin: string | undefined; form: URLSearchParams; requestId: string | undefined }): Promise<TokenAnswer> {
  const flow: TokenFlow = { services, ...input };
  const client = findClient(flow);
  checkOrigin(flow, client);
  flow.client = client;
  const grantType = param(flow.form, 'grant_type', true);
  switch (grantType) {
    case 'authorization_code':
      return authorizationCode(flow);
    case 'refresh_token':
      return refreshToken(flow);
    default:
      throw new OAuthError('unsupported_grant_type', 'Only authorization_code and refresh_token are supported.', { grantType: grantType.slice(0, 40) });
  }
}
