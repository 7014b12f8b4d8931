import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Policy } from '../../src/policy/policy.js';
import { startOidcProvider, startTamperingProxy, type TamperingProxy, type TestOidcProvider } from '../support/oidc-provider.js';
import { sleep, startRedis, type RedisServer } from '../support/redis.js';
import { asJson, expectRejected, freePort, gatewaySettings, jitsiState, ScriptedBrowser, startGateway, TARGET_URL, type RunningGateway } from './harness.js';

/**
 * Hostile input, each case: no token anywhere in the answer, the right 4xx, a message that says
 * what happened (asserted on the JSON error an API client gets; people get the same message as a
 * page), and the rejection counted in the metrics.
 */

let redis: RedisServer;
let idp: TestOidcProvider;
let proxy: TamperingProxy;
let main: RunningGateway;
let tampered: RunningGateway;
let hurried: RunningGateway;

const SECRET = 'gateway-secret-0123456789';

const denyForbiddenRoom: Policy = {
  async decide({ location }) {
    return location.room === 'forbidden'
      ? { allow: false, message: 'Only the board may enter this meeting.', rule: 'board-only' }
      : { allow: true, role: 'participant' };
  },
};

beforeAll(async () => {
  redis = await startRedis();
  const [mainPort, tamperedPort, hurriedPort] = [await freePort(), await freePort(), await freePort()];
  idp = await startOidcProvider({
    clients: [
      {
        client_id: 'gateway',
        client_secret: SECRET,
        redirect_uris: [mainPort, hurriedPort].map((port) => `http://127.0.0.1:${port}/auth/corp/callback`),
      },
      { client_id: 'tampered', client_secret: SECRET, redirect_uris: [`http://127.0.0.1:${tamperedPort}/auth/corp/callback`] },
    ],
  });
  proxy = await startTamperingProxy(idp);
  const corp = { kind: 'oidc', issuer: idp.issuer, clientId: 'gateway', clientSecret: SECRET };
  main = await startGateway(gatewaySettings(mainPort, redis.url, { corp }), mainPort, { policy: denyForbiddenRoom });
  hurried = await startGateway(gatewaySettings(hurriedPort, redis.url, { corp }, { session: { loginTimeoutSeconds: 1 } }), hurriedPort);
  // The token endpoint (and discovery, JWKS, userinfo) reached through the proxy: split horizon.
  tampered = await startGateway(
    gatewaySettings(tamperedPort, redis.url, { corp: { ...corp, clientId: 'tampered', backchannelUrl: proxy.url } }),
    tamperedPort,
  );
}, 60_000);

afterAll(async () => {
  await Promise.all([main?.stop(), tampered?.stop(), hurried?.stop()]);
  await proxy?.stop();
  await idp?.stop();
  await redis?.destroy();
});

const loginUrl = (gw: RunningGateway, state: Record<string, unknown>, extra = '') =>
  `${gw.url}/login?room=${encodeURIComponent(String(state.room ?? ''))}&state=${jitsiState(state)}${extra}`;

describe('hostile answers at the callback', () => {
  it('refuses a replayed state (the transaction is single-use)', async () => {
    const browser = new ScriptedBrowser();
    const callback = await browser.loginToCallback(loginUrl(main, { room: 'replay', tenant: 'acme' }));
    const first = await browser.request(callback);
    expect(first.location).toMatch(new RegExp(`^${TARGET_URL}/acme/replay#jwt=`));
    const { step, error } = await asJson(browser, callback);
    expectRejected(step, 400);
    // A replay (back button, reload) is named as such, not as a sign-in that took too long.
    expect(error).toMatchObject({ error: 'login_expired', message: expect.stringMatching(/sign-in link was already used/) });
    const page = await browser.request(callback);
    expectRejected(page, 400);
    expect(page.body).toContain('<h1>This sign-in link was already used</h1>');
    expect(page.body).not.toMatch(/took too long/);
  });

  it('refuses a state started in another browser', async () => {
    const victim = new ScriptedBrowser();
    const callback = await victim.loginToCallback(loginUrl(main, { room: 'csrf', tenant: 'acme' }));
    const attacker = new ScriptedBrowser();
    const { step, error } = await asJson(attacker, callback);
    expectRejected(step, 400);
    expect(error.error).toBe('login_mismatch');
    expect(error.message).toMatch(/started in another browser/);
  });

  it.each([
    ['an unknown state', 'state=AAAAAAAAAAAAAAAAAAAAAA&code=abc'],
    ['a malformed state', `state=${'x'.repeat(300)}&code=abc`],
    ['no state at all', 'code=abc'],
    ['a repeated state', 'state=AAAAAAAAAAAAAAAAAAAAAA&state=BBBBBBBBBBBBBBBBBBBBBB&code=abc'],
  ])('refuses %s', async (_name, query) => {
    const { step, error } = await asJson(new ScriptedBrowser(), `${main.url}/auth/corp/callback?${query}`);
    expectRejected(step, 400);
    expect(error.error).toBe('login_expired');
  });

  it('refuses an expired transaction', async () => {
    const browser = new ScriptedBrowser();
    const callback = await browser.loginToCallback(loginUrl(hurried, { room: 'slow', tenant: 'acme' }));
    await sleep(2100);
    const { step, error } = await asJson(browser, callback);
    expectRejected(step, 400);
    expect(error.error).toBe('login_expired');
  });

  it('refuses a tampered authorization code (the IdP says invalid_grant)', async () => {
    const browser = new ScriptedBrowser();
    const callback = new URL(await browser.loginToCallback(loginUrl(main, { room: 'code', tenant: 'acme' })));
    callback.searchParams.set('code', `${callback.searchParams.get('code')}tampered`);
    const { step, error } = await asJson(browser, callback.href);
    expectRejected(step, 400);
    expect(error.error).toBe('login_expired');
    expect(error.message).toMatch(/did not accept the sign-in answer/);
  });

  it('refuses an answer for an unknown provider', async () => {
    const { step, error } = await asJson(new ScriptedBrowser(), `${main.url}/auth/nobody/callback?state=AAAAAAAAAAAAAAAAAAAAAA&code=x`);
    expectRejected(step, 404);
    expect(error.error).toBe('unknown_provider');
  });

  it('answers 403 when the person cancels at the IdP (error=access_denied)', async () => {
    const browser = new ScriptedBrowser();
    const { final } = await browser.login(loginUrl(main, { room: 'cancel', tenant: 'acme' }), 'alice', 'x', { cancel: true });
    expectRejected(final, 403);
    expect(final.body).toMatch(/cancelled or refused \(access_denied\)/);
  });

  it.each([
    ['nonce', { nonce: 'forged-nonce' }, /nonce mismatch/],
    ['issuer', { iss: 'http://127.0.0.1:1' }, /another identity provider \(issuer mismatch\)/],
    ['audience', { aud: 'someone-else' }, /another application \(audience mismatch\)/],
  ])('refuses an ID token with another %s (re-signed by the IdP key in transit)', async (_name, changes, message) => {
    proxy.setIdTokenChanges(changes);
    try {
      const browser = new ScriptedBrowser();
      const callback = await browser.loginToCallback(loginUrl(tampered, { room: 'mixup', tenant: 'acme' }));
      const { step, error } = await asJson(browser, callback);
      expectRejected(step, 400);
      expect(error.error).toBe('invalid_request');
      expect(error.message).toMatch(message);
    } finally {
      proxy.setIdTokenChanges(undefined);
    }
  });

  it.each([['foreign-key'], ['tampered-payload']] as const)(
    'refuses an ID token forged in transit on a plain-http back channel (%s): the signature is checked against the IdP keys',
    async (forgery) => {
      proxy.setIdTokenForgery(forgery);
      try {
        const browser = new ScriptedBrowser();
        const callback = await browser.loginToCallback(loginUrl(tampered, { room: 'forged', tenant: 'acme' }));
        const { step, error } = await asJson(browser, callback);
        expect(step.location ?? '').not.toMatch(/jwt=/);
        expect(step.body).not.toMatch(/ey[\w-]+\.ey[\w-]+\./);
        expect(step.status).toBe(502);
        expect(error.error).toBe('idp_error');
      } finally {
        proxy.setIdTokenForgery(undefined);
      }
    },
  );

  it('still logs in through the same proxy when nothing is changed (split-horizon back channel)', async () => {
    const { final } = await new ScriptedBrowser().login(loginUrl(tampered, { room: 'fine', tenant: 'acme' }));
    expect(final.location).toMatch(new RegExp(`^${TARGET_URL}/acme/fine#jwt=`));
  });

  it('answers 403 with the policy message when the policy refuses the room, and keeps the session', async () => {
    const browser = new ScriptedBrowser();
    const { final } = await browser.login(loginUrl(main, { room: 'forbidden', tenant: 'acme' }));
    expectRejected(final, 403);
    expect(final.body).toContain('Only the board may enter this meeting.');
    const allowed = await browser.request(loginUrl(main, { room: 'open', tenant: 'acme' }));
    expect(allowed.location).toMatch(new RegExp(`^${TARGET_URL}/acme/open#jwt=`));
  });

  it('in the tokenAuthInline popup, a refusal posts oauth-error to the Jitsi origin and offers to start again', async () => {
    const browser = new ScriptedBrowser();
    const { final } = await browser.login(loginUrl(main, { room: 'forbidden', tenant: 'acme' }, '&inline=1'));
    expectRejected(final, 403);
    const post = /<script type="application\/json" id="jsg-post">([^<]*)<\/script>/.exec(final.body)?.[1] ?? '{}';
    expect(JSON.parse(post)).toEqual({ to: 'opener', origin: TARGET_URL, message: { type: 'oauth-error', error: 'access_denied' } });
    // The same refusal for an API client lists what the page offers.
    const again = await browser.request(loginUrl(main, { room: 'forbidden', tenant: 'acme' }, '&inline=1'), { headers: { accept: 'application/json' } });
    expect(JSON.parse(again.body)).toMatchObject({
      error: 'access_denied',
      details: { reason: 'policy', room: 'forbidden', meetingUrl: `${TARGET_URL}/acme/forbidden`, inlineOrigin: TARGET_URL, retryUrl: expect.stringMatching(/^\/login\?room=forbidden&state=.*&inline=1$/) },
    });
  });
});

describe('hostile login requests', () => {
  const tenKb = 'a'.repeat(10 * 1024);
  it.each([
    ['../x', { room: '../x' }],
    ['%2F', { room: 'a%2Fb' }],
    ['a slash', { room: 'a/b' }],
    ['NUL', { room: 'a\u0000b' }],
    ['%00', { room: 'a%00b' }],
    ['a 10 kB name', { room: tenKb }],
    ['*', { room: '*' }],
    ['dots only', { room: '..' }],
  ])('refuses the room %s (in {state} and in {room})', async (_name, state) => {
    const inState = await asJson(new ScriptedBrowser(), `${main.url}/login?state=${jitsiState({ ...state, tenant: 'acme' })}`);
    expectRejected(inState.step, 400);
    if (state.room.length > 4000) {
      expect(inState.error.message).toBe('The login request is too large (its state is over 4096 characters).');
    } else {
      expect(inState.error.error).toBe('invalid_room');
      expect(inState.error.message).toMatch(/^This room name cannot be used: /);
    }
    const inRoom = await asJson(new ScriptedBrowser(), `${main.url}/login?room=${encodeURIComponent(state.room)}`);
    expectRejected(inRoom.step, 400);
    expect(inRoom.error.error).toBe('invalid_room');
    expect(inRoom.error.message).toMatch(/^This room name cannot be used: /);
  });

  it.each([['evil'], ['*'], ['ACME/../x']])('refuses the unknown tenant %s', async (tenant) => {
    const { step, error } = await asJson(new ScriptedBrowser(), loginUrl(main, { room: 'x', tenant }));
    expectRejected(step, 400);
    expect(error.error).toBe('unknown_tenant');
  });

  it('never lets {state} choose the destination or unsafe Jitsi config', async () => {
    const state = {
      room: 'dest',
      tenant: 'acme',
      url: 'https://evil.example/',
      redirect: 'https://evil.example/',
      redirect_uri: 'https://evil.example/',
      returnTo: 'https://evil.example/',
      target: 'evil',
      'config.websocket': 'wss://evil.example/xmpp-websocket',
      'config.hosts.domain': 'evil.example',
      'config.analytics.scriptURLs': ['https://evil.example/x.js'],
      'iceServers.replace': [{ urls: 'turn:evil.example' }],
      'interfaceConfig.SHOW_JITSI_WATERMARK': false,
      'config.startWithAudioMuted': true,
      'config.subject': 'x'.repeat(300),
      'config.prejoinConfig.enabled': false,
    };
    const { final } = await new ScriptedBrowser().login(loginUrl(main, state));
    expect(final.status).toBe(303);
    const location = final.location ?? '';
    expect(location).toMatch(new RegExp(`^${TARGET_URL}/acme/dest#jwt=%22[^%]+%22&config\\.startWithAudioMuted=true&config\\.prejoinConfig\\.enabled=false$`));
    expect(location).not.toMatch(/evil|websocket|iceServers|interfaceConfig|subject/);
  });

  it('refuses a target that is not configured', async () => {
    const { step, error } = await asJson(new ScriptedBrowser(), loginUrl(main, { room: 'x' }, '&target=evil'));
    expectRejected(step, 404);
    expect(error.error).toBe('unknown_target');
  });

  it('refuses an oversized {state}', async () => {
    const { step, error } = await asJson(new ScriptedBrowser(), loginUrl(main, { room: 'x', padding: 'p'.repeat(5000) }));
    expectRejected(step, 400);
    expect(error).toEqual({ error: 'invalid_request', message: 'The login request is too large (its state is over 4096 characters).' });
  });

  it.each([
    ['malformed JSON', `${'/login'}?room=x&state=%7Bnot-json`, 400, 'invalid_request', /not valid JSON/],
    ['a JSON array', `/login?room=x&state=${encodeURIComponent('[1]')}`, 400, 'invalid_request', /must be a JSON object/],
    ['a non-string tenant', `/login?room=x&state=${encodeURIComponent('{"tenant":{"a":1}}')}`, 400, 'invalid_request', /state\.tenant must be a string/],
    ['a repeated room', '/login?room=a&room=b', 400, 'invalid_request', /given more than once/],
    ['no room', '/login', 400, 'invalid_room', /No room was named/],
    ['an unknown provider', '/login?room=x&provider=nobody', 404, 'unknown_provider', /no known sign-in provider/],
  ])('refuses %s', async (_name, path, status, code, message) => {
    const { step, error } = await asJson(new ScriptedBrowser(), `${main.url}${path}`);
    expectRejected(step, status);
    expect(error.error).toBe(code);
    expect(error.message).toMatch(message);
  });

  it('renders the same refusals as a page for people, and counts them', async () => {
    const page = await new ScriptedBrowser().request(`${main.url}/login?room=${encodeURIComponent('../x')}`);
    expectRejected(page, 400);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.body).toContain('This room name cannot be used');
    const metrics = await (await fetch(`${main.url}/metrics`)).text();
    for (const kind of ['invalid_room', 'unknown_tenant', 'login_expired', 'login_mismatch', 'invalid_request', 'access_denied']) {
      expect(metrics).toMatch(new RegExp(`jsg_errors_total\\{kind="${kind}"\\} [1-9]`));
    }
  });
});
