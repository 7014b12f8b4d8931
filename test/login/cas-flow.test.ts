import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { casPolicy, CasBrowser, casProviders, logoutRequestXml, postSlo, type CasProviderName } from '../support/cas-gateway.js';
import { casLoginWithCookie, casLogout, ensureLemonldap, type LemonldapInstance } from '../support/lemonldap.js';
import { sleep, startRedis, type RedisServer } from '../support/redis.js';
import { asJson, carriesNoToken, expectRejected, freePort, gatewaySettings, jitsiState, startGateway, TARGET_URL, tokenFromJoinUrl, verifyWithGatewayKeys, type RunningGateway, type Step } from './harness.js';

/**
 * The CAS journey through the whole gateway, against a REAL CAS server (LemonLDAP::NG 2.16 from
 * Debian's packages, test/support/lemonldap.ts) and a real redis-server: Jitsi's tokenAuthUrl →
 * gateway /login → LemonLDAP's login form → gateway callback (ticket validated at
 * /p3/serviceValidate, /serviceValidate or /validate) → gateway session → policy → room-scoped
 * token in the hash. Then SSO for a second room, renew, single logout (LemonLDAP POSTs the
 * logoutRequest to the callback URL), front-channel logout, and hostile input at the callback and
 * at the single-logout endpoint. Nothing is simulated except the hostile requests themselves.
 */

/** Own LemonLDAP instance (SLO on), apart from test/idp/cas (18931) and cas-browser (18942). */
const IDP_PORT = Number(process.env.JSG_TEST_CAS_GW_IDP_PORT ?? 18941);
/** LemonLDAP's portalForceAuthnInterval: renew re-asks the password only for older authentications. */
const FORCE_AUTHN_INTERVAL = 2;

let redis: RedisServer;
let idp: LemonldapInstance;
let gw: RunningGateway;

beforeAll(async () => {
  const [redisServer, lemonldap, port] = await Promise.all([
    startRedis(),
    ensureLemonldap({ port: IDP_PORT, casSingleLogout: true, forceAuthnInterval: FORCE_AUTHN_INTERVAL }),
    freePort(),
  ]);
  redis = redisServer;
  idp = lemonldap;
  // publicUrl is the gateway's real listening URL: the CAS service URL (and LemonLDAP's SLO POST
  // target) is built from it.
  const providers = casProviders(idp.casUrl, {
    casrenew: { displayName: 'LemonLDAP (renew)', version: '3.0', renew: true },
    casgw: { displayName: 'LemonLDAP (gateway mode)', version: '3.0', gateway: true },
  });
  gw = await startGateway(gatewaySettings(port, redis.url, providers, { policy: casPolicy(providers) }), port);
}, 600_000);

afterAll(async () => {
  await gw?.stop();
  await redis?.destroy();
  if (idp && process.env.JSG_TEST_KEEP_IDP !== '1') await idp.stop();
}, 120_000);

const loginUrl = (state: { room: string; tenant?: string; refreshToken?: string }, provider?: string) =>
  `${gw.url}/login?room=${encodeURIComponent(state.room)}&state=${jitsiState(state)}${provider ? `&provider=${provider}` : ''}`;

const casLoginPrefix = () => `${idp.casUrl}/login?`;
const randomTx = () => randomBytes(16).toString('base64url');

type User = Record<string, unknown>;

async function claimsOf(step: Step): Promise<{ room: unknown; sub: unknown; user: User }> {
  expect(step.status, step.body.slice(0, 300)).toBe(303);
  const claims = await verifyWithGatewayKeys(gw.url, tokenFromJoinUrl(step.location ?? ''));
  return { room: claims.room, sub: claims.sub, user: (claims.context as { user: User }).user };
}

/** A fresh login transaction of this browser: the service URL (with tx) the gateway sent to CAS. */
async function newService(browser: CasBrowser, provider: CasProviderName | 'casrenew' | 'casgw', room = 'probe'): Promise<string> {
  const start = await browser.request(loginUrl({ room, tenant: 'acme' }, provider));
  expect(start.location?.startsWith(casLoginPrefix())).toBe(true);
  return new URL(start.location ?? '').searchParams.get('service') ?? '';
}

/** Whether the browser's gateway session still mints a token for a new room without CAS. */
async function stillMints(browser: CasBrowser, room: string): Promise<boolean> {
  const step = await browser.request(loginUrl({ room, tenant: 'acme' }));
  return step.status === 303 && (step.location ?? '').startsWith(`${TARGET_URL}/acme/${room}#jwt=`);
}

const VERSIONS = [
  ['cas3', '3.0'],
  ['cas2', '2.0'],
  ['cas1', '1.0'],
] as const;

describe.each(VERSIONS)('CAS through the gateway: %s (protocol %s)', (provider, version) => {
  const attributes = version !== '1.0'; // CAS 1.0 (/validate) answers "yes\n<user>" and nothing else

  it('dwho: login form at LemonLDAP → a token for exactly the room, with name, email, and the timelords group making him moderator', async () => {
    const browser = new CasBrowser();
    const journey = await browser.casLogin(loginUrl({ room: 'Gallifrey Council', tenant: 'acme' }, provider), 'dwho');

    // The gateway sent the browser to <cas>/login with a service URL built from publicUrl, carrying the transaction.
    const casLogin = new URL(journey.start.location ?? '');
    expect(`${casLogin.origin}${casLogin.pathname}`).toBe(`${idp.casUrl}/login`);
    const service = casLogin.searchParams.get('service') ?? '';
    expect(service).toMatch(new RegExp(`^${gw.url}/auth/${provider}/callback\\?tx=[A-Za-z0-9_-]{22}$`));
    expect(casLogin.searchParams.has('renew')).toBe(false);
    expect(casLogin.searchParams.has('gateway')).toBe(false);
    expect(journey.formShown).toBe(true);
    expect(journey.callbackUrl.startsWith(`${service}&ticket=ST-`)).toBe(true);

    expect(journey.final.location).toMatch(new RegExp(`^${TARGET_URL}/acme/gallifrey%20council#jwt=%22[^%]+%22$`));
    const { room, sub, user } = await claimsOf(journey.final);
    expect(room).toBe('gallifrey%20council');
    expect(sub).toBe('acme');
    if (attributes) {
      expect(user).toEqual({ id: 'dwho', name: 'Doctor Who', email: 'dwho@badwolf.org', moderator: true });
    } else {
      // No attributes, so no groups: the timelords rule cannot match and the default applies.
      expect(user).toEqual({ id: 'dwho', moderator: false });
    }
    const sessionCookie = journey.final.headers.getSetCookie().find((cookie) => cookie.startsWith('jsg_session='));
    expect(sessionCookie).toMatch(/; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/);
  });

  it('rtyler (earthlings): a participant; the tardis-* rule denies her a room, with no token', async () => {
    const browser = new CasBrowser();
    const { final } = await browser.casLogin(loginUrl({ room: 'Powell Estate', tenant: 'acme' }, provider), 'rtyler');
    const { room, user } = await claimsOf(final);
    expect(room).toBe('powell%20estate');
    expect(user).toEqual(attributes ? { id: 'rtyler', name: 'Rose Tyler', email: 'rtyler@badwolf.org', moderator: false } : { id: 'rtyler', moderator: false });

    const denied = await browser.request(loginUrl({ room: 'tardis-control', tenant: 'acme' }), { headers: { accept: 'application/json' } });
    expectRejected(denied, 403);
    expect(JSON.parse(denied.body)).toMatchObject({ error: 'access_denied', message: 'Only Time Lords may fly the TARDIS.' });

    if (attributes) {
      // dwho's groups from CAS let him in, as moderator.
      const doctor = new CasBrowser();
      const tardis = await doctor.casLogin(loginUrl({ room: 'tardis-control', tenant: 'acme' }, provider), 'dwho');
      expect((await claimsOf(tardis.final)).user.moderator).toBe(true);
    }
  });

  it('second room: the gateway session mints at once (no CAS round trip, no new ticket); a browser with only the CAS cookie gets single sign-on (no form, a new ticket)', async () => {
    const browser = new CasBrowser();
    const first = await browser.casLogin(loginUrl({ room: 'first', tenant: 'acme' }, provider), 'dwho');
    expect((await claimsOf(first.final)).room).toBe('first');

    // Same browser, another room, no provider named: the gateway session answers directly.
    const second = await browser.request(loginUrl({ room: 'Ärger', tenant: 'acme' }));
    expect(second.location).toMatch(new RegExp(`^${TARGET_URL}/acme/%c3%a4rger#jwt=`));
    const claims = await claimsOf(second);
    expect(claims.room).toBe('%c3%a4rger');
    expect(claims.user.id).toBe('dwho');

    // Naming the same provider does not force a new CAS login either.
    const named = await browser.request(loginUrl({ room: 'third', tenant: 'acme' }, provider));
    expect(named.location).toMatch(new RegExp(`^${TARGET_URL}/acme/third#jwt=`));

    // A browser that has the CAS session but no gateway session: CAS SSO, no form, a fresh ticket.
    const sso = await browser.withOnlyCasSession().casLogin(loginUrl({ room: 'fourth', tenant: 'acme' }, provider), 'dwho');
    expect(sso.formShown).toBe(false);
    expect(sso.ticket).not.toBe(first.ticket);
    const ssoClaims = await claimsOf(sso.final);
    expect(ssoClaims.room).toBe('fourth');
    expect(ssoClaims.user.id).toBe('dwho');
  });
});

describe('renew and gateway mode', () => {
  // The login flow never passes forceLogin to the provider (no /login parameter asks for it), so
  // renew is what the provider settings say: `casrenew` has renew: true.
  it('settings.renew: the form again despite the CAS session; a single-sign-on ticket with renew stripped is refused', async () => {
    const browser = new CasBrowser();
    await browser.casLogin(loginUrl({ room: 'before-renew', tenant: 'acme' }, 'cas3'), 'dwho');
    // LemonLDAP re-asks only when the last authentication is older than portalForceAuthnInterval.
    await sleep((FORCE_AUTHN_INTERVAL + 1) * 1000);

    // Someone drops renew=true from the CAS login URL: LemonLDAP answers with an SSO ticket,
    // which the gateway's renew=true validation refuses.
    const start = await browser.request(loginUrl({ room: 'renewed', tenant: 'acme' }, 'casrenew'));
    const stripped = new URL(start.location ?? '');
    expect(stripped.searchParams.get('renew')).toBe('true');
    stripped.searchParams.delete('renew');
    const sso = await browser.atCas(stripped.href, 'dwho');
    expect(sso.formShown).toBe(false);
    const { step, error } = await asJson(browser, sso.callbackUrl);
    expectRejected(step, 400);
    expect(error.error).toBe('login_expired');

    // The real renew login: LemonLDAP shows the form (after its "upgrade session" page).
    const renewed = await browser.casLogin(loginUrl({ room: 'renewed', tenant: 'acme' }, 'casrenew'), 'dwho');
    expect(new URL(renewed.start.location ?? '').searchParams.get('renew')).toBe('true');
    expect(renewed.formShown).toBe(true);
    const claims = await claimsOf(renewed.final);
    expect(claims).toMatchObject({ room: 'renewed', user: { id: 'dwho', moderator: true } });

    // renew is about the CAS step: the gateway session it opened serves the next room like any
    // other (the gateway's own session is not re-checked against CAS).
    expect(await stillMints(browser, 'after-renew')).toBe(true);
  });

  it('settings.gateway: without a CAS session LemonLDAP sends the browser back without a ticket → 403, no token; with one, a token without the form', async () => {
    const stranger = new CasBrowser();
    const start = await stranger.request(loginUrl({ room: 'quiet', tenant: 'acme' }, 'casgw'));
    expect(new URL(start.location ?? '').searchParams.get('gateway')).toBe('true');
    const hops = await stranger.follow(start.location ?? '');
    const back = hops.at(-1) as Step;
    expect(back.url.startsWith(`${gw.url}/auth/casgw/callback?tx=`)).toBe(true);
    expect(new URL(back.url).searchParams.has('ticket')).toBe(false);
    expectRejected(back, 403);
    expect(back.body).toMatch(/not signed in/);

    const member = new CasBrowser();
    await member.casLogin(loginUrl({ room: 'loud', tenant: 'acme' }, 'cas3'), 'rtyler');
    const quiet = member.withOnlyCasSession();
    const start2 = await quiet.request(loginUrl({ room: 'quiet', tenant: 'acme' }, 'casgw'));
    const hops2 = await quiet.follow(start2.location ?? '');
    const final = hops2.at(-1) as Step;
    expect((await claimsOf(final)).user).toMatchObject({ id: 'rtyler', moderator: false });
  });
});

describe.each(VERSIONS)('single logout: %s (protocol %s)', (provider) => {
  it('logging out at LemonLDAP makes it POST a logoutRequest to the callback URL; the gateway session ends, another person’s stays', async () => {
    const victim = new CasBrowser();
    const first = await victim.casLogin(loginUrl({ room: 'slo-a', tenant: 'acme' }, provider), 'msmith');
    expect(first.final.status).toBe(303);
    expect(await stillMints(victim, 'slo-b')).toBe(true);

    // The same CAS session in another browser (CAS SSO, its own ticket and gateway session).
    const sibling = victim.withOnlyCasSession();
    const siblingLogin = await sibling.casLogin(loginUrl({ room: 'slo-s', tenant: 'acme' }, provider), 'msmith');
    expect(siblingLogin.formShown).toBe(false);
    expect(siblingLogin.final.status).toBe(303);

    const bystander = new CasBrowser();
    expect((await bystander.casLogin(loginUrl({ room: 'slo-c', tenant: 'acme' }, provider), 'rtyler')).final.status).toBe(303);

    // LemonLDAP sends the back-channel POSTs synchronously, before answering the logout.
    const logout = await casLogout(idp.casUrl, victim.lemonldapCookie());
    expect([200, 302]).toContain(logout.status);

    // The gateway session is gone: the next room goes back to CAS, which shows the form again.
    const next = await victim.request(loginUrl({ room: 'slo-d', tenant: 'acme' }, provider));
    expect(next.status).toBe(303);
    expect(next.location?.startsWith(casLoginPrefix())).toBe(true);
    expect(carriesNoToken(next)).toBe(true);
    const chooser = await victim.request(loginUrl({ room: 'slo-d', tenant: 'acme' }));
    expect(chooser.status).toBe(200); // no session: the provider chooser, not a token
    expect(carriesNoToken(chooser)).toBe(true);
    const again = await victim.atCas(next.location ?? '', 'msmith');
    expect(again.formShown).toBe(true);
    // LemonLDAP POSTs one logoutRequest per validated ticket: the sibling's session ended too.
    expect(await stillMints(sibling, 'slo-t')).toBe(false);

    // The other person's session was not touched.
    expect(await stillMints(bystander, 'slo-e')).toBe(true);
  });
});

describe('single logout and the tokenAuthInline refresh handle', () => {
  it('after SLO, the refresh handle Jitsi holds (CONNECTION_TOKEN_EXPIRED) no longer mints', async () => {
    const browser = new CasBrowser();
    const { final } = await browser.casLogin(`${loginUrl({ room: 'Popup', tenant: 'acme' }, 'cas3')}&nonce=0123abcd`, 'dwho');
    expect(final.status).toBe(200);
    const data = /<script type="application\/json" id="jsg-post">([^<]*)<\/script>/.exec(final.body)?.[1] ?? '';
    const post = JSON.parse(data) as { origin: string; message: { type: string; accessToken: string; refreshToken: string } };
    expect(post).toMatchObject({ origin: TARGET_URL, message: { type: 'oauth-success' } });
    expect((await verifyWithGatewayKeys(gw.url, post.message.accessToken)).room).toBe('popup');
    const refresh = (handle: string) => new CasBrowser().request(`${loginUrl({ room: 'Popup', tenant: 'acme', refreshToken: handle }, 'cas3')}&inline=1`);

    // It works while the session lives (and rotates).
    const renewed = await refresh(post.message.refreshToken);
    expect(renewed.status).toBe(200);
    const next = (JSON.parse(/id="jsg-post">([^<]*)</.exec(renewed.body)?.[1] ?? '{}') as { message: { refreshToken: string } }).message.refreshToken;
    expect(next).toMatch(/^[A-Za-z0-9_-]{43}$/);

    await casLogout(idp.casUrl, browser.lemonldapCookie());
    const after = await refresh(next);
    expect(after.status).toBe(303);
    expect(after.location?.startsWith(casLoginPrefix())).toBe(true);
    expect(carriesNoToken(after)).toBe(true);
  });
});

describe('front-channel logout through the gateway', () => {
  it('/logout ends the gateway session and sends the browser to <cas>/logout?service=<publicUrl>/logout/done, which ends the CAS session and returns', async () => {
    const browser = new CasBrowser();
    const { final } = await browser.casLogin(loginUrl({ room: 'bye', tenant: 'acme' }, 'cas3'), 'dwho');
    const stolenCookie = final.headers.getSetCookie().find((cookie) => cookie.startsWith('jsg_session='))?.split(';')[0] ?? '';
    expect(stolenCookie).toMatch(/^jsg_session=[A-Za-z0-9_-]{43}$/);

    const logout = await browser.logout(`${gw.url}/logout`);
    expect(logout.status).toBe(303);
    expect(logout.location).toBe(`${idp.casUrl}/logout?service=${encodeURIComponent(`${gw.url}/logout/done`)}`);
    expect(logout.headers.getSetCookie().some((cookie) => /^jsg_session=;.*Max-Age=0/.test(cookie))).toBe(true);

    // At LemonLDAP (which also POSTs the SLO request for the already ended session), then back.
    const hops = await browser.follow(logout.location ?? '');
    expect(hops.at(-1)?.url).toBe(`${gw.url}/logout/done`);
    expect(hops.at(-1)?.status).toBe(200);

    // No gateway session (not even for someone who kept the old cookie), and no CAS session.
    const replay = await fetch(loginUrl({ room: 'bye-again', tenant: 'acme' }, 'cas3'), { headers: { cookie: stolenCookie }, redirect: 'manual' });
    expect(replay.status).toBe(303);
    expect(replay.headers.get('location')?.startsWith(casLoginPrefix())).toBe(true);
    const next = await browser.toCallback(loginUrl({ room: 'bye-again', tenant: 'acme' }, 'cas3'), 'dwho');
    expect(next.formShown).toBe(true);
  });
});

describe('hostile input at the gateway callback', () => {
  it('a replayed callback (same transaction) and a used ticket under a new transaction: 400, no token', async () => {
    const browser = new CasBrowser();
    const journey = await browser.toCallback(loginUrl({ room: 'replay', tenant: 'acme' }, 'cas3'), 'dwho');
    const first = await browser.request(journey.callbackUrl);
    expect((await claimsOf(first)).room).toBe('replay');

    const replay = await asJson(browser, journey.callbackUrl);
    expectRejected(replay.step, 400);
    expect(replay.error.error).toBe('login_expired');

    // The used ticket delivered to the callback of a new transaction (in a browser without a
    // gateway session, which would otherwise mint at once): LemonLDAP says INVALID_TICKET.
    const other = new CasBrowser();
    const reused = await asJson(other, `${await newService(other, 'cas3')}&ticket=${journey.ticket}`);
    expectRejected(reused.step, 400);
    expect(reused.error).toMatchObject({ error: 'login_expired', message: expect.stringMatching(/unknown, already used or expired/) });
  });

  it('a callback (with a genuine ticket) opened in another browser: 400 login_mismatch, no token', async () => {
    const victim = new CasBrowser();
    const journey = await victim.toCallback(loginUrl({ room: 'stolen', tenant: 'acme' }, 'cas3'), 'dwho');
    const attacker = new CasBrowser();
    const { step, error } = await asJson(attacker, journey.callbackUrl);
    expectRejected(step, 400);
    expect(error.error).toBe('login_mismatch');
  });

  it.each(VERSIONS)('%s: a ticket issued for another service is refused (and the stolen ticket is dead afterwards)', async (provider) => {
    const browser = new CasBrowser();
    // A ticket for transaction 1's service URL, delivered to transaction 2's callback.
    const victim = await browser.toCallback(loginUrl({ room: 'service-a', tenant: 'acme' }, provider), 'dwho');
    // Over http every login start replaces the binding cookie (no __Host- prefix to vouch for
    // earlier values): keep transaction 1's binding to come back to it.
    const firstBinding = browser.cookies.get('jsg_session_login');
    const service = await newService(browser, provider, 'service-b');
    const moved = await asJson(browser, `${service}&ticket=${victim.ticket}`);
    expectRejected(moved.step, 400);
    expect(moved.error.error).toBe('login_expired');
    if (provider !== 'cas1') expect(moved.error.message).toMatch(/issued for a different address/);
    // LemonLDAP destroyed it on the mismatch: useless for its own transaction now.
    if (firstBinding) browser.cookies.set('jsg_session_login', firstBinding);
    const own = await asJson(browser, victim.callbackUrl);
    expectRejected(own.step, 400);
    expect(own.error.error).toBe('login_expired');

    // A ticket LemonLDAP issued for a completely different application.
    const foreign = await casLoginWithCookie(idp.casUrl, 'http://127.0.0.1:9/other-app/', browser.lemonldapCookie());
    const elsewhere = await asJson(browser, `${await newService(browser, provider, 'service-c')}&ticket=${foreign.ticket}`);
    expectRejected(elsewhere.step, 400);
    expect(elsewhere.error.error).toBe('login_expired');
  });

  it.each([
    ['a 10 kB ticket', `ST-${'a'.repeat(10 * 1024)}`],
    ['markup in the ticket', 'ST-1-<script>alert(1)</script>'],
    ['a NUL byte', 'ST-1-abc\u0000def'],
    ['a space and a quote', 'ST-1 "x"'],
    ['a proxy ticket', 'PT-1-abcdef'],
    ['a path', 'ST-1/../../p3/proxyValidate'],
    ['an empty ticket', ''],
  ])('%s: refused by its format, 400 invalid_request, no token', async (_name, ticket) => {
    const browser = new CasBrowser();
    const service = await newService(browser, 'cas3');
    const { step, error } = await asJson(browser, `${service}&ticket=${encodeURIComponent(ticket)}`);
    expectRejected(step, 400);
    expect(error.error).toBe('invalid_request');
  });

  it('two ticket parameters: 400 invalid_request', async () => {
    const browser = new CasBrowser();
    const service = await newService(browser, 'cas3');
    const { step, error } = await asJson(browser, `${service}&ticket=ST-1-aaaa&ticket=ST-2-bbbb`);
    expectRejected(step, 400);
    expect(error.error).toBe('invalid_request');
  });

  it('an unknown, malformed or missing transaction id, or one of another provider: 400, and a real ticket for an unknown tx is never validated', async () => {
    const browser = new CasBrowser();
    for (const query of [`tx=${randomTx()}&ticket=ST-1-abcdef`, `tx=${'x'.repeat(300)}&ticket=ST-1-abcdef`, 'tx=..%2F..%2Fx&ticket=ST-1-abcdef', 'ticket=ST-1-abcdef', `tx=${randomTx()}&tx=${randomTx()}&ticket=ST-1-abcdef`]) {
      const { step, error } = await asJson(browser, `${gw.url}/auth/cas3/callback?${query}`);
      expectRejected(step, 400);
      expect(error.error).toBe('login_expired');
    }

    // A genuine ticket, for a service URL whose tx the gateway never issued.
    const lemonldap = new CasBrowser();
    await lemonldap.casLogin(loginUrl({ room: 'genuine', tenant: 'acme' }, 'cas3'), 'dwho');
    const forged = `${gw.url}/auth/cas3/callback?tx=${randomTx()}`;
    const genuine = await casLoginWithCookie(idp.casUrl, forged, lemonldap.lemonldapCookie());
    const unknown = await asJson(browser, genuine.location);
    expectRejected(unknown.step, 400);
    expect(unknown.error.error).toBe('login_expired');
    // The gateway did not spend it: LemonLDAP still validates it (once) for its service.
    const check = await fetch(`${idp.casUrl}/p3/serviceValidate?${new URLSearchParams({ service: forged, ticket: genuine.ticket })}`);
    expect(await check.text()).toContain('<cas:user>dwho</cas:user>');

    // A cas3 transaction answered at the cas2 callback.
    const service = new URL(await newService(browser, 'cas3'));
    const wrong = await asJson(browser, `${gw.url}/auth/cas2/callback?tx=${service.searchParams.get('tx')}&ticket=ST-1-abcdef`);
    expectRejected(wrong.step, 400);
    expect(wrong.error.error).toBe('login_mismatch');
  });
});

describe('hostile single-logout POSTs', () => {
  it('an unknown ticket, garbage, entities, another provider’s callback: ignored safely; the live session keeps minting until its own logoutRequest arrives', async () => {
    const live = new CasBrowser();
    const login = await live.casLogin(loginUrl({ room: 'live', tenant: 'acme' }, 'cas3'), 'dwho');
    expect(login.final.status).toBe(303);
    const cas3Callback = new URL(login.callbackUrl);
    cas3Callback.searchParams.delete('ticket');
    const sloUrl = cas3Callback.href; // where LemonLDAP POSTs: the service URL, tx included
    const form = (xml: string) => `logoutRequest=${encodeURIComponent(xml)}`;

    // A well-formed request for a ticket nobody has: accepted, nothing ended.
    for (const url of [sloUrl, `${gw.url}/auth/cas3/callback`, `${gw.url}/auth/cas3/backchannel-logout`]) {
      expect(await postSlo(url, form(logoutRequestXml(`ST-${randomTx()}`)))).toMatchObject({ status: 200 });
    }
    expect(await stillMints(live, 'live-1')).toBe(true);

    // Garbage: refused with 400 (JSON), nothing ended.
    const garbage: Array<[string, string, string?]> = [
      ['not XML', form('<samlp:LogoutRequest><samlp:SessionIndex>')],
      ['plain text', form('hello')],
      ['no logoutRequest field', `ticket=${login.ticket}`],
      ['two logoutRequest fields', `${form(logoutRequestXml(login.ticket))}&${form(logoutRequestXml(login.ticket))}`],
      ['no SessionIndex', form('<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="x"/>')],
      [
        'two SessionIndex',
        form(logoutRequestXml(login.ticket).replace('</samlp:LogoutRequest>', `<samlp:SessionIndex>${login.ticket}</samlp:SessionIndex></samlp:LogoutRequest>`)),
      ],
      [
        'an entity (XXE) payload naming the live ticket',
        form(`<?xml version="1.0"?><!DOCTYPE r [<!ENTITY t "${login.ticket}">]><samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><samlp:SessionIndex>&t;</samlp:SessionIndex></samlp:LogoutRequest>`),
      ],
      ['a 20 kB request', form(logoutRequestXml(`ST-${'a'.repeat(20 * 1024)}`))],
      ['raw XML garbage', '<<<>>>', 'text/xml'],
    ];
    for (const [what, body, type] of garbage) {
      const answer = await postSlo(sloUrl, body, type);
      expect(answer.status, what).toBe(400);
      expect(JSON.parse(answer.body), what).toMatchObject({ error: 'invalid_request' });
    }
    expect((await postSlo(sloUrl, JSON.stringify({ ticket: login.ticket }), 'application/json')).status).toBe(415);
    expect(await stillMints(live, 'live-2')).toBe(true);

    // The live session's real ticket, posted to another provider's callback: indexes are per provider.
    expect(await postSlo(`${gw.url}/auth/cas2/callback`, form(logoutRequestXml(login.ticket)))).toMatchObject({ status: 200 });
    expect(await postSlo(`${gw.url}/auth/nobody/callback`, form(logoutRequestXml(login.ticket)))).toMatchObject({ status: 404 });
    expect(await stillMints(live, 'live-3')).toBe(true);

    // Control: its own logoutRequest (raw XML works too) ends it.
    expect(await postSlo(sloUrl, logoutRequestXml(login.ticket), 'text/xml')).toMatchObject({ status: 200 });
    expect(await stillMints(live, 'live-4')).toBe(false);
  });

  it('counts the rejections in the metrics', async () => {
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    for (const kind of ['login_expired', 'invalid_request', 'login_mismatch', 'access_denied']) {
      expect(metrics).toMatch(new RegExp(`jsg_errors_total\\{kind="${kind}"\\} [1-9]`));
    }
  });
});
