/**
 * The CAS provider against a REAL CAS server: LemonLDAP::NG 2.16 from Debian's packages, installed
 * (when missing and running as root) and started on 127.0.0.1 by test/support/lemonldap/up.sh.
 * Nothing here is simulated: login form, tickets, validation at /p3/serviceValidate,
 * /serviceValidate and /validate, renew, gateway, and the back-channel single-logout POSTs.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createCasProvider, casProviderSchema, type CasProviderInput } from '../../../src/idp/cas/index.js';
import type { IdentityProvider, LoginResult } from '../../../src/idp/provider.js';
import { casLogout, ensureLemonldap, formLogin, type LemonldapInstance } from '../../support/lemonldap.js';
import { gatewayFailure } from '../../support/errors.js';
import { answerOf } from '../../../src/http/errors.js';

/** Own port, so that this file's instance (with SLO on) never fights with other suites' instances. */
const IDP_PORT = Number(process.env.JSG_TEST_CAS_IDP_PORT ?? 18931);
/** LemonLDAP's "recent authentication" window for renew (seconds; its default). */
const FORCE_AUTHN_INTERVAL = 5;

const silentLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

interface SloPost {
  url: string;
  contentType: string;
  body: string;
}

let idp: LemonldapInstance;
/** Stands for the gateway's public origin: receives the CAS server's single-logout POSTs. */
let gatewayServer: Server;
let publicUrl: string;
let callbackUrl: string;
const sloPosts: SloPost[] = [];

beforeAll(async () => {
  gatewayServer = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'POST') {
        sloPosts.push({ url: req.url ?? '', contentType: req.headers['content-type'] ?? '', body: Buffer.concat(chunks).toString('utf8') });
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => gatewayServer.listen(0, '127.0.0.1', resolve));
  publicUrl = `http://127.0.0.1:${(gatewayServer.address() as AddressInfo).port}`;
  callbackUrl = `${publicUrl}/auth/cas/callback`;
  idp = await ensureLemonldap({ port: IDP_PORT, casSingleLogout: true, forceAuthnInterval: FORCE_AUTHN_INTERVAL });
}, 600_000);

afterAll(async () => {
  await new Promise<void>((resolve) => {
    gatewayServer?.closeAllConnections();
    gatewayServer?.close(() => resolve());
  });
  if (idp && process.env.JSG_TEST_KEEP_IDP !== '1') await idp.stop();
}, 120_000);

function provider(settings: Partial<CasProviderInput> = {}): IdentityProvider {
  return createCasProvider('cas', casProviderSchema.parse({ kind: 'cas', baseUrl: idp.casUrl, displayName: 'LemonLDAP', ...settings }), { log: silentLog });
}

const newTx = () => randomBytes(18).toString('base64url');

interface Attempt {
  tx: string;
  params: URLSearchParams;
  secrets: Record<string, string>;
  ticket: string;
  cookie: string;
  formShown: boolean;
  location: string;
  redirectUrl: string;
}

/** startLogin → the person logs in at LemonLDAP (or SSO with the cookie) → back at the callback. */
async function attempt(p: IdentityProvider, options: { cookie?: string; forceLogin?: boolean; user?: string } = {}): Promise<Attempt> {
  const tx = newTx();
  const start = await p.startLogin({ transactionId: tx, callbackUrl, ...(options.forceLogin ? { forceLogin: true } : {}) });
  const user = options.user ?? 'dwho';
  const login = await formLogin(start.redirectUrl, user, user, options.cookie);
  const params = new URL(login.location).searchParams;
  return { tx, params, secrets: start.secrets, ticket: login.ticket, cookie: login.cookie, formShown: login.formShown, location: login.location, redirectUrl: start.redirectUrl };
}

function finish(p: IdentityProvider, a: Attempt, secrets = a.secrets): Promise<LoginResult> {
  return p.finishLogin({ transactionId: a.tx, callbackUrl, params: a.params, secrets });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(['3.0', '2.0'] as const)('CAS %s against LemonLDAP::NG', (version) => {
  it('logs dwho in with name, email and groups from the attributes', async () => {
    const p = provider({ version });
    const a = await attempt(p);

    // The login redirect and the service URL LemonLDAP sent the browser back to.
    const redirect = new URL(a.redirectUrl);
    expect(`${redirect.origin}${redirect.pathname}`).toBe(`${idp.casUrl}/login`);
    expect(redirect.searchParams.get('service')).toBe(`${callbackUrl}?tx=${a.tx}`);
    expect(a.secrets.service).toBe(`${callbackUrl}?tx=${a.tx}`);
    expect(a.location.startsWith(`${callbackUrl}?tx=${a.tx}&ticket=ST-`)).toBe(true);
    expect(a.formShown).toBe(true);
    expect(p.transactionId(a.params)).toBe(a.tx);

    const result = await finish(p, a);
    expect(result.identity).toMatchObject({ provider: 'cas', id: 'dwho', name: 'Doctor Who', email: 'dwho@badwolf.org' });
    expect(new Set(result.identity.groups)).toEqual(new Set(['timelords', 'users']));
    expect(result.identity.groups).toHaveLength(2);
    expect(result.identity.claims).toMatchObject({ uid: 'dwho', cn: 'Doctor Who', mail: 'dwho@badwolf.org' });
    expect(new Set(result.identity.claims.groups as string[])).toEqual(new Set(['timelords', 'users']));
    expect(result.sessionIndexes).toEqual([a.ticket]);
  });

  it('second room: single sign-on with the CAS cookie, no form, new ticket, same person', async () => {
    const p = provider({ version });
    const first = await attempt(p, { user: 'rtyler' });
    await finish(p, first);
    const second = await attempt(p, { cookie: first.cookie, user: 'rtyler' });
    expect(second.formShown).toBe(false);
    expect(second.ticket).not.toBe(first.ticket);
    const result = await finish(p, second);
    expect(result.identity).toMatchObject({ id: 'rtyler', name: 'Rose Tyler', email: 'rtyler@badwolf.org' });
    expect(new Set(result.identity.groups)).toEqual(new Set(['earthlings', 'users']));
  });

  it('a replayed ticket is refused (400 login_expired)', async () => {
    const p = provider({ version });
    const a = await attempt(p);
    await finish(p, a);
    const error = await gatewayFailure(finish(p, a));
    expect(answerOf(error).status).toBe(400);
    expect(error.code).toBe('login_expired');
    expect(error.message).toMatch(/already used/);
    expect(error.detail).toMatchObject({ casCode: 'INVALID_TICKET' });
  });

  it('a ticket issued for another service URL is refused, and destroyed', async () => {
    const p = provider({ version });
    const victim = await attempt(p);
    // The ticket arrives at the callback of another transaction (another service URL).
    const other = await p.startLogin({ transactionId: newTx(), callbackUrl });
    const error = await gatewayFailure(finish(p, victim, other.secrets));
    expect(answerOf(error).status).toBe(400);
    expect(error.code).toBe('login_expired');
    expect(error.detail).toMatchObject({ casCode: 'INVALID_SERVICE' });
    // LemonLDAP destroys the ticket on a service mismatch: it is dead for its own service too.
    const again = await gatewayFailure(finish(p, victim));
    expect(again.detail).toMatchObject({ casCode: 'INVALID_TICKET' });
  });
});

describe('CAS 1.0 against LemonLDAP::NG', () => {
  it('logs dwho in (1.0 carries only the user name, no attributes)', async () => {
    const p = provider({ version: '1.0' });
    const a = await attempt(p);
    const result = await finish(p, a);
    expect(result.identity).toEqual({ provider: 'cas', id: 'dwho', groups: [], claims: {} });
    expect(result.sessionIndexes).toEqual([a.ticket]);
  });

  it('a replayed ticket gets "no": 400 login_expired', async () => {
    const p = provider({ version: '1.0' });
    const a = await attempt(p);
    await finish(p, a);
    const error = await gatewayFailure(finish(p, a));
    expect(answerOf(error).status).toBe(400);
    expect(error.code).toBe('login_expired');
  });

  it('a ticket for another service gets "no"', async () => {
    const p = provider({ version: '1.0' });
    const victim = await attempt(p);
    const other = await p.startLogin({ transactionId: newTx(), callbackUrl });
    const error = await gatewayFailure(finish(p, victim, other.secrets));
    expect(error.code).toBe('login_expired');
  });
});

describe('renew and gateway against LemonLDAP::NG', () => {
  // LemonLDAP only re-asks the password for renew=true when the session's last authentication is
  // older than portalForceAuthnInterval, and flags a ticket as "renewed" only when it is issued
  // within that interval of an authentication. So: three sessions, then one wait past the interval.
  const sessions: string[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 3; i++) {
      const p = provider();
      const a = await attempt(p);
      await finish(p, a);
      sessions.push(a.cookie);
    }
    await sleep((FORCE_AUTHN_INTERVAL + 1) * 1000 + 200);
  }, 60_000);

  it('forceLogin (renew=true) shows the login form again despite the SSO cookie, and the ticket passes renew validation', async () => {
    const p = provider();
    const cookie = sessions[0]!;
    const sso = await attempt(p, { cookie });
    expect(sso.formShown).toBe(false);
    const renewed = await attempt(p, { cookie, forceLogin: true });
    expect(new URL(renewed.redirectUrl).searchParams.get('renew')).toBe('true');
    expect(renewed.secrets.renew).toBe('true');
    expect(renewed.formShown).toBe(true);
    const result = await finish(p, renewed);
    expect(result.identity.id).toBe('dwho');
  });

  it('settings.renew: the form every time; a ticket from a plain SSO login is refused at validation', async () => {
    const strict = provider({ renew: true });
    const renewed = await attempt(strict, { cookie: sessions[1]! });
    expect(renewed.formShown).toBe(true);
    expect((await finish(strict, renewed)).identity.id).toBe('dwho');

    // Someone strips renew=true from the login URL and brings back a single-sign-on ticket: the
    // validation with renew=true refuses it (LemonLDAP answers "no" even at /p3/serviceValidate).
    const start = await strict.startLogin({ transactionId: newTx(), callbackUrl });
    const stripped = new URL(start.redirectUrl);
    stripped.searchParams.delete('renew');
    const sso = await formLogin(stripped.href, 'dwho', 'dwho', sessions[2]!);
    expect(sso.formShown).toBe(false);
    const params = new URL(sso.location).searchParams;
    const error = await gatewayFailure(strict.finishLogin({ transactionId: params.get('tx') ?? '', callbackUrl, params, secrets: start.secrets }));
    expect(answerOf(error).status).toBe(400);
    expect(error.code).toBe('login_expired');
  });

  it('gateway mode: without a CAS session the person comes back without a ticket → 403 access_denied; with one, SSO works', async () => {
    const p = provider({ gateway: true });
    const tx = newTx();
    const start = await p.startLogin({ transactionId: tx, callbackUrl });
    expect(new URL(start.redirectUrl).searchParams.get('gateway')).toBe('true');
    const response = await fetch(start.redirectUrl, { redirect: 'manual' });
    expect(response.status).toBe(302);
    const back = new URL(response.headers.get('location') ?? '');
    expect(back.href).toBe(start.secrets.service);
    expect(p.transactionId(back.searchParams)).toBe(tx);
    const error = await gatewayFailure(p.finishLogin({ transactionId: tx, callbackUrl, params: back.searchParams, secrets: start.secrets }));
    expect(answerOf(error).status).toBe(403);
    expect(error.code).toBe('access_denied');
    expect(error.message).toMatch(/not signed in/);

    const session = await attempt(provider());
    const withCookie = await attempt(p, { cookie: session.cookie });
    expect(withCookie.formShown).toBe(false);
    expect((await finish(p, withCookie)).identity.id).toBe('dwho');
  });
});

describe('single logout with LemonLDAP::NG', () => {
  it('logging out at CAS POSTs a logoutRequest per validated ticket to its service URL; backchannelLogout names exactly that ticket', async () => {
    const p = provider();
    const first = await attempt(p, { user: 'msmith' });
    const firstResult = await finish(p, first);
    const second = await attempt(p, { cookie: first.cookie, user: 'msmith' });
    const secondResult = await finish(p, second);
    const unvalidated = await attempt(p, { cookie: first.cookie, user: 'msmith' }); // never validated: no SLO for it

    const returnUrl = `${publicUrl}/logged-out`;
    const logoutUrl = await p.logoutUrl?.({}, returnUrl);
    expect(logoutUrl).toBe(`${idp.casUrl}/logout?service=${encodeURIComponent(returnUrl)}`);
    sloPosts.length = 0;
    const response = await casLogout(idp.casUrl, first.cookie, returnUrl);
    // The front channel: back to the return URL (127.0.0.1 is a trusted domain for LemonLDAP).
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(returnUrl);

    // The back channel (LemonLDAP sends it synchronously, before answering the logout).
    const mine = sloPosts.filter((post) => post.url.includes(first.tx) || post.url.includes(second.tx) || post.url.includes(unvalidated.tx));
    expect(mine).toHaveLength(2);
    for (const [a, result] of [
      [first, firstResult],
      [second, secondResult],
    ] as const) {
      const post = mine.find((candidate) => candidate.url === `/auth/cas/callback?tx=${a.tx}`);
      expect(post, `SLO POST to the service URL of ${a.tx}`).toBeDefined();
      expect(post?.contentType).toMatch(/^application\/x-www-form-urlencoded/);
      const slo = await p.backchannelLogout!(post!.body, post!.contentType);
      expect(slo.sessionIndexes).toEqual(result.sessionIndexes);
    }

    // The CAS session is gone: the next login shows the form again.
    const after = await attempt(p, { cookie: first.cookie, user: 'msmith' });
    expect(after.formShown).toBe(true);
  });
});
