import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { uiSchema } from '../../src/config/ui.js';
import { createDemo } from '../../src/demo/index.js';
import { DevIdpRefusedError, loadOidcProvider, startDevIdp } from '../../src/demo/idp/server.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { hsSettings } from '../support/config.js';

/** The development IdP: only in demo mode, strict settings, a real OpenID provider. */

const client = { clientId: 'gw', clientSecret: 's', clientName: 'gw', redirectUris: ['http://127.0.0.1:1/auth/demo/callback'], postLogoutRedirectUris: [] };
const started: Gateway[] = [];
afterAll(async () => {
  await Promise.all(started.map((gateway) => gateway.close()));
});

describe('development IdP', () => {
  it.each(['production', 'staging', ''])('refuses to start in mode "%s"', async (mode) => {
    await expect(startDevIdp({ mode, users: [], client, formActionOrigins: ['http://127.0.0.1:1'], ui: uiSchema.parse({}) })).rejects.toThrow(DevIdpRefusedError);
  });

  it('a production configuration naming provider kind dev does not start', async () => {
    const loaded = parseConfig(hsSettings({ providers: { demo: { kind: 'dev' } } }));
    expect(loaded.config.mode).toBe('production');
    await expect(createGateway(loaded)).rejects.toThrow(/only runs in demo mode \(jitsi-sso-gateway serve --demo\)/);
  });

  it('its settings are strict', async () => {
    const loaded = parseConfig(hsSettings({ mode: 'demo', providers: { demo: { kind: 'dev', passwords: 'x' } } }));
    await expect(createGateway(loaded)).rejects.toThrow(/providers\.demo: .*passwords/);
  });

  it('in demo mode: a real OpenID provider on 127.0.0.1 that requires PKCE, behind the oidc kind', async () => {
    const demo = await createDemo(18_123);
    const gateway = await createGateway(parseConfig({ ...demo.defaults, log: { level: 'silent' } }));
    started.push(gateway);
    const provider = gateway.services.providers.get('demo') as unknown as { kind: string; issuer: string; ready(): Promise<{ ok: boolean }> };
    expect(provider.kind).toBe('dev');
    expect(provider.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const discovery = (await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery).toMatchObject({ issuer: provider.issuer, code_challenge_methods_supported: ['S256'] });
    await expect.poll(async () => (await provider.ready()).ok).toBe(true);
    // Without PKCE the authorization request is refused.
    const noPkce = await fetch(`${provider.issuer}/auth?client_id=jitsi-sso-gateway&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('http://127.0.0.1:18123/auth/demo/callback')}`, { redirect: 'manual' });
    expect(noPkce.headers.get('location')).toMatch(/error=invalid_request.*requires\+PKCE/);
  });

  it('explains how to get oidc-provider when it is missing', async () => {
    await expect(loadOidcProvider('oidc-provider-not-installed')).rejects.toThrow(/needs the npm package "oidc-provider".*run `npm ci`/);
  });
});
