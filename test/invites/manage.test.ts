import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Identity } from '../../src/identity/identity.js';
import { openSession } from '../../src/session/session.js';
import { redisCommand, startRedis, type RedisServer } from '../support/redis.js';
import { apiSettings, call, startGateway, tokenOfJoinUrl, verifyMeetToken, type TestGateway } from '../api/harness.js';
import { createdLink, openInvite, openManager, postManager, redeem } from './browser.js';

/**
 * The moderator's invite page (/invites/<tenant>/<room>) on a real Redis: a person with a gateway
 * session whom the policy makes moderator creates, sees and withdraws links for the room; without
 * a session, without moderator rights, with a forged or replayed form or bad input, no invite is
 * ever created and the answer is a clear 4xx page.
 */

const prefix = `jsgtest:invite-manager:${process.pid}:`;
let redis: RedisServer;
let gw: TestGateway;

beforeAll(async () => {
  redis = await startRedis();
  gw = await startGateway(
    apiSettings(redis.url, prefix, {
      providers: { corp: { kind: 'cas', baseUrl: 'https://cas.example.org/cas' } },
      policy: { rules: [{ name: 'hosts', when: { groups: 'hosts' }, allow: { role: 'moderator' } }] },
      api: { invites: { maxUses: 50, defaultTtlSeconds: 3600, maxTtlSeconds: 86400 } },
    }),
  );
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await redis?.destroy();
});

let people = 0;
/** A new person each time (the per-person rate limit is per minute). */
function person(groups: string[]): Identity {
  people += 1;
  return { provider: 'corp', id: `p${people}`, name: `Person ${people}`, email: `p${people}@example.com`, groups, claims: {} };
}

async function session(identity: Identity): Promise<string> {
  const { setCookie } = await openSession(gw.gateway.services, { provider: identity.provider, identity, sessionIndexes: [] });
  return setCookie.split(';')[0]!;
}

/** Invites in the store, whoever made them. */
async function inviteCount(): Promise<number> {
  return ((await redisCommand(redis.port, 'KEYS', `${prefix}invite:*`)) as string[]).length;
}

/** The invite link on the running server (the configured publicUrl is not where the test listens). */
const local = (url: string) => url.replace('http://127.0.0.1:9/sso', gw.base);
const page = (room = 'Team%20Call', tenant = 'acme') => `${gw.base}/invites/${tenant}/${room}`;
const create = (csrf: string, fields: Record<string, string> = {}) => ({ csrf, action: 'create', role: 'participant', uses: '1', ttlSeconds: '3600', label: '', ...fields });

describe('a moderator with a gateway session', () => {
  it('creates a link on the page → the link works → it is listed → withdrawn → 410', async () => {
    const host = person(['hosts']);
    const cookie = await session(host);
    const opened = await openManager(page(), cookie);
    expect(opened.status).toBe(200);
    expect(opened.html).toContain('<h1>Invite guests</h1>');
    expect(opened.html).toContain('acme/team call');
    expect(opened.html).toContain('<form method="post" action="/sso/invites/acme/team%20call"');
    expect(opened.html).toContain('You have not created any links for this meeting yet.');
    expect(opened.html).toMatch(/<input id="uses" name="uses" type="number"[^>]* min="1" max="50"/);
    expect(opened.csrf).toMatch(/^\d+\.[\w-]{22}\.[\w-]{43}$/);
    expect(opened.cookie).toBe(opened.csrf);
    expect(opened.cookiePath).toBe('/sso/invites/acme/team%20call');
    expect(opened.headers.getSetCookie().join('\n')).toMatch(/jsg_invites=[^;]+; Path=\/sso\/invites\/acme\/team%20call; Max-Age=900; HttpOnly; SameSite=Strict/);
    expect(opened.headers.get('cache-control')).toBe('no-store');

    const before = await inviteCount();
    const created = await postManager(page(), create(opened.csrf, { uses: '2', label: 'Guest talk: <compilers>' }), { session: cookie, form: opened.cookie });
    expect(created.status).toBe(201);
    expect(await inviteCount()).toBe(before + 1);
    const link = createdLink(created.html);
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:9\/sso\/invite\/[\w-]{22}$/);
    const id = link!.split('/').pop()!;
    expect(created.html).toContain('Guests who open it join this meeting as guests.');
    expect(created.html).toContain(`data-invite="${id}"`);
    expect(created.html).toContain('&lt;compilers&gt;');
    expect(created.html).not.toContain('<compilers>');
    // The answer carries a fresh form token: the next form works without reloading.
    expect(created.page.csrf).not.toBe(opened.csrf);
    expect(created.page.cookie).toBe(created.page.csrf);

    // The API sees the same invite, made by this person for this room.
    const listed = await call('GET', `${gw.base}/api/v1/invites`, { headers: { cookie } });
    expect(listed.body.invites).toEqual([expect.objectContaining({ id, createdBy: `user:corp:${host.id}`, tenant: 'acme', room: 'team%20call', uses: 2, label: 'Guest talk: <compilers>' })]);

    const guestJoin = await redeem(local(link!), 'Grace');
    expect(guestJoin.status).toBe(303);
    const claims = await verifyMeetToken(tokenOfJoinUrl(guestJoin.location!));
    expect(claims.context.user).toMatchObject({ name: 'Grace', moderator: false });

    const again = await openManager(page(), cookie);
    expect(again.html).toMatch(new RegExp(`<tr data-invite="${id}">[\\s\\S]*?1 of 2[\\s\\S]*?data-status="active"`));
    const revoked = await postManager(page(), { csrf: again.csrf, action: 'revoke', id }, { session: cookie, form: again.cookie });
    expect(revoked.status).toBe(303);
    expect(revoked.location).toBe('/sso/invites/acme/team%20call');
    expect((await redeem(local(link!), 'Late')).status).toBe(410);
    const after = await openManager(page(), cookie);
    expect(after.html).toContain('data-status="revoked"');
    expect(after.html).toContain('Withdrawn');
  });

  it('a moderator link gives moderator guests', async () => {
    const cookie = await session(person(['hosts']));
    const opened = await openManager(page('Board'), cookie);
    const created = await postManager(page('Board'), create(opened.csrf, { role: 'moderator' }), { session: cookie, form: opened.cookie });
    expect(created.status).toBe(201);
    expect(created.html).toContain('as moderators');
    const done = await redeem(local(createdLink(created.html)!), 'Co-host');
    const claims = await verifyMeetToken(tokenOfJoinUrl(done.location!));
    expect(claims.context.user).toMatchObject({ moderator: true, affiliation: 'owner' });
  });

  it('lists only this person’s links for this room', async () => {
    const [a, b] = [await session(person(['hosts'])), await session(person(['hosts']))];
    const pageA = await openManager(page('Shared'), a);
    const createdA = await postManager(page('Shared'), create(pageA.csrf), { session: a, form: pageA.cookie });
    const idA = createdLink(createdA.html)!.split('/').pop()!;
    const other = await openManager(page('Other'), a);
    expect(other.html).not.toContain(idA);
    const pageB = await openManager(page('Shared'), b);
    expect(pageB.html).not.toContain(idA);
    // B cannot withdraw A's link, even with a valid form of their own.
    const refused = await postManager(page('Shared'), { csrf: pageB.csrf, action: 'revoke', id: idA }, { session: b, form: pageB.cookie });
    expect(refused.status).toBe(404);
    expect(refused.html).toContain('You have no invite with this id.');
    expect((await openInvite(local(createdLink(createdA.html)!))).status).toBe(200);
  });

  it('speaks the browser’s language', async () => {
    const cookie = await session(person(['hosts']));
    const de = await openManager(page(), cookie, 'de');
    expect(de.html).toContain('<h1>Gäste einladen</h1>');
    expect(de.html).toContain('Anzahl der Gäste');
    const fr = await openManager(page(), cookie, 'fr');
    expect(fr.html).toContain('<h1>Inviter des personnes</h1>');
  });

  it('a room without tenant and another target are addressed by - and ?target=', async () => {
    const cookie = await session(person(['hosts']));
    const video = await openManager(`${page('Lecture')}?target=video`, cookie);
    expect(video.status).toBe(200);
    expect(video.html).toContain('action="/sso/invites/acme/lecture?target=video"');
    const created = await postManager(`${page('Lecture')}?target=video`, create(video.csrf), { session: cookie, form: video.cookie });
    expect(created.status).toBe(201);
    const root = await openManager(page('Lobby', '-'), cookie);
    expect(root.status).toBe(200);
    expect(root.cookiePath).toBe('/sso/invites/-/lobby');
    expect((await postManager(page('Lobby', '-'), create(root.csrf), { session: cookie, form: root.cookie })).status).toBe(201);
    const listed = (await call('GET', `${gw.base}/api/v1/invites`, { headers: { cookie } })).body.invites as Array<Record<string, unknown>>;
    expect(listed).toHaveLength(2);
    expect(listed).toContainEqual(expect.objectContaining({ target: 'video', tenant: 'acme', room: 'lecture' }));
    expect(listed).toContainEqual(expect.objectContaining({ target: 'meet', room: 'lobby' }));
    expect(listed.find((invite) => invite.room === 'lobby')?.tenant).toBeUndefined();
  });
});

describe('the page refuses, and no invite is created', () => {
  it('without a session: 401 telling the person to join the meeting first', async () => {
    const before = await inviteCount();
    const opened = await openManager(page());
    expect(opened.status).toBe(401);
    expect(opened.html).toContain('data-error="unauthorized"');
    expect(opened.html).toContain('join the meeting first');
    expect(opened.html).toContain('href="https://meet.example.com/acme/team%20call"');
    expect(opened.html).not.toContain('name="csrf"');
    expect(opened.cookie).toBe('');
    const forged = await postManager(page(), create('x'), { form: 'x' });
    expect(forged.status).toBe(401);
    const unknownSession = await openManager(page(), `jsg_session=${'A'.repeat(43)}`);
    expect(unknownSession.status).toBe(401);
    expect(await inviteCount()).toBe(before);
  });

  it('a person the policy does not make moderator: 403, no form', async () => {
    const cookie = await session(person([]));
    const before = await inviteCount();
    const opened = await openManager(page(), cookie, 'de');
    expect(opened.status).toBe(403);
    expect(opened.html).toContain('data-error="forbidden"');
    expect(opened.html).toContain('Nur Moderatoren dieser Besprechung');
    expect(opened.html).not.toContain('<form');
    // A token from a moderator's page does not help either.
    const host = await session(person(['hosts']));
    const hostPage = await openManager(page(), host);
    const post = await postManager(page(), create(hostPage.csrf), { session: cookie, form: hostPage.cookie });
    expect(post.status).toBe(403);
    expect(await inviteCount()).toBe(before);
  });

  it.each<[string, (form: { csrf: string; cookie: string }) => { csrf?: string; cookie?: string }]>([
    ['no form cookie (a cross-site POST does not carry the SameSite=Strict cookie)', (form) => ({ csrf: form.csrf })],
    ['no csrf field', (form) => ({ cookie: form.cookie })],
    ['a csrf field that differs from the cookie', (form) => ({ csrf: form.csrf.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), cookie: form.cookie })],
    ['a matching pair the gateway never issued', (form) => {
      const forged = `${form.csrf.split('.')[0]}.${'B'.repeat(22)}.${'C'.repeat(43)}`;
      return { csrf: forged, cookie: forged };
    }],
  ])('%s → 400, the page again', async (_what, forge) => {
    const cookie = await session(person(['hosts']));
    const opened = await openManager(page(), cookie);
    const { csrf, cookie: formCookie } = forge(opened);
    const before = await inviteCount();
    const answer = await postManager(page(), { ...create(csrf ?? ''), ...(csrf === undefined ? { csrf: '' } : {}) }, { session: cookie, ...(formCookie !== undefined ? { form: formCookie } : {}) });
    expect(answer.status).toBe(400);
    expect(answer.html).toContain('This page had expired. Please try again.');
    expect(answer.page.csrf).toMatch(/^\d+\./);
    expect(await inviteCount()).toBe(before);
  });

  it('a form is accepted once: replaying a successful POST creates nothing more', async () => {
    const cookie = await session(person(['hosts']));
    const opened = await openManager(page(), cookie);
    const before = await inviteCount();
    expect((await postManager(page(), create(opened.csrf), { session: cookie, form: opened.cookie })).status).toBe(201);
    const replay = await postManager(page(), create(opened.csrf), { session: cookie, form: opened.cookie });
    expect(replay.status).toBe(400);
    expect(createdLink(replay.html)).toBeUndefined();
    expect(await inviteCount()).toBe(before + 1);
  });

  it('a form of another room or another person does not work', async () => {
    const [a, b] = [await session(person(['hosts'])), await session(person(['hosts']))];
    const before = await inviteCount();
    const roomA = await openManager(page('Room A'), a);
    expect((await postManager(page('Room B'), create(roomA.csrf), { session: a, form: roomA.cookie })).status).toBe(400);
    expect((await postManager(page('Room A'), create(roomA.csrf), { session: b, form: roomA.cookie })).status).toBe(400);
    expect(await inviteCount()).toBe(before);
  });

  it.each<[string, Record<string, string>, string]>([
    ['more uses than allowed', { uses: '51' }, 'uses may be at most 50.'],
    ['zero uses', { uses: '0' }, 'uses'],
    ['uses that are not a number', { uses: 'lots' }, 'whole number'],
    ['a negative number of uses', { uses: '-1' }, 'whole number'],
    ['a link living longer than allowed', { ttlSeconds: '86401' }, 'ttlSeconds may be at most 86400.'],
    ['no lifetime', { ttlSeconds: '' }, 'how long the link is valid'],
    ['a note that is too long', { label: 'x'.repeat(201) }, 'at most 200 characters'],
    ['a note with control characters', { label: 'Hi\u0007there' }, 'control characters'],
    ['a role that does not exist', { role: 'owner' }, 'how guests join'],
  ])('%s → 400 with the reason, entries kept', async (_what, fields, message) => {
    const cookie = await session(person(['hosts']));
    const opened = await openManager(page(), cookie);
    const before = await inviteCount();
    const answer = await postManager(page(), create(opened.csrf, fields), { session: cookie, form: opened.cookie });
    expect(answer.status).toBe(400);
    expect(answer.html).toContain('role="alert"');
    expect(answer.html).toContain(message.replace(/"/g, '&quot;'));
    expect(createdLink(answer.html)).toBeUndefined();
    expect(await inviteCount()).toBe(before);
  });

  it('an unknown action or an unknown invite to withdraw → 4xx page', async () => {
    const cookie = await session(person(['hosts']));
    let form = await openManager(page(), cookie);
    const unknown = await postManager(page(), { csrf: form.csrf, action: 'delete-all' }, { session: cookie, form: form.cookie });
    expect(unknown.status).toBe(400);
    form = unknown.page;
    for (const id of ['AAAAAAAAAAAAAAAAAAAAAA', '../../etc/passwd', '']) {
      const answer = await postManager(page(), { csrf: form.csrf, action: 'revoke', id }, { session: cookie, form: form.cookie });
      expect(answer.status).toBe(404);
      expect(answer.html).toContain('You have no invite with this id.');
      form = answer.page;
    }
  });

  it('wrong content type → 415, oversized form → 413', async () => {
    const cookie = await session(person(['hosts']));
    const opened = await openManager(page(), cookie);
    const before = await inviteCount();
    for (const type of ['application/json', 'text/plain', 'multipart/form-data; boundary=x']) {
      expect((await postManager(page(), create(opened.csrf), { session: cookie, form: opened.cookie }, type)).status).toBe(415);
    }
    expect((await postManager(page(), create(opened.csrf, { label: 'x'.repeat(5000) }), { session: cookie, form: opened.cookie })).status).toBe(413);
    expect(await inviteCount()).toBe(before);
  });

  it.each([
    ['a room pattern', '*', 'acme', '', 'invalid_room'],
    ['a path in the room', '..%2Fx', 'acme', '', 'invalid_room'],
    ['an encoded pattern', '%2A', 'acme', '', 'invalid_room'],
    ['a tenant pattern', 'room', '*', '', 'unknown_tenant'],
    ['a tenant not served', 'room', 'evil', '', 'unknown_tenant'],
    ['a path as the tenant', 'room', '..%2Facme', '', 'unknown_tenant'],
    ['an unknown target', 'room', 'acme', '?target=nope', 'unknown_target'],
    ['a malformed target', 'room', 'acme', '?target=../x', 'invalid_request'],
  ])('%s → 4xx page, no form, nothing created', async (_what, room, tenant, query, code) => {
    const cookie = await session(person(['hosts']));
    const before = await inviteCount();
    const opened = await openManager(`${page(room, tenant)}${query}`, cookie);
    expect(opened.status).toBeGreaterThanOrEqual(400);
    expect(opened.status).toBeLessThan(500);
    expect(opened.html).toContain(`data-error="${code}"`);
    expect(opened.html).not.toContain('name="csrf"');
    const good = await openManager(page(), cookie);
    const post = await postManager(`${page(room, tenant)}${query}`, create(good.csrf), { session: cookie, form: good.cookie });
    expect(post.status).toBeGreaterThanOrEqual(400);
    expect(post.status).toBeLessThan(500);
    expect(await inviteCount()).toBe(before);
  });
});
