import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiSecret, hashApiSecret } from '../../src/api/secrets.js';
import type { Identity } from '../../src/identity/identity.js';
import { redisCommand, startRedis, type RedisServer } from '../support/redis.js';
import { apiSettings, bearer, call, startGateway, type TestGateway } from './harness.js';

/** The room registry over HTTP (PUT/GET/DELETE /api/v1/rooms/{tenant}/{room}) on a real Redis. */

const secrets = { admin: generateApiSecret(), lms: generateApiSecret() };
const prefix = `jsgtest:rooms:${process.pid}:`;
let redis: RedisServer;
let gw: TestGateway;
let rooms: string;

beforeAll(async () => {
  redis = await startRedis();
  gw = await startGateway(
    apiSettings(redis.url, prefix, {
      providers: { corp: { kind: 'cas', baseUrl: 'https://cas.example.org/cas' } },
      policy: { rules: [{ name: 'hosts', when: { groups: 'hosts' }, allow: { role: 'moderator' } }] },
      api: {
        rooms: { defaultTtlSeconds: 3600, maxTtlSeconds: 86400 },
        clients: {
          admin: { secretHash: await hashApiSecret(secrets.admin), mayIssueModerator: true },
          lms: { secretHash: await hashApiSecret(secrets.lms), tenants: ['school'], rooms: ['class-*'] },
        },
      },
    }),
  );
  rooms = `${gw.base}/api/v1/rooms`;
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await redis?.destroy();
});

const person = (overrides: Partial<Identity> = {}): Identity => ({ provider: 'corp', id: 'alice', email: 'alice@example.com', emailVerified: true, groups: [], claims: {}, ...overrides });
const decide = (identity: Identity, room: string, tenant?: string) => {
  const target = gw.gateway.services.targets.get('meet')!;
  return gw.gateway.services.policy.decide({ identity, location: target.locate(room, tenant) });
};

describe('room registry API', () => {
  it('PUT registers, GET reads, the policy uses it, DELETE removes it', async () => {
    const put = await call('PUT', `${rooms}/acme/Board%20Meeting`, {
      headers: bearer(secrets.admin),
      json: { moderators: { ids: ['bob'], emails: ['Carol@example.com'] }, members: { groups: ['board'] }, ttlSeconds: 600 },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      target: 'meet',
      tenant: 'acme',
      room: 'board%20meeting',
      moderators: [{ provider: 'corp', ids: ['bob'], emails: ['carol@example.com'], groups: [] }],
      members: [{ provider: 'corp', ids: [], emails: [], groups: ['board'] }],
      membersOnly: true,
      updatedBy: 'api:admin',
    });
    expect(Date.parse(String(put.body.expiresAt)) - Date.now()).toBeGreaterThan(590_000);

    const ttl = Number(await redisCommand(redis.port, 'TTL', `${prefix}room:meet:acme:board%20meeting`));
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);

    const get = await call('GET', `${rooms}/acme/board%20meeting`, { headers: bearer(secrets.admin) });
    expect(get.status).toBe(200);
    expect(get.body).toEqual(put.body);

    expect(await decide(person({ id: 'bob' }), 'Board Meeting', 'acme')).toMatchObject({ allow: true, role: 'moderator', source: 'room' });
    expect(await decide(person({ groups: ['Board'] }), 'board meeting', 'acme')).toMatchObject({ allow: true, role: 'participant', source: 'room' });
    expect(await decide(person({ groups: ['hosts'] }), 'board meeting', 'acme')).toMatchObject({ allow: false, source: 'room' });

    const del = await call('DELETE', `${rooms}/acme/board%20meeting`, { headers: bearer(secrets.admin) });
    expect(del.status).toBe(204);
    expect((await call('GET', `${rooms}/acme/board%20meeting`, { headers: bearer(secrets.admin) })).status).toBe(404);
    expect((await call('DELETE', `${rooms}/acme/board%20meeting`, { headers: bearer(secrets.admin) })).status).toBe(404);
    expect(await decide(person({ groups: ['hosts'] }), 'board meeting', 'acme')).toMatchObject({ allow: true, role: 'moderator', rule: 'hosts' });
  });

  it('"-" is a room without tenant; the target is a query parameter; the default lifetime applies', async () => {
    const put = await call('PUT', `${rooms}/-/%C3%84rger?target=video`, { headers: bearer(secrets.admin), json: { moderators: { ids: ['bob'] } } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ target: 'video', room: '%c3%a4rger', membersOnly: false });
    expect(put.body.tenant).toBeUndefined();
    expect(Date.parse(String(put.body.expiresAt)) - Date.now()).toBeGreaterThan(3590_000);
    expect(await redisCommand(redis.port, 'EXISTS', `${prefix}room:video:-:%c3%a4rger`)).toBe(1);
    // The same name on the default target is another room.
    expect((await call('GET', `${rooms}/-/%C3%84rger`, { headers: bearer(secrets.admin) })).status).toBe(404);
    const video = gw.gateway.services.targets.get('video')!;
    expect(await gw.gateway.services.policy.decide({ identity: person({ id: 'bob' }), location: video.locate('ärger') })).toMatchObject({ role: 'moderator', source: 'room' });
  });

  it('a participant-only client may register members but not moderators', async () => {
    const members = await call('PUT', `${rooms}/school/class-7b`, { headers: bearer(secrets.lms), json: { members: { ids: ['s1', 's2'] } } });
    expect(members.status).toBe(200);
    expect(members.body.membersOnly).toBe(true);
    const moderators = await call('PUT', `${rooms}/school/class-7b`, { headers: bearer(secrets.lms), json: { moderators: { ids: ['s1'] } } });
    expect(moderators.status).toBe(403);
    expect((await call('GET', `${rooms}/school/class-7b`, { headers: bearer(secrets.lms) })).body.moderators).toEqual([]);
  });

  it.each<[string, string, string, Record<string, string>, unknown, number]>([
    ['no credentials', 'PUT', '/school/class-1', {}, { members: {} }, 401],
    ['a wrong secret', 'GET', '/school/class-1', bearer('wrong'), undefined, 401],
    ['another tenant', 'PUT', '/acme/class-1', bearer(secrets.lms), { members: {} }, 403],
    ['a root room for a tenant-scoped client', 'GET', '/-/class-1', bearer(secrets.lms), undefined, 403],
    ['a room outside the patterns', 'DELETE', '/school/staff', bearer(secrets.lms), undefined, 403],
    ['a room pattern', 'PUT', '/school/class-%2A', bearer(secrets.admin), { members: {} }, 400],
    ['an unknown tenant', 'PUT', '/hr/x', bearer(secrets.admin), { members: {} }, 400],
    ['an unknown target', 'GET', '/acme/x?target=nowhere', bearer(secrets.admin), undefined, 400],
    ['two targets', 'GET', '/acme/x?target=meet&target=video', bearer(secrets.admin), undefined, 400],
    ['an extra field', 'PUT', '/acme/x', bearer(secrets.admin), { moderators: { ids: ['a'] }, owner: 'me' }, 400],
    ['a wrong type', 'PUT', '/acme/x', bearer(secrets.admin), { moderators: { ids: 'a' } }, 400],
    ['an invalid email', 'PUT', '/acme/x', bearer(secrets.admin), { moderators: { emails: ['not-an-email'] } }, 400],
    ['a lifetime above the maximum', 'PUT', '/acme/x', bearer(secrets.admin), { members: {}, ttlSeconds: 86401 }, 400],
  ])('%s → %i', async (_what, method, path, headers, json, status) => {
    const answer = await call(method, `${rooms}${path}`, { headers, ...(json === undefined ? {} : { json }) });
    expect(answer.status).toBe(status);
    expect(typeof answer.body.error).toBe('string');
  });

  it('PUT needs application/json', async () => {
    const answer = await call('PUT', `${rooms}/acme/x`, { headers: { ...bearer(secrets.admin), 'content-type': 'text/plain' }, body: '{}' });
    expect(answer.status).toBe(415);
  });
});
