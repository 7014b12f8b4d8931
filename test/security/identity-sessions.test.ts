import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandinCas, success, xml, type StandinCas } from '../idp/cas/standin-server.js';
import { gatewaySettings, jitsiState, ScriptedBrowser, startGateway, type RunningGateway, type Step } from '../login/harness.js';
import type { TestOidcProvider } from '../support/oidc-provider.js';
import { redisCommand, startRedis, type RedisServer } from '../support/redis.js';
import { enter, freePort, identityProvider, isModerator, oidcSettings, signIn, startIdentityGateway, type ApiGateway } from './identity-harness.js';

/**
 * Finding 7 of issue 16: bounded sessions. The session record keeps what the session needs (the
 * person, the claims the policy asks about, the logout hint), not every claim; and what an IdP may
 * send about a person is capped (maxClaimsBytes, default 64 KiB), with a clear page beyond it.
 * Before, a 300 kB claim became a Redis value of 0.7 to 1.6 MB for every session of that person.
 */

let redis: RedisServer;
let idp: TestOidcProvider;
let gw: ApiGateway;
let cas: StandinCas;
let casGw: RunningGateway;

const accounts = {
  // The blobs ride in `groups`, a claim the real oidc-provider releases (userinfo, scope groups).
  big: { password: 'big-password', claims: { name: 'Big', preferred_username: 'big-user', groups: ['x'.repeat(300_000)] } },
  medium: { password: 'medium-password', claims: { name: 'Medium', preferred_username: 'medium-user', groups: ['y'.repeat(30_000)] } },
};

beforeAll(async () => {
  redis = await startRedis();
  const port = await freePort();
  idp = await identityProvider([port], accounts, ['corp']);
  gw = await startIdentityGateway(port, redis.url, { corp: oidcSettings(idp) }, {
    policy: { rules: [{ name: 'medium hosts', when: { claims: [{ claim: 'preferred_username', equals: 'medium-user' }] }, allow: { role: 'moderator' } }] },
  });

  // CAS: a stand-in, because LemonLDAP::NG's demo directory holds no 300 kB attribute.
  cas = await startStandinCas();
  cas.handler = (_req, res, request) => {
    if (request.path === '/cas/login') {
      res.writeHead(302, { location: `${request.query.get('service')}&ticket=ST-1-big` }).end();
      return;
    }
    xml(res, success('dwho', `<cas:cn>Doctor</cas:cn><cas:blob>${'z'.repeat(attributeBytes)}</cas:blob>`));
  };
  const casPort = await freePort();
  casGw = await startGateway(gatewaySettings(casPort, redis.url, { campus: { kind: 'cas', baseUrl: cas.baseUrl } }), casPort);
}, 90_000);

afterAll(async () => {
  await casGw?.stop();
  await cas?.close();
  await gw?.stop();
  await idp?.stop();
  await redis?.destroy();
});

let attributeBytes = 0;

/** Every session record of the gateway on `port` (its store prefix). */
async function sessionRecords(port: number): Promise<string[]> {
  const keys = (await redisCommand(redis.port, 'KEYS', `jsgtest:${port}:session:*`)) as string[];
  return Promise.all(keys.map(async (key) => String(await redisCommand(redis.port, 'GET', key))));
}

describe('OIDC: what the IdP may send, what the session keeps', () => {
  it('a 300 kB claim: a clear page, no session, no token', async () => {
    const { entry } = await signIn(gw, 'corp', 'big', 'room');
    expect(entry.status).toBe(502);
    if (entry.user === undefined) expect(entry.body).toMatch(/sent more about you than this service accepts/);
    expect((await sessionRecords(gw.port)).some((record) => record.includes('big-user'))).toBe(false);
  });

  it('a 30 kB claim: the person signs in; the session keeps the claim the policy asks about and not the rest', async () => {
    const { browser, entry } = await signIn(gw, 'corp', 'medium', 'room');
    expect(isModerator(entry)).toBe(true);
    const record = (await sessionRecords(gw.port)).find((value) => value.includes('"medium"'));
    expect(record).toBeDefined();
    expect(record!.length).toBeLessThan(8_000);
    expect(JSON.parse(record!).identity.claims).toEqual({ preferred_username: 'medium-user' });
    // A later room, decided from the session alone, still sees the claim.
    expect(isModerator(await enter(gw, browser, 'another-room'))).toBe(true);
  });
});

describe('CAS: attributes', () => {
  async function casLogin(bytes: number): Promise<Step> {
    attributeBytes = bytes;
    const steps = await new ScriptedBrowser().follow(`${casGw.url}/login?room=tardis&state=${jitsiState({ room: 'tardis', tenant: 'acme' })}`);
    return steps.at(-1) as Step;
  }

  it('300 kB of attributes: a clear page, no session', async () => {
    const before = (await sessionRecords(casGw.port)).length;
    const final = await casLogin(300_000);
    expect(final.status).toBe(502);
    expect(final.body).toMatch(/sent more about you than this service accepts/);
    expect((await sessionRecords(casGw.port)).length).toBe(before);
  });

  it('a few kB: signs in, and the session holds none of the attributes the policy does not use', async () => {
    const final = await casLogin(5_000);
    expect(final.status).toBe(303);
    const records = await sessionRecords(casGw.port);
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) expect(record).not.toContain('zzzz');
  });
});
