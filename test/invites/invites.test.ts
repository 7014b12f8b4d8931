import { guestUserId } from '../../src/invites/reference.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiSecret, hashApiSecret } from '../../src/api/secrets.js';
import type { Identity } from '../../src/identity/identity.js';
import { openSession } from '../../src/session/session.js';
import { redisCommand, sleep, startRedis, type RedisServer } from '../support/redis.js';
import { apiSettings, bearer, call, startGateway, tokenOfJoinUrl, verifyMeetToken, type TestGateway } from '../api/harness.js';
import { openInvite, postInvite, redeem } from './browser.js';

/**
 * Guest invite links end to end on a real Redis: created by an API client or by a moderator with a
 * gateway session, redeemed through the page (display name, CSRF), listed and revoked by their
 * creator; used-up, expired and revoked links get a clear page and no token.
 */

const secrets = { booking: generateApiSecret(), lms: generateApiSecret(), other: generateApiSecret() };
const prefix = `jsgtest:invites:${process.pid}:`;
let redis: RedisServer;
let gw: TestGateway;
let api: string;

beforeAll(async () => {
  redis = await startRedis();
  gw = await startGateway(
    apiSettings(redis.url, prefix, {
      providers: { corp: { kind: 'cas', baseUrl: 'https://cas.example.org/cas' } },
      policy: { rules: [{ name: 'hosts', when: { groups: 'hosts' }, allow: { role: 'moderator' } }] },
      api: {
        invites: { maxUses: 50, defaultTtlSeconds: 3600, maxTtlSeconds: 86400, guestTokenTtlSeconds: 120 },
        clients: {
          booking: { secretHash: await hashApiSecret(secrets.booking), mayIssueModerator: true },
          lms: { secretHash: await hashApiSecret(secrets.lms), tenants: ['school'] },
          other: { secretHash: await hashApiSecret(secrets.other), operations: ['tokens', 'invites'] },
        },
      },
    }),
  );
  api = `${gw.base}/api/v1/invites`;
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await redis?.destroy();
});

async function createInvite(json: Record<string, unknown>, secret = secrets.booking) {
  const answer = await call('POST', api, { headers: bearer(secret), json: { tenant: 'acme', room: 'Team Call', ...json } });
  expect(answer.status, answer.text).toBe(201);
  return answer.body as { id: string; url: string; status: string; usesLeft: number };
}

/** The invite URL on the running server (the configured publicUrl is not where the test listens). */
const local = (invite: { id: string }) => `${gw.base}/invite/${invite.id}`;

describe('invites created by an API client', () => {
  it('create → page → name → redirect into the room with a guest token', async () => {
    const invite = await createInvite({ uses: 2, label: 'Interview with <b>Bob</b>', lobbyBypass: true, features: { 'screen-sharing': false } });
    expect(invite).toMatchObject({ status: 'active', usesLeft: 2, url: `http://127.0.0.1:9/sso/invite/${invite.id}`, role: 'participant', room: 'team%20call', tenant: 'acme', createdBy: 'api:booking' });
    expect(invite.id).toMatch(/^[A-Za-z0-9_-]{22}$/);

    const page = await openInvite(local(invite));
    expect(page.status).toBe(200);
    expect(page.html).toContain('acme/team call');
    expect(page.html).toContain('Interview with &lt;b&gt;Bob&lt;/b&gt;');
    expect(page.html).toContain(`<form method="post" action="http://127.0.0.1:9/sso/invite/${invite.id}"`);
    expect(page.csrf).toMatch(/^\d+\.[\w-]{22}\.[\w-]{43}$/);
    expect(page.cookie).toBe(page.csrf);
    const setCookie = page.headers.getSetCookie().join('\n');
    expect(setCookie).toContain(`Path=/sso/invite/${invite.id}`);
    expect(setCookie).toMatch(/HttpOnly; SameSite=Strict/);
    expect(page.headers.get('content-security-policy')).toContain("form-action 'self' https://meet.example.com");

    const before = await gw.issued();
    const done = await postInvite(local(invite), { name: '  Bob   Guest ', csrf: page.csrf }, page.cookie);
    expect(done.status).toBe(303);
    expect(done.location).toMatch(/^https:\/\/meet\.example\.com\/acme\/team%20call#jwt=%22/);
    const claims = await verifyMeetToken(tokenOfJoinUrl(done.location!));
    expect(claims).toMatchObject({ sub: 'acme', room: 'team%20call' });
    expect(claims.context.user).toEqual({ id: guestUserId(invite.id, 1), name: 'Bob Guest', moderator: false, lobby_bypass: true });
    expect(claims.context.features).toEqual({ 'screen-sharing': false });
    expect(claims.exp! - claims.iat!).toBe(120);
    expect(await gw.issued()).toBe(before + 1);
    const metrics = await (await fetch(`${gw.base}/metrics`)).text();
    expect(metrics).toMatch(/jsg_tokens_issued_total\{target="meet",role="participant",provider="invite"\} [1-9]/);

    // Second and last use, then the link is used up.
    expect((await redeem(local(invite), 'Carol')).status).toBe(303);
    const usedUp = await redeem(local(invite), 'Dave');
    expect(usedUp.status).toBe(410);
    expect(usedUp.html).toContain('already been used as often as it allows');
    expect(await gw.issued()).toBe(before + 2);
  });

  it('a moderator invite gives moderator guests (client may issue moderator)', async () => {
    const invite = await createInvite({ role: 'moderator' });
    const done = await redeem(local(invite), 'Co-host');
    const claims = await verifyMeetToken(tokenOfJoinUrl(done.location!));
    expect(claims.context.user).toMatchObject({ moderator: true, affiliation: 'owner', name: 'Co-host' });
  });

  it('list and revoke by the creator only; a revoked link gets a clear page', async () => {
    const invite = await createInvite({ uses: 5 });
    const page = await openInvite(local(invite)); // opened before the revocation

    const mine = await call('GET', api, { headers: bearer(secrets.booking) });
    expect(mine.status).toBe(200);
    expect((mine.body.invites as Array<{ id: string }>).map((i) => i.id)).toContain(invite.id);
    const theirs = await call('GET', api, { headers: bearer(secrets.other) });
    expect((theirs.body.invites as Array<{ id: string }>).map((i) => i.id)).not.toContain(invite.id);

    expect((await call('DELETE', `${api}/${invite.id}`, { headers: bearer(secrets.other) })).status).toBe(404);
    expect((await redeem(local(invite), 'still works')).status).toBe(303);
    expect((await call('DELETE', `${api}/${invite.id}`, { headers: bearer(secrets.booking) })).status).toBe(204);

    const before = await gw.issued();
    const late = await postInvite(local(invite), { name: 'Late', csrf: page.csrf }, page.cookie);
    expect(late.status).toBe(410);
    expect(late.html).toContain('withdrawn');
    expect((await openInvite(local(invite))).status).toBe(410);
    expect(await gw.issued()).toBe(before);

    const listed = (await call('GET', api, { headers: bearer(secrets.booking) })).body.invites as Array<{ id: string; status: string; used: number; usesLeft: number }>;
    expect(listed.find((i) => i.id === invite.id)).toMatchObject({ status: 'revoked', used: 1, usesLeft: 4 });
  });

  it('an expired link gets a clear page', async () => {
    const invite = await createInvite({ ttlSeconds: 1 });
    await sleep(1100);
    const page = await openInvite(local(invite));
    expect(page.status).toBe(410);
    expect(page.html).toContain('expired');
    expect(page.csrf).toBe('');
    // Kept a while for the explanation, then gone from the store on its own.
    const ttl = Number(await redisCommand(redis.port, 'TTL', `${prefix}invite:${invite.id}`));
    expect(ttl).toBeGreaterThan(86000);
  });

  it('an unknown or malformed link → 404 page', async () => {
    expect((await openInvite(`${gw.base}/invite/AAAAAAAAAAAAAAAAAAAAAA`)).status).toBe(404);
    expect((await openInvite(`${gw.base}/invite/..%2F..%2Fetc`)).status).toBe(404);
    expect((await postInvite(`${gw.base}/invite/short`, { name: 'x', csrf: 'y' })).status).toBe(404);
  });

  it.each<[string, Record<string, unknown>, string, number]>([
    ['a participant-only client asking for a moderator invite', { role: 'moderator' }, 'lms', 403],
    ['another tenant than its scope', { tenant: 'acme' }, 'lms', 403],
    ['more uses than allowed', { uses: 51 }, 'booking', 400],
    ['a link living longer than allowed', { ttlSeconds: 86401 }, 'booking', 400],
    ['zero uses', { uses: 0 }, 'booking', 400],
    ['a room pattern', { room: 'team-*' }, 'booking', 400],
    ['an extra field', { owner: 'me' }, 'booking', 400],
    ['uses as a string', { uses: '3' }, 'booking', 400],
  ])('refuses %s', async (_what, json, client, status) => {
    const secret = secrets[client as keyof typeof secrets];
    const answer = await call('POST', api, { headers: bearer(secret), json: { tenant: client === 'lms' ? 'school' : 'acme', room: 'x', ...json } });
    expect(answer.status).toBe(status);
    expect(answer.body.id).toBeUndefined();
  });

  it('a client without the invites operation cannot use them', async () => {
    const settingsClient = await call('GET', api, { headers: bearer('wrong') });
    expect(settingsClient.status).toBe(401);
    expect((await call('GET', api)).status).toBe(401);
  });
});

describe('the invite form resists forgery and bad input', () => {
  it.each<[string, (page: { csrf: string; cookie: string }) => { form: { name?: string; csrf?: string }; cookie?: string }]>([
    ['no cookie (a cross-site POST does not carry the SameSite=Strict cookie)', (page) => ({ form: { name: 'Mallory', csrf: page.csrf } })],
    ['no csrf field', (page) => ({ form: { name: 'Mallory' }, cookie: page.cookie })],
    ['a csrf field that differs from the cookie', (page) => ({ form: { name: 'Mallory', csrf: page.csrf.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) }, cookie: page.cookie })],
    ['a matching pair the gateway never issued', (page) => {
      const forged = `${page.csrf.split('.')[0]}.${'B'.repeat(22)}.${'C'.repeat(43)}`;
      return { form: { name: 'Mallory', csrf: forged }, cookie: forged };
    }],
  ])('%s → 400, the form again, no token', async (_what, forge) => {
    const invite = await createInvite({ uses: 3 });
    const page = await openInvite(local(invite));
    const { form, cookie } = forge(page);
    const before = await gw.issued();
    const answer = await postInvite(local(invite), form, cookie);
    expect(answer.status).toBe(400);
    expect(answer.location).toBeNull();
    expect(answer.html).toContain('expired. Please enter your name again');
    expect(await gw.issued()).toBe(before);
  });

  it('a form token is single-use: replaying a successful POST gets no second token', async () => {
    const invite = await createInvite({ uses: 3 });
    const page = await openInvite(local(invite));
    expect((await postInvite(local(invite), { name: 'Bob', csrf: page.csrf }, page.cookie)).status).toBe(303);
    const replay = await postInvite(local(invite), { name: 'Bob', csrf: page.csrf }, page.cookie);
    expect(replay.status).toBe(400);
    expect(replay.location).toBeNull();
  });

  it('a form token of another invite does not work', async () => {
    const [a, b] = [await createInvite({}), await createInvite({})];
    const page = await openInvite(local(a));
    expect((await postInvite(local(b), { name: 'Bob', csrf: page.csrf }, page.cookie)).status).toBe(400);
  });

  it.each([
    ['empty', '', 'Please enter your name.'],
    ['only spaces', '    ', 'Please enter your name.'],
    ['too long', 'x'.repeat(81), 'at most 80'],
    ['control characters', 'Bob\u0007', 'only visible characters'],
    ['bidi overrides', 'Bob\u202egnp.exe', 'only visible characters'],
  ])('a display name that is %s → 400 with the reason; the invite keeps its use', async (_what, name, message) => {
    const invite = await createInvite({ uses: 1 });
    const page = await openInvite(local(invite));
    const answer = await postInvite(local(invite), { name, csrf: page.csrf }, page.cookie);
    expect(answer.status).toBe(400);
    expect(answer.html).toContain(message);
    expect(answer.html).toMatch(/aria-invalid="true"/);
    expect((await redeem(local(invite), 'Bob')).status).toBe(303);
  });

  it('the name is escaped when shown again', async () => {
    const invite = await createInvite({});
    const page = await openInvite(local(invite));
    const answer = await postInvite(local(invite), { name: `"><script>alert(1)</script>${'x'.repeat(80)}`, csrf: page.csrf }, page.cookie);
    expect(answer.html).not.toContain('<script>');
    expect(answer.html).toContain('&quot;&gt;&lt;script&gt;');
  });

  it('wrong content type → 415, oversized form → 413', async () => {
    const invite = await createInvite({});
    const page = await openInvite(local(invite));
    expect((await postInvite(local(invite), { name: 'Bob', csrf: page.csrf }, page.cookie, 'application/json')).status).toBe(415);
    expect((await postInvite(local(invite), { name: 'B'.repeat(5000), csrf: page.csrf }, page.cookie)).status).toBe(413);
  });
});

describe('invites created by a moderator with a gateway session', () => {
  async function sessionCookie(identity: Identity): Promise<string> {
    const { setCookie } = await openSession(gw.gateway.services, { provider: identity.provider, identity, sessionIndexes: [] });
    return setCookie.split(';')[0]!;
  }
  const host: Identity = { provider: 'corp', id: 'hana', name: 'Hana Host', email: 'hana@example.com', groups: ['hosts'], claims: {} };
  const guest: Identity = { provider: 'corp', id: 'gus', email: 'gus@example.com', groups: [], claims: {} };

  it('a moderator (by policy) creates, lists and revokes invites for the room', async () => {
    const cookie = await sessionCookie(host);
    const created = await call('POST', api, { headers: { cookie }, json: { tenant: 'acme', room: 'Hana Room', uses: 3 } });
    expect(created.status).toBe(201);
    expect(created.body.createdBy).toBe('user:corp:hana');
    const id = String(created.body.id);
    expect((await redeem(`${gw.base}/invite/${id}`, 'Guest')).status).toBe(303);

    const listed = await call('GET', api, { headers: { cookie } });
    expect(listed.body.invites).toEqual([expect.objectContaining({ id, used: 1, usesLeft: 2, status: 'active' })]);
    // An API client does not see or revoke a person's invites.
    expect((await call('DELETE', `${api}/${id}`, { headers: bearer(secrets.booking) })).status).toBe(404);
    expect((await call('DELETE', `${api}/${id}`, { headers: { cookie } })).status).toBe(204);
    expect((await openInvite(`${gw.base}/invite/${id}`)).status).toBe(410);
  });

  it('a person the policy does not make moderator of the room cannot invite', async () => {
    const cookie = await sessionCookie(guest);
    const answer = await call('POST', api, { headers: { cookie }, json: { tenant: 'acme', room: 'Hana Room' } });
    expect(answer.status).toBe(403);
    expect(answer.body.message).toMatch(/Only moderators of this room/);
  });

  it('a moderator listed in the room registry can invite even without a moderator rule', async () => {
    const put = await call('PUT', `${gw.base}/api/v1/rooms/acme/gus-room`, { headers: bearer(secrets.booking), json: { moderators: { ids: ['gus'] } } });
    expect(put.status).toBe(200);
    const cookie = await sessionCookie(guest);
    expect((await call('POST', api, { headers: { cookie }, json: { tenant: 'acme', room: 'gus-room' } })).status).toBe(201);
  });

  it('a session cookie cannot be used with a form content type (no CSRF through simple requests)', async () => {
    const cookie = await sessionCookie(host);
    const answer = await call('POST', api, { headers: { cookie, 'content-type': 'text/plain' }, body: JSON.stringify({ tenant: 'acme', room: 'x' }) });
    expect(answer.status).toBe(415);
  });

  it('an unknown or forged session cookie is 401', async () => {
    expect((await call('POST', api, { headers: { cookie: `jsg_session=${'A'.repeat(43)}` }, json: { tenant: 'acme', room: 'x' } })).status).toBe(401);
  });
});
