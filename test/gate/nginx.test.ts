import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatePassSigner } from '../../src/gate/pass.js';
import { freePort, gatewaySettings, groupPolicy, ScriptedBrowser, startGateway, tokenFromJoinUrl, verifyWithGatewayKeys, type RunningGateway } from '../login/harness.js';
import { launchChromium, newContext } from '../support/chromium.js';
import { startNginx, type RunningNginx } from '../support/nginx.js';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc-provider.js';
import { sleep, startRedis, type RedisServer } from '../support/redis.js';
import { decodeJwt } from 'jose';

/**
 * The gate in front of Jitsi with a real nginx (Debian's, auth_request) as the reverse proxy, the
 * configuration docs/jitsi.md gives: two Jitsi hosts (targets `meet` and `other`, each an nginx
 * server on its own port) in front of a stand-in Jitsi upstream (a tiny node server answering the
 * page, config.js, BOSH and the XMPP WebSocket upgrade), the gateway on its own origin under /sso,
 * a real OpenID provider and a real Redis.
 *
 * The scripted browser keeps one cookie jar for 127.0.0.1 (cookies are per host, not per port),
 * so both Jitsi hosts see both pass cookies: that each check only honours the pass of its own
 * target is exactly what is tested.
 */

const GATE_SECRET = 'gate-test-secret-3f8a1c9e7b2d4f6a8c0e1b3d5f7a9c2e';
const RECHECK_SECONDS = 5;

let redis: RedisServer;
let idp: TestOidcProvider;
let gw: RunningGateway;
let nginx: RunningNginx;
let jitsi: Server;
let meetUrl: string;
let otherUrl: string;
const upstreamHits: string[] = [];

/** The stand-in Jitsi web + BOSH + WebSocket upstream. */
async function startJitsiUpstream(): Promise<Server> {
  const server = createServer((req, res) => {
    upstreamHits.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => {
      if (req.url?.startsWith('/http-bind')) {
        res.setHeader('Content-Type', 'text/xml');
        res.end("<body xmlns='http://jabber.org/protocol/httpbind'/>");
        return;
      }
      res.setHeader('Content-Type', req.url?.endsWith('.js') ? 'application/javascript' : 'text/html');
      res.end(`stand-in jitsi: ${req.url}`);
    });
  });
  server.on('upgrade', (req, socket) => {
    upstreamHits.push(`UPGRADE ${req.url}`);
    socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return server;
}

/**
 * One Jitsi host's nginx server block, as docs/jitsi.md gives it (gateway at
 * http://127.0.0.1:<gw>/sso on its own origin; the Jitsi host routes /sso/ to it).
 */
function jitsiServer(port: number, target: string, gatewayPort: number, upstreamPort: number): string {
  return `
    server {
        listen 127.0.0.1:${port};
        access_log ${'$'}{DIR}/access-${target}.log gate;

        location ^~ /sso/ {
            auth_request off;
            proxy_pass http://127.0.0.1:${gatewayPort};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }
        location = /_gate_check {
            internal;
            auth_request off;
            proxy_pass http://jitsi_sso_gateway/sso/gate/check/${target};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
        }
        location @gate_sign_in {
            return 302 $gate_sign_in;
        }

        auth_request /_gate_check;
        auth_request_set $gate_user $upstream_http_x_auth_request_user;
        auth_request_set $gate_provider $upstream_http_x_auth_request_provider;
        auth_request_set $gate_cookie $upstream_http_set_cookie;
        auth_request_set $gate_sign_in $upstream_http_x_gate_sign_in;
        error_page 401 = @gate_sign_in;
        add_header Set-Cookie $gate_cookie always;

        location = /xmpp-websocket {
            add_header Set-Cookie $gate_cookie always;
            proxy_pass http://127.0.0.1:${upstreamPort};
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
        }
        location = /config.js {
            add_header Cache-Control "no-cache";   # a location with its own add_header, as Jitsi's
            add_header Set-Cookie $gate_cookie always;
            proxy_pass http://127.0.0.1:${upstreamPort};
        }
        location / {
            proxy_pass http://127.0.0.1:${upstreamPort};
            proxy_set_header Host $http_host;
        }
    }`;
}

beforeAll(async () => {
  redis = await startRedis();
  jitsi = await startJitsiUpstream();
  const [gatewayPort, meetPort, otherPort] = [await freePort(), await freePort(), await freePort()];
  meetUrl = `http://127.0.0.1:${meetPort}`;
  otherUrl = `http://127.0.0.1:${otherPort}`;
  idp = await startOidcProvider({
    clients: [
      {
        client_id: 'gateway',
        client_secret: 'gateway-secret-0123456789',
        redirect_uris: [`http://127.0.0.1:${gatewayPort}/sso/auth/corp/callback`],
        post_logout_redirect_uris: [`http://127.0.0.1:${gatewayPort}/sso/logout/done`],
      },
    ],
  });
  const settings = gatewaySettings(gatewayPort, redis.url, {
    corp: { kind: 'oidc', issuer: idp.issuer, clientId: 'gateway', clientSecret: 'gateway-secret-0123456789', scopes: ['openid', 'profile', 'email', 'groups'] },
  });
  const base = (settings.targets as { meet: Record<string, unknown> }).meet;
  settings.publicUrl = `http://127.0.0.1:${gatewayPort}/sso`;
  settings.targets = {
    meet: { ...base, url: meetUrl },
    other: { url: otherUrl, xmppDomain: 'other.jitsi', appId: 'jitsi-sso', algorithm: 'HS256', secret: 'other-target-secret-5a7c9e1b3d5f7a9c1e3b5d7f9a' },
  };
  settings.gate = { cookieSecret: GATE_SECRET, recheckSeconds: RECHECK_SECONDS };
  gw = await startGateway(settings, gatewayPort, { policy: groupPolicy });
  const upstreamPort = (jitsi.address() as AddressInfo).port;
  nginx = await startNginx(
    (dir) => `
    log_format gate '$request $status user=$gate_user provider=$gate_provider';
    upstream jitsi_sso_gateway { server 127.0.0.1:${gatewayPort}; keepalive 16; }
    ${jitsiServer(meetPort, 'meet', gatewayPort, upstreamPort)}
    ${jitsiServer(otherPort, 'other', gatewayPort, upstreamPort)}
    `.replaceAll('${DIR}', dir),
    [meetPort, otherPort],
  );
}, 60_000);

afterAll(async () => {
  await nginx?.stop();
  await gw?.stop();
  await idp?.stop();
  await new Promise<void>((resolve) => (jitsi ? jitsi.close(() => resolve()) : resolve()));
  await redis?.destroy();
});

/** A WebSocket upgrade through nginx: 101 when it reached the upstream, else the refusal's status. */
function upgrade(url: string, cookie: string): Promise<{ status: number; location?: string | undefined }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, {
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', ...(cookie ? { Cookie: cookie } : {}) },
    });
    request.on('upgrade', (response, socket) => {
      socket.destroy();
      resolve({ status: response.statusCode ?? 0 });
    });
    request.on('response', (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, location: response.headers.location });
    });
    request.on('error', reject);
    request.end();
  });
}

async function bosh(url: string, cookie: string): Promise<Response> {
  return fetch(`${url}/http-bind`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'text/xml; charset=utf-8', ...(cookie ? { Cookie: cookie } : {}) },
    body: "<body rid='1' xmlns='http://jabber.org/protocol/httpbind'/>",
  });
}

/** A request with headers fetch would not let through as given (Sec-Fetch-Mode), as a browser behind the proxy sends them. */
function plain(url: string, headers: Record<string, string>, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method, headers }, (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, headers: response.headers });
    });
    request.on('error', reject);
    request.end();
  });
}

const get = (url: string, cookie = '', headers: Record<string, string> = {}) =>
  fetch(url, { redirect: 'manual', headers: { Accept: 'text/html', ...(cookie ? { Cookie: cookie } : {}), ...headers } });

/** Signs in through the gate from a meeting link on the `meet` host; returns the browser and the hops. */
async function signInAt(path: string, user = 'alice') {
  const browser = new ScriptedBrowser();
  const { final, steps } = await browser.login(`${meetUrl}${path}`, user);
  return { browser, final, steps };
}

describe('gate with nginx auth_request: nobody reaches a Jitsi component before signing in', () => {
  it('refuses the page, config.js, BOSH and the WebSocket upgrade without a pass, sending the page to sign-in', async () => {
    upstreamHits.length = 0;
    const page = await get(`${meetUrl}/Team%20Sync`);
    expect(page.status).toBe(302);
    const signIn = new URL(page.headers.get('location') ?? '');
    expect(signIn.origin).toBe(gw.url);
    expect(signIn.pathname).toBe('/sso/gate/start/meet');
    expect(signIn.searchParams.get('rd')).toBe('/Team%20Sync');

    expect((await get(`${meetUrl}/config.js`, '', { Accept: '*/*' })).status).toBe(302);
    const poll = await bosh(meetUrl, '');
    expect(poll.status).toBe(302);
    const socket = await upgrade(`${meetUrl}/xmpp-websocket?room=team`, '');
    expect(socket.status).toBe(302);
    expect(upstreamHits).toEqual([]); // nothing reached Jitsi
  });

  it('after one sign-in the person lands in the meeting of the original URL with its token, and every component passes', async () => {
    const hitsBefore = idp.hits.get('/auth') ?? 0;
    const { browser, steps, final } = await signInAt('/Team%20Sync');
    // One IdP authorization for the whole journey.
    expect((idp.hits.get('/auth') ?? 0) - hitsBefore).toBe(1);
    // The IdP's answer continues at the gate's sign-in (not a meeting URL), which hands over the session.
    const callback = steps.find((step) => step.url.startsWith(`${gw.url}/sso/auth/corp/callback`));
    expect(callback?.location).toBe(`${gw.url}/sso/gate/start/meet?rd=${encodeURIComponent(`${meetUrl}/Team%20Sync`)}`);
    // One token for the whole journey, delivered by the hand-over on the Jitsi host.
    expect(steps.filter((step) => step.location?.includes('#jwt=')).map((step) => new URL(step.url).pathname)).toEqual(['/sso/gate/enter/meet']);
    const enter = steps.find((step) => step.url.startsWith(`${meetUrl}/sso/gate/enter/meet?ticket=`));
    expect(enter?.status).toBe(303);
    const landing = enter?.location ?? '';
    expect(landing.startsWith(`${meetUrl}/team%20sync#jwt=`)).toBe(true);
    const claims = await verifyWithGatewayKeys(`${gw.url}/sso`, tokenFromJoinUrl(landing));
    expect(claims.room).toBe('team%20sync');
    expect((claims.context as { user: { id: string; moderator: boolean } }).user).toMatchObject({ id: 'alice', moderator: true });
    // The meeting page itself came from Jitsi through nginx.
    expect(final.status).toBe(200);
    expect(final.body).toBe('stand-in jitsi: /team%20sync');

    const cookie = browser.cookieHeader(`${meetUrl}/`);
    expect(cookie).toMatch(/jsg_gate_meet=/);
    expect((await get(`${meetUrl}/config.js`, cookie, { Accept: '*/*' })).status).toBe(200);
    const poll = await bosh(meetUrl, cookie);
    expect(poll.status).toBe(200);
    expect(await poll.text()).toContain('httpbind');
    expect((await upgrade(`${meetUrl}/xmpp-websocket?room=team%20sync`, cookie)).status).toBe(101);
  });

  it('names the person in the access log and never the pass', async () => {
    const { browser } = await signInAt('/Weekly');
    const cookie = browser.cookieHeader(`${meetUrl}/`);
    await get(`${meetUrl}/config.js?named`, cookie);
    const { readFileSync } = await import('node:fs');
    const log = readFileSync(`${nginx.dir}/access-meet.log`, 'utf8');
    expect(log).toMatch(/GET \/config\.js\?named HTTP\/1\.1 200 user=alice provider=corp/);
    const pass = /jsg_gate_meet=([^;]+)/.exec(cookie)?.[1] ?? 'missing';
    expect(log).not.toContain(pass);
  });

  it('a welcome-page sign-in returns to the page without a token', async () => {
    const { steps, final } = await signInAt('/');
    const enter = steps.find((step) => step.url.includes('/sso/gate/enter/meet'));
    expect(enter?.location).toBe(`${meetUrl}/`);
    expect(final.status).toBe(200);
  });

  it('a pass for one Jitsi host does not open another, whatever the headers say', async () => {
    const { browser } = await signInAt('/Team%20Sync');
    const cookie = browser.cookieHeader(`${otherUrl}/`);
    // The same jar: the meet pass is sent to the other host too, which ignores it.
    expect((await get(`${otherUrl}/Team%20Sync`, cookie)).status).toBe(302);
    expect((await bosh(otherUrl, cookie)).status).toBe(302);
    // Copied under the other host's cookie name: the MAC binds it to `meet`.
    const pass = /jsg_gate_meet=([^;]+)/.exec(cookie)?.[1] ?? '';
    expect((await get(`${otherUrl}/x`, `jsg_gate_other=${pass}`)).status).toBe(302);
    // Header spoofing: the client claims to be on the meet host; the check's URL names `other`.
    const spoofed = { 'X-Original-URL': `${meetUrl}/x`, 'X-Forwarded-Host': new URL(meetUrl).host };
    expect((await get(`${otherUrl}/x`, `jsg_gate_other=${pass}; jsg_gate_meet=${pass}`, spoofed)).status).toBe(302);
    expect((await upgrade(`${otherUrl}/xmpp-websocket`, `jsg_gate_other=${pass}`)).status).toBe(302);
  });

  it('refuses forged, expired, future and other-session passes', async () => {
    const signer = new GatePassSigner(GATE_SECRET);
    const now = Math.floor(Date.now() / 1000);
    const valid = { target: 'meet', sessionId: 'x'.repeat(43), issuedAt: now, expiresAt: now + 600, provider: 'corp', user: 'mallory' };
    const forged = new GatePassSigner('another-secret-of-enough-length-0123456789abcdef').sign(valid);
    const good = signer.sign(valid);
    const cases: Array<[string, string]> = [
      ['forged (other key)', forged],
      ['tampered MAC', `${good.slice(0, -2)}${good.endsWith('AA') ? 'BB' : 'AA'}`],
      ['session expired', signer.sign({ ...valid, expiresAt: now - 1 })],
      ['issued in the future', signer.sign({ ...valid, issuedAt: now + 3600 })],
      ['garbage', 'not-a-pass'],
      ['oversized', 'A'.repeat(5000)],
    ];
    for (const [what, value] of cases) {
      const response = await get(`${meetUrl}/room`, `jsg_gate_meet=${value}`);
      expect(response.status, what).toBe(302);
    }
    // Correctly signed but for a session that does not exist: once stale, the store says no.
    const stale = signer.sign({ ...valid, issuedAt: now - RECHECK_SECONDS - 1 });
    expect((await get(`${meetUrl}/room`, `jsg_gate_meet=${stale}`)).status).toBe(302);
  });

  it('a logout stops the pass within recheckSeconds; a live session renews it through nginx', async () => {
    const live = await signInAt('/Live');
    const { browser } = await signInAt('/Leaving', 'bob');
    const cookie = () => browser.cookieHeader(`${meetUrl}/`);
    expect((await get(`${meetUrl}/x`, cookie())).status).toBe(200);
    const before = live.browser.cookieHeader(`${meetUrl}/`);

    const signedOut = await browser.logout(`${gw.url}/sso/logout`);
    if (signedOut.location) await browser.follow(signedOut.location);
    await sleep((RECHECK_SECONDS + 1) * 1000);
    // Bob signed out: his pass is stale and his session gone.
    expect((await get(`${meetUrl}/x`, cookie())).status).toBe(302);
    expect((await bosh(meetUrl, cookie())).status).toBe(302);
    // Alice is still signed in: her stale pass is renewed (Set-Cookie passed on by nginx).
    const renewed = await live.browser.request(`${meetUrl}/y`);
    expect(renewed.status).toBe(200);
    expect(renewed.headers.getSetCookie().some((value) => value.startsWith('jsg_gate_meet='))).toBe(true);
    expect(live.browser.cookieHeader(`${meetUrl}/`)).not.toBe(before);
  }, 30_000);
});

describe('gate sign-in: hostile return URLs and tickets', () => {
  const start = (rd: string) => `${gw.url}/sso/gate/start/meet?rd=${encodeURIComponent(rd)}`;

  it('refuses return URLs that leave the target with 400 and no redirect', async () => {
    const attempts = [
      'https://evil.example/',
      '//evil.example/room',
      '/\\evil.example/room',
      '\\\\evil.example',
      'javascript:alert(1)',
      'data:text/html,hi',
      `${meetUrl}@evil.example/`,
      `http://user:pw@${new URL(meetUrl).host}/room`,
      `${meetUrl}.evil.example/`,
      `${otherUrl}/room`, // another target's host
      `https://${new URL(meetUrl).host}/room`, // another scheme: another origin
      `/room\r\nSet-Cookie: x=1`,
      `/${'a'.repeat(3000)}`,
    ];
    for (const rd of attempts) {
      const response = await get(start(rd));
      expect(response.status, rd).toBe(400);
      expect(response.headers.get('location'), rd).toBeNull();
    }
    // The rest of the sign-in's input: unknown target, provider names that are no names, repeated rd.
    expect((await get(`${gw.url}/sso/gate/start/nope?rd=%2F`)).status).toBe(404);
    expect((await get(`${gw.url}/sso/gate/start/meet?rd=%2F&provider=..%2Fx`)).status).toBe(404);
    expect((await get(`${gw.url}/sso/gate/start/meet?rd=%2F&provider=other`)).status).toBe(404);
    expect((await get(`${gw.url}/sso/gate/start/meet?rd=%2Fa&rd=https%3A%2F%2Fevil.example`)).status).toBe(400);
  });

  it('sends a refused navigation to sign-in with check-redirect (Traefik, Envoy) and answers 401 to the rest', async () => {
    const check = `${gw.url}/sso/gate/check-redirect/meet`;
    const navigate = { 'Sec-Fetch-Mode': 'navigate', Accept: 'text/html' };
    // Traefik forwardAuth: GET with X-Forwarded-Method/-Uri (and a Host header the gate ignores).
    const traefik = await plain(check, { ...navigate, 'X-Forwarded-Method': 'GET', 'X-Forwarded-Uri': '/Team%20Sync?x=1', 'X-Forwarded-Host': 'evil.example' });
    expect(traefik.status).toBe(302);
    expect(traefik.headers.location).toBe(`${gw.url}/sso/gate/start/meet?rd=${encodeURIComponent('/Team%20Sync?x=1')}`);
    // Envoy ext_authz: the original path appended to path_prefix.
    const envoy = await plain(`${check}/Team%20Sync`, navigate);
    expect(new URL(String(envoy.headers.location)).searchParams.get('rd')).toBe('/Team%20Sync');
    // Not a navigation (BOSH, XHR, assets): 401, never a redirect.
    expect((await plain(check, { Accept: '*/*', 'Sec-Fetch-Mode': 'cors' })).status).toBe(401);
    expect((await plain(check, { Accept: 'text/html' }, 'POST')).status).toBe(401);
    expect((await plain(check, { ...navigate, 'X-Forwarded-Method': 'POST' })).status).toBe(401);
    // nginx: 401 and the escaped sign-in URL in X-Gate-Sign-In.
    const nginxStyle = await plain(`${gw.url}/sso/gate/check/meet`, { ...navigate, 'X-Original-URL': 'http://any.example/100%25%20sure?a=1&b=2' });
    expect(nginxStyle.status).toBe(401);
    expect(nginxStyle.headers.location).toBeUndefined();
    expect(new URL(String(nginxStyle.headers['x-gate-sign-in'])).searchParams.get('rd')).toBe('/100%25%20sure?a=1&b=2');
    expect((await get(`${gw.url}/sso/gate/check/nope`)).status).toBe(404);
  });

  it('takes a ticket once, only for its own target', async () => {
    const browser = new ScriptedBrowser();
    await browser.login(`${gw.url}/sso/gate/start/meet?rd=%2FFirst`); // signs in, consumes its own ticket
    const handOver = await browser.request(`${gw.url}/sso/gate/start/meet?rd=%2FSecond`);
    expect(handOver.status).toBe(303);
    const enterUrl = new URL(handOver.location ?? '');
    const ticket = enterUrl.searchParams.get('ticket') ?? '';
    expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Redeemed at the other target's entry: refused (and gone).
    const wrong = await get(`${otherUrl}/sso/gate/enter/other?ticket=${ticket}`);
    expect(wrong.status).toBe(400);
    expect(wrong.headers.getSetCookie()).toEqual([]);
    const again = await browser.request(`${gw.url}/sso/gate/start/meet?rd=%2FSecond`);
    const ticket2 = new URL(again.location ?? '').searchParams.get('ticket') ?? '';
    const first = await get(`${meetUrl}/sso/gate/enter/meet?ticket=${ticket2}`);
    expect(first.status).toBe(303);
    expect(decodeJwt(tokenFromJoinUrl(first.headers.get('location') ?? '')).room).toBe('second');
    const replay = await get(`${meetUrl}/sso/gate/enter/meet?ticket=${ticket2}`);
    expect(replay.status).toBe(400);
    expect((await get(`${meetUrl}/sso/gate/enter/meet?ticket=${'A'.repeat(43)}`)).status).toBe(400);
    expect((await get(`${meetUrl}/sso/gate/enter/meet`)).status).toBe(400);
  });
});

describe('gate in Chromium through nginx', () => {
  it('a meeting link leads through one sign-in into the meeting with its token; BOSH and config.js then pass', async () => {
    const browser = await launchChromium();
    try {
      const context = await newContext(browser);
      const page = await context.newPage();
      await page.goto(`${meetUrl}/Team%20Sync`);
      await page.waitForURL((url) => url.href.startsWith(idp.issuer));
      await page.locator('#login').fill('alice');
      await page.locator('#password').fill('alice-password');
      await page.locator('#submit').click();
      await page.waitForURL((url) => url.href.startsWith(`${meetUrl}/team%20sync`) && url.hash.includes('jwt='));
      expect(await page.locator('body').textContent()).toBe('stand-in jitsi: /team%20sync');
      const token = JSON.parse(decodeURIComponent(new URL(page.url()).hash.slice(1)).replace(/^jwt=/, '')) as string;
      expect(decodeJwt(token).room).toBe('team%20sync');

      // What Jitsi's page does next, from its own origin with the pass: config.js and a BOSH poll.
      const statuses = await page.evaluate(async () => {
        const config = await fetch('/config.js');
        const bosh = await fetch('/http-bind', { method: 'POST', headers: { 'Content-Type': 'text/xml' }, body: "<body rid='1' xmlns='http://jabber.org/protocol/httpbind'/>" });
        return [config.status, bosh.status];
      });
      expect(statuses).toEqual([200, 200]);
      const passes = (await context.cookies(meetUrl)).filter((cookie) => cookie.name.startsWith('jsg_gate_'));
      expect(passes.map((cookie) => [cookie.name, cookie.httpOnly, cookie.sameSite, cookie.path])).toEqual([['jsg_gate_meet', true, 'Lax', '/']]);

      // The other Jitsi host does not take that pass: its own hand-over (no second IdP sign-in) gives it one.
      const idpSignIns = idp.hits.get('/auth') ?? 0;
      const other = await page.goto(`${otherUrl}/Planning`);
      expect(other?.status()).toBe(200);
      expect(page.url().startsWith(`${otherUrl}/planning#jwt=`)).toBe(true);
      expect(idp.hits.get('/auth') ?? 0).toBe(idpSignIns);
      const hops = await context.cookies(otherUrl);
      expect(hops.some((cookie) => cookie.name === 'jsg_gate_other')).toBe(true);
      await context.close();
    } finally {
      await browser.close();
    }
  });
});
