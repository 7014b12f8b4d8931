import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createGateway } from '../../src/gateway.js';
import { listen } from '../../src/http/server.js';
import { carriesNoToken, freePort, gatewaySettings, jitsiState, ScriptedBrowser, startGateway, type RunningGateway } from '../login/harness.js';
import { hsSettings } from '../support/config.js';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc-provider.js';
import { startRedis, waitUntil, type RedisServer } from '../support/redis.js';

/**
 * Readiness means "this replica can serve its core traffic" (issue 17 §1, issue 16 finding 14):
 * an unreachable identity provider makes its own sign-in unavailable, not the replica unready;
 * /metrics and the detailed readiness answer live on the management port when one is configured;
 * a SIGTERM turns readiness 503 while the server still answers.
 */
const SECRET = 'readiness-client-secret-0123456789abcdef';
let redis: RedisServer;
let idp: TestOidcProvider;
let gw: RunningGateway;
let deadPort: number;

beforeAll(async () => {
  redis = await startRedis();
  const port = await freePort();
  deadPort = await freePort(); // nothing listens here: the second IdP is unreachable
  idp = await startOidcProvider({ clients: [{ client_id: 'gw', client_secret: SECRET, redirect_uris: [`http://127.0.0.1:${port}/auth/corp/callback`] }] });
  gw = await startGateway(
    gatewaySettings(port, redis.url, {
      corp: { kind: 'oidc', displayName: 'Corp', issuer: idp.issuer, clientId: 'gw', clientSecret: SECRET },
      partner: { kind: 'oidc', displayName: 'Partner SSO', issuer: `http://127.0.0.1:${deadPort}`, clientId: 'gw', clientSecret: SECRET, timeoutMs: 300 },
    }),
    port,
  );
  await waitUntil('corp discovery', async () => (await gw.gateway.services.providers.get('corp')?.ready())?.ok === true, 10_000, 100);
});

afterAll(async () => {
  await gw?.stop();
  await idp?.stop();
  await redis?.destroy();
});

const login = (provider: string) => `${gw.url}/login?room=standup&state=${jitsiState({ room: 'standup', tenant: 'acme' })}&provider=${provider}`;

describe('an unreachable identity provider', () => {
  it('leaves the replica ready; /readyz?verbose shows the provider as down, apart from the checks', async () => {
    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(200);
    const verbose = (await (await fetch(`${gw.url}/readyz?verbose`)).json()) as { status: string; checks: Array<{ name: string }>; identityProviders: Array<{ name: string; ok: boolean; detail?: string }> };
    expect(verbose.status).toBe('ready');
    expect(verbose.checks.map((check) => check.name)).toEqual(['store', 'keys', 'shutdown']);
    expect(verbose.identityProviders).toEqual([
      { name: 'corp', ok: true, detail: expect.stringMatching(/discovery loaded/) },
      { name: 'partner', ok: false, detail: expect.stringMatching(/discovery (failed|not loaded)/) },
    ]);
  });

  it('its sign-in answers a clear "Sign-in with … is unavailable" page, counted per provider; the other provider works', async () => {
    const down = await new ScriptedBrowser().request(login('partner'));
    expect(down.status).toBe(502);
    expect(carriesNoToken(down)).toBe(true);
    expect(down.body).toContain('Sign-in with Partner SSO is unavailable right now');
    const up = await new ScriptedBrowser().request(login('corp'));
    expect(up.status).toBe(303);
    expect(up.location).toMatch(new RegExp(`^${idp.issuer}/`));
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/jsg_identity_provider_unavailable_total\{provider="partner"\} [1-9]/);
    expect(metrics).toMatch(/jsg_identity_provider_up\{provider="partner"\} 0/);
    expect(metrics).toMatch(/jsg_identity_provider_up\{provider="corp"\} 1/);
  });
});

describe('the management port', () => {
  it('serves /metrics and /readyz?verbose; the main port answers 404 for /metrics and a terse /readyz', async () => {
    const gateway = await createGateway(parseConfig(hsSettings({ server: { management: { port: 0, host: '127.0.0.1' } } })));
    const running = await listen(gateway, 0, '127.0.0.1');
    try {
      const management = running.management?.url;
      expect(management).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(management).not.toBe(running.url);
      const metrics = await fetch(`${management}/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toMatch(/# HELP jsg_http_requests_total/);
      expect((await fetch(`${running.url}/metrics`)).status).toBe(404);

      const detailed = (await (await fetch(`${management}/readyz?verbose`)).json()) as { checks?: unknown[] };
      expect(detailed.checks).toHaveLength(3);
      const terse = await fetch(`${running.url}/readyz?verbose`);
      expect(terse.status).toBe(200);
      expect(await terse.json()).toEqual({ status: 'ready' });
      expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${management}/healthz`)).status).toBe(200);
      expect((await fetch(`${management}/readyz?exclude=store`)).status).toBe(200);
      // Nothing else is served there.
      expect((await fetch(`${management}/login`)).status).toBe(404);
      expect((await fetch(`${management}/.well-known/jwks.json`)).status).toBe(404);
    } finally {
      await running.shutdown('test done');
    }
  });

  it('without a management port the main port keeps serving /metrics, and the configuration warns', async () => {
    const loaded = parseConfig(hsSettings());
    expect(loaded.warnings.join('\n')).toMatch(/server\.management\.port is not set: \/metrics .* served on the main port/);
    const gateway = await createGateway(loaded);
    const running = await listen(gateway, 0, '127.0.0.1');
    try {
      expect(running.management).toBeUndefined();
      expect((await fetch(`${running.url}/metrics`)).status).toBe(200);
    } finally {
      await running.shutdown('test done');
    }
  });

  it('refuses the same port for both listeners', () => {
    expect(() => parseConfig(hsSettings({ server: { port: 8080, management: { port: 8080 } } }))).toThrow(/server\.management\.port: is the same port as server\.port/);
  });
});

describe('the drain', () => {
  it('readiness turns 503 at once while the server still answers, with Connection: close', async () => {
    const gateway = await createGateway(parseConfig(hsSettings({ server: { shutdownGraceSeconds: 5 } })));
    const running = await listen(gateway, 0, '127.0.0.1');
    const stopped = running.shutdown('test', { delaySeconds: 30 });
    try {
      const ready = await fetch(`${running.url}/readyz?verbose`);
      expect(ready.status).toBe(503);
      expect(ready.headers.get('connection')).toBe('close');
      expect(await ready.json()).toMatchObject({ status: 'not ready', checks: expect.arrayContaining([{ name: 'shutdown', ok: false, detail: expect.stringMatching(/^shutting down since /) }]) });
      const jwks = await fetch(`${running.url}/.well-known/jwks.json`);
      expect(jwks.status).toBe(200);
      expect(jwks.headers.get('connection')).toBe('close');
    } finally {
      running.skipDelay();
      await stopped;
    }
    await expect(fetch(`${running.url}/healthz`)).rejects.toThrow();
  });
});
