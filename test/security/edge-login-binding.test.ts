import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hsSettings } from '../support/config.js';
import { freePort, jitsiState, startGateway, type RunningGateway } from '../login/harness.js';

/**
 * Finding 5 of issue 16 (login CSRF): the browser binding cookie `jsg_session_login` was reused
 * when the browser brought one, so a value planted by an attacker (cookie injection from a sibling
 * subdomain) bound the victim's browser to the attacker's login: the victim opening the attacker's
 * callback URL was signed in as the attacker. Now every login start gets a new binding, the cookie
 * is `__Host-` prefixed when publicUrl is https (a sibling cannot set it), and the callback removes
 * the binding it used.
 *
 * The CAS provider points at a closed port: a callback that passes the binding check fails at the
 * ticket validation with 502, one that does not pass it answers 400 login_mismatch. That is all
 * these tests need to tell the two apart.
 */

interface Answer {
  status: number;
  location: string | undefined;
  setCookies: string[];
  body: string;
}

async function get(url: string, cookie?: string): Promise<Answer> {
  const response = await fetch(url, { redirect: 'manual', headers: { accept: 'text/html', ...(cookie ? { cookie } : {}) } });
  return { status: response.status, location: response.headers.get('location') ?? undefined, setCookies: response.headers.getSetCookie(), body: await response.text() };
}

const bindingOf = (answer: Answer, name: string) => {
  const header = answer.setCookies.find((cookie) => cookie.startsWith(`${name}=`));
  return { header, value: header?.slice(name.length + 1).split(';')[0] };
};

/** The callback URL the gateway handed to CAS (`service=…?tx=…`) with a made-up ticket. */
const callbackOf = (answer: Answer, gatewayUrl: string, publicUrl: string) => {
  const service = new URL(answer.location ?? '').searchParams.get('service') ?? '';
  return `${service.replace(publicUrl, gatewayUrl)}&ticket=ST-1-attackers-own-ticket`;
};

async function gatewayAt(publicUrl: string | ((port: number) => string)): Promise<{ gw: RunningGateway; publicUrl: string }> {
  const port = await freePort();
  const url = typeof publicUrl === 'string' ? publicUrl : publicUrl(port);
  const settings = hsSettings({
    publicUrl: url,
    log: { level: 'silent' },
    store: { kind: 'memory' },
    providers: { cas: { kind: 'cas', baseUrl: 'http://127.0.0.1:9/cas', version: '3.0', timeoutMs: 1000 } },
    policy: { default: { allow: { role: 'participant' } } },
  });
  return { gw: await startGateway(settings, port), publicUrl: url };
}

const loginPath = `/login?room=standup&state=${jitsiState({ room: 'standup' })}`;

describe('login binding behind an https publicUrl', () => {
  const PUBLIC = 'https://sso.example.test';
  const NAME = '__Host-jsg_session_login';
  let gw: RunningGateway;
  beforeAll(async () => {
    ({ gw } = await gatewayAt(PUBLIC));
  });
  afterAll(async () => gw?.stop());

  it('is a __Host- cookie: Secure, Path=/, no Domain', async () => {
    const start = await get(`${gw.url}${loginPath}`);
    expect(start.status).toBe(303);
    const { header } = bindingOf(start, NAME);
    expect(header).toBeDefined();
    expect(header).toMatch(/; Secure/);
    expect(header).toMatch(/; Path=\/;/);
    expect(header).not.toMatch(/Domain=/i);
  });

  it('refuses an attacker callback in a browser carrying a planted binding (login CSRF)', async () => {
    // The attacker starts a login in their own browser and keeps the callback URL and binding.
    const attackerStart = await get(`${gw.url}${loginPath}`);
    // Whatever the gateway calls its binding cookie, the attacker knows its value.
    const planted = attackerStart.setCookies.find((cookie) => cookie.includes('jsg_session_login='))?.split('=')[1]?.split(';')[0] ?? '';
    expect(planted).not.toBe('');
    const callback = callbackOf(attackerStart, gw.url, PUBLIC);
    // A sibling subdomain can plant `jsg_session_login` (no prefix) in the victim's browser, never a __Host- cookie.
    const victim = await get(callback, `jsg_session_login=${planted}`);
    expect(victim.status).toBe(400);
    expect(victim.body).toMatch(/started in another browser/);
  });

  it('finishes a genuine login (the binding check passes) and clears the binding afterwards', async () => {
    const start = await get(`${gw.url}${loginPath}`);
    const binding = bindingOf(start, NAME).value ?? '';
    const back = await get(callbackOf(start, gw.url, PUBLIC), `${NAME}=${binding}`);
    expect(back.status, back.body.slice(0, 200)).toBe(502); // past the binding check: CAS does not answer
    expect(bindingOf(back, NAME).header).toMatch(/Max-Age=0/);
  });

  it('rotates on every login start, and logins started in two tabs both finish', async () => {
    const first = await get(`${gw.url}${loginPath}`);
    const firstCookie = bindingOf(first, NAME).value ?? '';
    const second = await get(`${gw.url}${loginPath}`, `${NAME}=${firstCookie}`);
    const secondCookie = bindingOf(second, NAME).value ?? '';
    expect(secondCookie.split('.')[0]).not.toBe(firstCookie);
    expect((await get(callbackOf(first, gw.url, PUBLIC), `${NAME}=${secondCookie}`)).status).toBe(502);
    expect((await get(callbackOf(second, gw.url, PUBLIC), `${NAME}=${secondCookie}`)).status).toBe(502);
  });
});

describe('login binding over plain http (development)', () => {
  let gw: RunningGateway;
  let publicUrl: string;
  beforeAll(async () => {
    ({ gw, publicUrl } = await gatewayAt((port) => `http://127.0.0.1:${port}`));
  });
  afterAll(async () => gw?.stop());

  it('never reuses a binding the browser brought', async () => {
    const attackerStart = await get(`${gw.url}${loginPath}`);
    const planted = bindingOf(attackerStart, 'jsg_session_login').value ?? '';
    const victimStart = await get(`${gw.url}${loginPath}`, `jsg_session_login=${planted}`);
    const victimBinding = bindingOf(victimStart, 'jsg_session_login').value ?? '';
    expect(victimBinding).not.toBe('');
    expect(victimBinding.split('.')).not.toContain(planted);
    // The victim's own login is bound to the new value only: the planted one does not finish it.
    expect((await get(callbackOf(victimStart, gw.url, publicUrl), `jsg_session_login=${planted}`)).status).toBe(400);
  });

  it('clears the binding after the callback', async () => {
    const start = await get(`${gw.url}${loginPath}`);
    const binding = bindingOf(start, 'jsg_session_login').value ?? '';
    const back = await get(callbackOf(start, gw.url, publicUrl), `jsg_session_login=${binding}`);
    expect(back.status).toBe(502);
    expect(bindingOf(back, 'jsg_session_login').header).toMatch(/Max-Age=0/);
  });
});
