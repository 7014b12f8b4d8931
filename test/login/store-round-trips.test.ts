import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfiguredPolicy } from '../../src/policy/engine.js';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc-provider.js';
import { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '../support/redis.js';
import { freePort, gatewaySettings, jitsiState, ScriptedBrowser, startGateway, tokenFromJoinUrl, verifyWithGatewayKeys, type RunningGateway } from './harness.js';

/**
 * What a whole OIDC login asks of Redis (issue 15): three round trips, none that a pipeline could
 * merge: the transaction written at /login; at the callback the transaction taken (it becomes its
 * own "already used" marker in the same command); then the session write, its logout index and the
 * room registry read, sent together. Counted by the redis-server of this file alone (INFO stats:
 * one read event per batch of commands arriving at once), with the configured policy and a room
 * registry entry that makes bob a moderator, so the read that rode along is the one the decision used.
 */

let redis: RedisServer;
let idp: TestOidcProvider;
let gw: RunningGateway;
/** One connection for the counters, opened once: a new connection's own handshake would count. */
let counter: Redis;

beforeAll(async () => {
  redis = await startRedis();
  counter = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  const port = await freePort();
  idp = await startOidcProvider({
    clients: [{ client_id: 'gateway', client_secret: 'gateway-secret-0123456789', token_endpoint_auth_method: 'client_secret_basic', redirect_uris: [`http://127.0.0.1:${port}/auth/corp/callback`] }],
  });
  gw = await startGateway(
    gatewaySettings(port, redis.url, {
      corp: { kind: 'oidc', issuer: idp.issuer, clientId: 'gateway', clientSecret: 'gateway-secret-0123456789', scopes: ['openid', 'profile', 'email', 'groups'] },
    }),
    port,
  );
}, 60_000);

afterAll(async () => {
  counter?.disconnect();
  await gw?.stop();
  await idp?.stop();
  await redis?.destroy();
});

const stats = async () => {
  const info = String(await counter.call('INFO', 'stats', 'commandstats'));
  const calls = (command: string) => Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  return { reads: Number(/^total_reads_processed:(\d+)/m.exec(info)?.[1]), calls };
};

describe('Redis per OIDC login', () => {
  it('three round trips: transaction write; transaction take; session, logout index and room registry read together', async () => {
    const location = gw.gateway.services.targets.get('meet')?.locate('standup', 'acme');
    if (!location) throw new Error('no target meet');
    await (gw.gateway.services.policy as ConfiguredPolicy).rooms.put(location, { moderators: [{ provider: 'corp', ids: ['bob'], emails: [], groups: [] }] }, 600, 'api:test');
    const url = `${gw.url}/login?room=standup&state=${jitsiState({ room: 'standup', tenant: 'acme' })}`;
    // A first login loads what is per provider (discovery, keys): not per login.
    expect((await new ScriptedBrowser().login(url, 'alice')).final.status).toBe(303);

    // Best of three logins: on a loaded machine Redis may now and then read one batch in two parts.
    const trips: number[] = [];
    let gets = Number.POSITIVE_INFINITY;
    let getdels = Number.POSITIVE_INFINITY;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const before = await stats();
      const { final } = await new ScriptedBrowser().login(url, 'bob');
      const after = await stats();
      expect(final.status).toBe(303);
      const claims = await verifyWithGatewayKeys(gw.url, tokenFromJoinUrl(final.location ?? ''));
      expect((claims.context as { user: { moderator: boolean; affiliation?: string } }).user).toMatchObject({ id: 'bob', moderator: true, affiliation: 'owner' });
      trips.push(after.reads - before.reads - 1); // the second INFO's own read counts
      gets = Math.min(gets, after.calls('get') - before.calls('get'));
      getdels = Math.min(getdels, after.calls('getdel') - before.calls('getdel'));
    }
    expect(Math.min(...trips)).toBe(3);
    // The take is one command: no GETDEL, and no separate "already used" marker.
    expect(getdels).toBe(0);
    expect(gets).toBe(1); // the room registry entry
  });
});
