import { GatewayError } from '../errors/gateway-error.js';
import { personKeyOf } from '../identity/person.js';
import { decideOrRefuse } from '../mint/mint.js';
import type { LoadedSession } from '../session/session.js';
import type { TokenServiceDeps } from './deps.js';
import type { JitsiTarget, RoomLocation } from '../tokens/target.js';
import type { SsoClient } from './clients.js';
import { issueCode } from './codes.js';
import { refreshTokenKnown } from './refresh-tokens.js';

/**
 * The authorization endpoint of the token service is the gateway's login entry (Jitsi's
 * tokenAuthUrl, GET /login): a request with `code_challenge` is Jitsi's inline sign-in. What
 * Jitsi's web client sends (react/features/authentication/functions.web.ts, actions.web.ts):
 *
 *   <tokenAuthUrl with {state}, {room}, {code_challenge} filled>&nonce=<64 hex>
 *
 * and nothing else: no client_id, redirect_uri or code_challenge_method. So the client is the
 * one configured for the login's target, the method is S256 and the code goes to the client's
 * configured redirect URI. The answer is a redirect to `<redirect URI>?code=…&state=…`.
 *
 * `state` goes back as received. Jitsi's sso.html reads it with
 * `JSON.parse(decodeURIComponent(params.get('state')))`: decoded twice, so it is URL-encoded twice
 * here, or a room such as `Budget 100%` breaks the page. A state carrying Jitsi's `refreshToken`
 * makes sso.html refresh instead of redeeming a code: when the token service still honours that
 * token, the person goes straight back (no sign-in, no code); when it does not, the person signs
 * in and the state goes back without the dead token, so sso.html redeems the code instead of
 * failing on the refresh.
 */
export interface AuthorizationRequest {
  codeChallenge: string;
  /** Jitsi's `&nonce=`: the ID token must carry it. */
  nonce?: string | undefined;
  /** `{state}` as Jitsi sent it (the JSON text, URL-decoded once). */
  state: string;
}

export const NONCE = /^[A-Za-z0-9._~-]{1,256}$/;

/** The client of the login's target; a target without `sso` cannot take part in this flow. */
export function clientForTarget(services: TokenServiceDeps, target: JitsiTarget): SsoClient {
  const client = services.tokenService.clients.forTarget(target.name);
  if (!client) {
    throw new GatewayError('invalid_request', "This meeting server is not set up for Jitsi's inline sign-in (config.sso).", {
      detail: { target: target.name, reason: 'code_challenge sent for a target without sso' },
    });
  }
  return client;
}

/** `<redirect URI>?code=…&state=…` (or `error=…`), with state encoded for sso.html's double decoding. */
export function clientRedirect(client: SsoClient, state: string, answer: { code?: string; error?: string; errorDescription?: string }): string {
  const params: string[] = [];
  if (answer.code !== undefined) params.push(`code=${answer.code}`);
  if (answer.error !== undefined) params.push(`error=${encodeURIComponent(answer.error)}`);
  if (answer.errorDescription !== undefined) params.push(`error_description=${encodeURIComponent(answer.errorDescription)}`);
  params.push(`state=${encodeURIComponent(encodeURIComponent(state))}`);
  return `${client.redirectUri}${client.redirectUri.includes('?') ? '&' : '?'}${params.join('&')}`;
}

/**
 * A state carrying Jitsi's refreshToken: the redirect straight back when the token service still
 * honours it; otherwise the state to continue the sign-in with (without the dead token).
 */
export async function refreshPassBack(services: TokenServiceDeps, client: SsoClient, authorization: AuthorizationRequest): Promise<{ location?: string; state: string }> {
  let state: Record<string, unknown>;
  try {
    state = JSON.parse(authorization.state) as Record<string, unknown>;
  } catch {
    return { state: authorization.state };
  }
  const token = state.refreshToken;
  if (token === undefined || token === null) return { state: authorization.state };
  if (typeof token === 'string' && (await refreshTokenKnown(services.store, token))) {
    return { location: clientRedirect(client, authorization.state, {}), state: authorization.state };
  }
  delete state.refreshToken;
  return { state: JSON.stringify(state) };
}

/**
 * The person is known (gateway session): the policy must let them into the room, then a code
 * bound to the client, the room, the person, the code challenge and the nonce goes to sso.html.
 * A refusal goes there too, as `error=access_denied`, so Jitsi's page tells its opener.
 */
export async function answerAuthorization(
  services: TokenServiceDeps,
  input: { session: LoadedSession; target: JitsiTarget; location: RoomLocation; authorization: AuthorizationRequest },
): Promise<string> {
  const client = clientForTarget(services, input.target);
  const { identity } = input.session.session;
  try {
    await decideOrRefuse(services, identity, input.location);
  } catch (error) {
    if (!(error instanceof GatewayError) || error.code !== 'access_denied') throw error;
    services.logger.info({ person: personKeyOf(identity), room: input.location.room, client: client.id }, 'inline sign-in refused by policy');
    return clientRedirect(client, input.authorization.state, { error: 'access_denied', errorDescription: error.message });
  }
  const code = await issueCode(
    services.store,
    {
      v: 1,
      client: client.id,
      redirectUri: client.redirectUri,
      codeChallenge: input.authorization.codeChallenge,
      nonce: input.authorization.nonce,
      session: input.session.id,
      person: personKeyOf(identity),
      location: input.location,
    },
    services.tokenService.settings.codeTtlSeconds,
  );
  return clientRedirect(client, input.authorization.state, { code });
}
