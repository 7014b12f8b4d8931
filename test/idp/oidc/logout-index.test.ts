import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/observability/logger.js';
import { startOidcProvider, type TestOidcProvider } from '../../support/oidc-provider.js';
import { redisCommand, startRedis, type RedisServer } from '../../support/redis.js';
import { freePort, gatewaySettings, groupPolicy, jitsiState, ScriptedBrowser, startGateway, TARGET_URL, type RunningGateway } from '../../login/harness.js';

/**
 * Session indexes for back-channel logout (`slo:<provider>:sub:…`, `…:sid:…`) are written only for
 * an IdP that sends logout tokens: one whose discovery document says backchannel_logout_supported
 * (test/idp/oidc/options.test.ts ends sessions through them), or, as a safety net, from the first
 * valid logout token on, with a warning. Here a real oidc-provider without back-channel logout.
 */

let redis: RedisServer;
let idp: TestOidcProvider;
let gw: RunningGateway;
let port: number;
const lines: string[] = [];

beforeAll(async () => {
  redis = await startRedis();
  port = await freePort();
  idp = await startOidcProvider({
    backchannelLogout: false,
    clients: [{ client_id: 'gw', client_secret: 'gateway-secret-0123456789', token_endpoint_auth_method: 'client_secret_basic', redirect_uris: [`http://127.0.0.1:${port}/auth/corp/callback`] }],
  });
  const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
  gw = await startGateway(
    gatewaySettings(port, redis.url, { corp: { kind: 'oidc', issuer: idp.issuer, clientId: 'gw', clientSecret: 'gateway-secret-0123456789' } }),
    port,
    { policy: groupPolicy, logger },
  );
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await idp?.stop();
  await redis?.destroy();
});

const loginUrl = (room: string) => `${gw.url}/login?room=${room}&state=${jitsiState({ room, tenant: 'acme' })}`;
const indexKeys = async () => ((await redisCommand(redis.port, 'KEYS', `jsgtest:${port}:slo:*`)) as string[]).sort();
const stillSignedIn = async (browser: ScriptedBrowser) => (await browser.request(loginUrl('check'))).location?.startsWith(TARGET_URL) ?? false;
const logout = async (sub: string) =>
  fetch(`${gw.url}/auth/corp/backchannel-logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `logout_token=${await idp.sign(
      { iss: idp.issuer, aud: 'gw', sub, iat: Math.floor(Date.now() / 1000), jti: crypto.randomUUID(), events: { 'http://schemas.openid.net/event/backchannel-logout': {} } },
      { typ: 'logout+jwt' },
    )}`,
  });

describe('session indexes only for an IdP that sends logout tokens', () => {
  it('no index while the IdP does not offer back-channel logout; from its first logout token on, with a warning', async () => {
    const discovery = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.backchannel_logout_supported).toBeUndefined();

    const before = new ScriptedBrowser();
    expect((await before.login(loginUrl('first'), 'alice')).final.location).toMatch(/#jwt=/);
    expect(await indexKeys()).toEqual([]);

    const from = lines.length;
    expect((await logout('alice')).status).toBeLessThan(300);
    const warning = lines.slice(from).map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => String(entry.msg).includes('backchannel_logout_supported'));
    expect(warning).toMatchObject({ level: 'warn', provider: 'corp', misconfigured: true });
    // The limitation the warning names: a session opened before was not indexed and stays.
    expect(await stillSignedIn(before)).toBe(true);

    const after = new ScriptedBrowser();
    expect((await after.login(loginUrl('second'), 'alice')).final.location).toMatch(/#jwt=/);
    expect(await indexKeys()).toEqual([`jsgtest:${port}:slo:corp:sub:alice`]);
    expect((await logout('alice')).status).toBeLessThan(300);
    expect(await stillSignedIn(after)).toBe(false);
  });
});
