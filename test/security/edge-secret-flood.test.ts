import { randomBytes, scryptSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { ApiAuthenticator, MAX_SCRYPT_FAILURES_PER_MINUTE } from '../../src/api/auth.js';
import { createApiClients } from '../../src/api/clients.js';
import { apiClientSchema } from '../../src/config/api.js';
import { GatewayError } from '../../src/errors/gateway-error.js';
import { answerOf } from '../../src/http/errors.js';
import { MemoryStore } from '../../src/store/memory.js';
import { CasBrowser, casPolicy, casProviders } from '../support/cas-gateway.js';
import { ensureLemonldap, type LemonldapInstance } from '../support/lemonldap.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { freePort, gatewaySettings, jitsiState, startGateway, TARGET_URL, type RunningGateway } from '../login/harness.js';

/**
 * Finding 4 of issue 16: secret checks bounded under concurrency. An API client whose secret a
 * person chose is configured with a scrypt hash. Before the fix, 400 concurrent wrong secrets were
 * all hashed (each read the failure count before any check had finished), which filled libuv's
 * thread pool, so a CAS login on the same process waited for its DNS lookup (`localhost`) until it
 * timed out (504); and 31 wrong attempts in a minute locked the real client out of a replica that
 * had not verified its secret yet.
 */

/** This suite's own LemonLDAP (helper port range 18954-18956). */
const IDP_PORT = Number(process.env.JSG_TEST_EDGE_IDP_PORT ?? 18954);
const SECRET = 'correct horse battery staple';

/** scrypt with N = 2^15 (32 MiB, some 100 ms per check): what a careful operator configures. */
function scryptHash(secret: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(secret, salt, 32, { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  return `scrypt:32768:8:1:${salt.toString('base64url')}:${hash.toString('base64url')}`;
}

const SECRET_HASH = scryptHash(SECRET);
const basic = (secret: string) => `Basic ${Buffer.from(`booking:${secret}`).toString('base64')}`;

describe('a flood of wrong secrets', () => {
  let redis: RedisServer;
  let idp: LemonldapInstance;
  let first: RunningGateway;
  let second: RunningGateway;

  beforeAll(async () => {
    const [redisServer, lemonldap, portA, portB] = await Promise.all([startRedis(), ensureLemonldap({ port: IDP_PORT, host: 'localhost' }), freePort(), freePort()]);
    redis = redisServer;
    idp = lemonldap;
    // Two replicas sharing one Redis; the CAS server by host name, so every validation needs a
    // DNS lookup (which runs on libuv's thread pool, like scrypt).
    const extra = (port: number) => ({
      store: { kind: 'redis', prefix: 'jsgflood:', redis: { url: redis.url } },
      policy: casPolicy(casProviders(idp.casUrl)),
      api: { clients: { booking: { secretHash: SECRET_HASH, tenants: ['acme'] } } },
      publicUrl: `http://127.0.0.1:${port}`,
    });
    first = await startGateway(gatewaySettings(portA, redis.url, casProviders(idp.casUrl), extra(portA)), portA);
    second = await startGateway(gatewaySettings(portB, redis.url, casProviders(idp.casUrl), extra(portB)), portB);
  }, 600_000);

  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    await redis?.destroy();
    if (idp && process.env.JSG_TEST_KEEP_IDP !== '1') await idp.stop();
  }, 120_000);

  const mint = (gw: RunningGateway, authorization: string, room = 'standup') =>
    fetch(`${gw.url}/api/v1/tokens`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'acme', room, user: { id: 'u-1', name: 'Una' } }),
    }).then(async (response) => ({ status: response.status, body: await response.text() }));

  it('leaves the legitimate client and a CAS login unharmed: the flood gets 401/429, nothing 5xx', async () => {
    // The real client has used the first replica; the second has never seen its secret.
    expect((await mint(first, basic(SECRET))).status).toBe(201);

    const flood = Array.from({ length: 400 }, (_, i) => mint(second, basic(`wrong-${i}-${randomBytes(6).toString('hex')}`)));
    const cas = new CasBrowser().casLogin(`${second.url}/login?room=standup&state=${jitsiState({ room: 'standup', tenant: 'acme' })}&provider=cas3`, 'dwho');
    const legitimate = Promise.all([1, 2, 3].map((n) => mint(second, basic(SECRET), `standup-${n}`)));

    const [floodAnswers, casJourney, legitimateAnswers] = await Promise.all([Promise.all(flood), cas, legitimate]);

    expect(legitimateAnswers.map((answer) => answer.status)).toEqual([201, 201, 201]);
    expect(casJourney.final.status, casJourney.final.body.slice(0, 300)).toBe(303);
    expect(casJourney.final.location?.startsWith(`${TARGET_URL}/acme/standup#jwt=`)).toBe(true);

    const statuses = floodAnswers.map((answer) => answer.status);
    expect(statuses.filter((status) => status !== 401 && status !== 429)).toEqual([]);
    // A 401 is a wrong secret that was hashed: at most the per-minute budget (twice, should the
    // flood straddle a minute boundary). Everything beyond it was refused unhashed.
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(2 * MAX_SCRYPT_FAILURES_PER_MINUTE);
    expect(floodAnswers.find((answer) => answer.status === 429)?.body).toMatch(/"error":"rate_limited"/);
  }, 120_000);
});

describe('the lockout', () => {
  const clients = createApiClients({ booking: apiClientSchema.parse({ secretHash: SECRET_HASH }) });
  const refusal = async (attempt: Promise<unknown> | unknown): Promise<number | 'ok'> => {
    try {
      await attempt;
      return 'ok';
    } catch (error) {
      if (error instanceof GatewayError) return answerOf(error).status;
      throw error;
    }
  };

  it('cannot be turned on the legitimate client: after the budget is used up by wrong secrets, a replica that never verified the right one still accepts it', async () => {
    // The budget is counted in fixed one-minute windows: a loop that crossed a minute boundary on a
    // slow machine would see two budgets (31 refusals instead of 30). Only Date is frozen here;
    // scrypt and the store run for real.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-12-07T00:00:05Z'));
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const store = new MemoryStore();
    const replicaA = new ApiAuthenticator(clients, undefined, { store });
    const replicaB = new ApiAuthenticator(clients, undefined, { store });
    expect(await refusal(replicaA.authenticate(basic(SECRET)))).toBe('ok');

    const outcomes: Array<number | 'ok'> = [];
    for (let i = 0; i <= MAX_SCRYPT_FAILURES_PER_MINUTE; i += 1) outcomes.push(await refusal(replicaB.authenticate(basic(`guess-${i}`))));
    expect(outcomes.filter((outcome) => outcome === 401).length).toBeLessThanOrEqual(MAX_SCRYPT_FAILURES_PER_MINUTE);
    expect(outcomes.at(-1)).toBe(429);

    expect(await refusal(replicaB.authenticate(basic(SECRET)))).toBe('ok');
    // The attacker still gets nothing.
    expect(await refusal(replicaB.authenticate(basic('guess-again')))).toBe(429);
    await store.close();
  }, 60_000);
});
