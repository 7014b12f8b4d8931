import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc-provider.js';
import { freePort, gatewaySettings, groupPolicy, jitsiState, ScriptedBrowser, startGateway, type RunningGateway, type Step } from './harness.js';

/**
 * GET /auth/<provider>/callback is answered before Koa (callbackEarly in src/login/routes.ts, as
 * the login start: test/http/early.test.ts). The contract is Koa's: the same gateway serves the
 * callback by its listener (early routes first) and by a plain node:http server around the Koa
 * callback alone, and the answers must be the same (status, headers, cookies, location, body) for
 * the 303 into the meeting and for the pages Koa answers with the steps' outcome (a replayed
 * callback, a refusal at the IdP). Real oidc-provider, memory store.
 */

let idp: TestOidcProvider;
let gw: RunningGateway;
let koaOnly: Server;
let koa: string;
let taken: ReturnType<typeof vi.spyOn>;

beforeAll(async () => {
  const port = await freePort();
  idp = await startOidcProvider({
    clients: [{ client_id: 'gw', client_secret: 'gateway-secret-0123456789', token_endpoint_auth_method: 'client_secret_basic', redirect_uris: [`http://127.0.0.1:${port}/auth/corp/callback`] }],
  });
  gw = await startGateway(
    gatewaySettings(port, 'redis://unused', { corp: { kind: 'oidc', issuer: idp.issuer, clientId: 'gw', clientSecret: 'gateway-secret-0123456789' } }, { store: { kind: 'memory' } }),
    port,
    { policy: groupPolicy },
  );
  if (!gw.gateway.early) throw new Error('the gateway has no early routes');
  taken = vi.spyOn(gw.gateway.early, 'take');
  koaOnly = createServer(gw.gateway.app.callback());
  await new Promise<void>((resolve) => koaOnly.listen(0, '127.0.0.1', () => resolve()));
  koa = `http://127.0.0.1:${(koaOnly.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await new Promise<void>((resolve) => koaOnly?.close(() => resolve()));
  await gw?.stop();
  await idp?.stop();
});

const RANDOM_HEADERS = new Set(['date', 'x-request-id', 'set-cookie', 'location', 'keep-alive', 'connection']);

function comparable(step: Step) {
  const headers: Record<string, string> = {};
  step.headers.forEach((value, name) => {
    if (!RANDOM_HEADERS.has(name)) headers[name] = value;
  });
  return {
    status: step.status,
    headers,
    cookies: step.headers.getSetCookie().map((cookie) => cookie.replace(/^([^=]+)=[^;]*/, '$1=…')),
    location: step.location?.replace(/[A-Za-z0-9_-]{20,}/g, '…'),
    body: step.body.replace(/[A-Za-z0-9_-]{20,}/g, '…'),
  };
}

/** Up to the IdP's redirect back, then the callback asked of `base` (the listener, or Koa alone). */
async function callbackVia(base: string, edit: (url: URL) => void = () => undefined): Promise<{ browser: ScriptedBrowser; url: string; step: Step }> {
  const browser = new ScriptedBrowser();
  const url = new URL(await browser.loginToCallback(`${gw.url}/login?room=sync&state=${jitsiState({ room: 'sync', tenant: 'acme' })}`));
  edit(url);
  const target = `${base}${url.pathname}${url.search}`;
  return { browser, url: target, step: await browser.request(target) };
}

describe('the callback before Koa answers as Koa does', () => {
  it('the 303 into the meeting with the token and the session cookie', async () => {
    const calls = taken.mock.results.length;
    const viaKoa = await callbackVia(koa);
    const koaTakes = taken.mock.results.slice(calls).filter((result: { value: unknown }) => result.value === true).length;
    const early = await callbackVia(gw.url);
    expect(taken.mock.results.at(-1)?.value).toBe(true);
    expect(early.step.status).toBe(303);
    expect(early.step.location).toMatch(/#jwt=/);
    expect(comparable(early.step)).toEqual(comparable(viaKoa.step));
    expect(koaTakes).toBe(1); // only the login start went early on the way to the Koa-only callback
  });

  it('a replayed callback: the "already used" page, as Koa answers it', async () => {
    const viaKoa = await callbackVia(koa);
    const replayKoa = await viaKoa.browser.request(viaKoa.url);
    const early = await callbackVia(gw.url);
    const replayEarly = await early.browser.request(early.url);
    expect(replayEarly.status).toBe(400);
    expect(replayEarly.body).toContain('already used');
    expect(comparable(replayEarly)).toEqual(comparable(replayKoa));
  });

  it('a refusal at the IdP (error=access_denied): the same 403 page', async () => {
    const refuse = (url: URL) => {
      url.searchParams.delete('code');
      url.searchParams.set('error', 'access_denied');
    };
    const viaKoa = await callbackVia(koa, refuse);
    const early = await callbackVia(gw.url, refuse);
    expect(early.step.status).toBe(403);
    expect(comparable(early.step)).toEqual(comparable(viaKoa.step));
  });
});
