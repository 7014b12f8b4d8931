import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';
import { DEFAULT_ACCOUNTS, startOidcProvider, type TestOidcProvider } from '../support/oidc-provider.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { freePort, gatewaySettings, groupPolicy, jitsiState, ScriptedBrowser, startGateway, tokenFromJoinUrl, verifyWithGatewayKeys, type RunningGateway } from './harness.js';

/**
 * Groups sent only as a reference (OIDC Core 5.6.2 distributed claims; Entra ID does this for
 * people in more than 200 groups): the gateway does not follow the reference, so the person has no
 * groups and rules on groups do not match. The login works, and the operator is told why, once,
 * in a warning naming the claim. A real oidc-provider sends `_claim_names`/`_claim_sources`.
 */

let redis: RedisServer;
let idp: TestOidcProvider;
let gw: RunningGateway;
const lines: string[] = [];

beforeAll(async () => {
  redis = await startRedis();
  const port = await freePort();
  idp = await startOidcProvider({
    clients: [{ client_id: 'gateway', client_secret: 'gateway-secret-0123456789', redirect_uris: [`http://127.0.0.1:${port}/auth/corp/callback`] }],
    accounts: {
      ...DEFAULT_ACCOUNTS,
      carol: {
        password: 'carol-password',
        claims: {
          name: 'Carol Many-Groups',
          email: 'carol@example.com',
          _claim_names: { groups: 'src1' },
          _claim_sources: { src1: { endpoint: 'https://graph.example.com/v1.0/users/carol/getMemberObjects' } },
        },
      },
    },
  });
  gw = await startGateway(
    gatewaySettings(port, redis.url, {
      corp: { kind: 'oidc', issuer: idp.issuer, clientId: 'gateway', clientSecret: 'gateway-secret-0123456789', scopes: ['openid', 'profile', 'email', 'groups'] },
    }),
    port,
    { policy: groupPolicy, logger: createLogger('warn', { write: (line: string) => lines.push(line) }) },
  );
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await idp?.stop();
  await redis?.destroy();
});

const loginUrl = (room: string) => `${gw.url}/login?room=${room}&state=${jitsiState({ room, tenant: 'acme' })}`;
const overageWarnings = () => lines.filter((line) => line.includes('arrived only as a reference')).map((line) => JSON.parse(line) as Record<string, unknown>);

describe('groups sent as a distributed claim', () => {
  it('the person enters without groups (participant here) and the operator gets one warning naming the claim', async () => {
    const { final } = await new ScriptedBrowser().login(loginUrl('overage'), 'carol');
    expect(final.status).toBe(303);
    const claims = await verifyWithGatewayKeys(gw.url, tokenFromJoinUrl(final.location ?? ''));
    expect((claims.context as { user: { moderator: boolean; name: string } }).user).toMatchObject({ moderator: false, name: 'Carol Many-Groups' });
    expect(overageWarnings()).toEqual([expect.objectContaining({ level: 'warn', provider: 'corp', claim: 'groups', user: 'carol' })]);
  });

  it('no warning for a person whose groups are in the claims', async () => {
    lines.length = 0;
    const { final } = await new ScriptedBrowser().login(loginUrl('plain'), 'alice');
    const claims = await verifyWithGatewayKeys(gw.url, tokenFromJoinUrl(final.location ?? ''));
    expect((claims.context as { user: { moderator: boolean } }).user.moderator).toBe(true);
    expect(overageWarnings()).toEqual([]);
  });
});
