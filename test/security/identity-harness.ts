/**
 * Shared parts of the identity hostile suite (test/security/identity-*.test.ts): a gateway on a
 * real Redis with the real OpenID providers the test starts, a person who signs in through one of
 * them, and what the gateway then hands out for a room (a token's user, or a refusal).
 */
import { decodeJwt } from 'jose';
import { generateApiSecret, hashApiSecret } from '../../src/api/secrets.js';
import { startOidcProvider, type TestAccount, type TestOidcProvider } from '../support/oidc-provider.js';
import { freePort, gatewaySettings, jitsiState, ScriptedBrowser, startGateway, tokenFromJoinUrl, type RunningGateway, type Step } from '../login/harness.js';

export const CLIENT_SECRET = 'gateway-secret-0123456789';

/** One OpenID provider for gateways on `ports`, with these accounts (account id = `sub`). */
export function identityProvider(ports: number[], accounts: Record<string, TestAccount>, names: string[]): Promise<TestOidcProvider> {
  return startOidcProvider({
    accounts,
    clients: [
      {
        client_id: 'gateway',
        client_secret: CLIENT_SECRET,
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: ports.flatMap((port) => names.map((name) => `http://127.0.0.1:${port}/auth/${name}/callback`)),
      },
    ],
  });
}

export const oidcSettings = (idp: TestOidcProvider, extra: Record<string, unknown> = {}) => ({
  kind: 'oidc',
  issuer: idp.issuer,
  clientId: 'gateway',
  clientSecret: CLIENT_SECRET,
  scopes: ['openid', 'profile', 'email', 'groups'],
  ...extra,
});

export interface ApiGateway extends RunningGateway {
  /** Secret of the API client `booking` (may hand out moderator rights). */
  apiSecret: string;
}

/** A gateway with the given providers and settings, and an API client `booking`. */
export async function startIdentityGateway(port: number, redisUrl: string, providers: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<ApiGateway> {
  const apiSecret = generateApiSecret();
  const api = { clients: { booking: { secretHash: await hashApiSecret(apiSecret), mayIssueModerator: true } } };
  const gw = await startGateway(gatewaySettings(port, redisUrl, providers, { api, ...extra }), port);
  return Object.assign(gw, { apiSecret });
}

export { freePort };

/** What a person got for a room: the token's context.user, or the refusal's status. */
export type Entry = { status: 303; user: Record<string, unknown>; token: string } | { status: number; user?: undefined; body: string };

function entryOf(step: Step): Entry {
  if (step.status === 303 && step.location?.includes('#jwt=')) {
    const token = tokenFromJoinUrl(step.location);
    const claims = decodeJwt(token) as { context: { user: Record<string, unknown> } };
    return { status: 303, user: claims.context.user, token };
  }
  return { status: step.status, body: step.body };
}

const loginUrl = (gw: RunningGateway, room: string, provider?: string) =>
  `${gw.url}/login?room=${encodeURIComponent(room)}&state=${jitsiState({ room, roomSafe: room, tenant: 'acme' })}${provider ? `&provider=${provider}` : ''}`;

/** Signs in at `provider` (through its login form) for `room`; the browser keeps the gateway session. */
export async function signIn(gw: RunningGateway, provider: string, user: string, room: string, password = `${user}-password`): Promise<{ browser: ScriptedBrowser; entry: Entry }> {
  const browser = new ScriptedBrowser();
  const { final } = await browser.login(loginUrl(gw, room, provider), user, password);
  return { browser, entry: entryOf(final) };
}

/** Another room with the gateway session the browser holds (no IdP round trip). */
export async function enter(gw: RunningGateway, browser: ScriptedBrowser, room: string): Promise<Entry> {
  const steps = await browser.follow(loginUrl(gw, room));
  return entryOf(steps.at(-1) as Step);
}

/** A JSON call to the gateway's API as the `booking` client. */
export async function api(gw: ApiGateway, method: string, path: string, json?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${gw.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${gw.apiSecret}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export const isModerator = (entry: Entry) => entry.user !== undefined && (entry.user.moderator === true || ['owner', 'moderator', 'teacher'].includes(String(entry.user.affiliation)));
