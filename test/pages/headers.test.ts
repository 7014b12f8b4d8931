import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { extendPagePolicy, SecurityHeaders, securityHeaders } from '../../src/http/middleware/headers.js';
import { listen, type RunningServer } from '../../src/http/server.js';
import { PAGE_SCRIPT_HASHES, POST_RESULT_SCRIPT_HASH } from '../../src/pages/scripts.js';
import { hsSettings } from '../support/config.js';

/** Security headers and the pages feature over real HTTP (no browser needed). */

let gateway: Gateway;
let running: RunningServer;
const get = (path: string, init?: RequestInit) => fetch(`${running.url}${path}`, init);

beforeAll(async () => {
  gateway = await createGateway(parseConfig(hsSettings({ publicUrl: 'http://127.0.0.1:1/sso', ui: { organisation: 'Example University', colours: { accent: '#7a1f5c' } } })));
  running = await listen(gateway, 0, '127.0.0.1');
});
afterAll(async () => {
  await running.shutdown('test done');
});

const EXPECTED_CSP = [
  "default-src 'none'",
  `script-src ${POST_RESULT_SCRIPT_HASH}`,
  "style-src 'self'",
  "img-src 'self' data: https:",
  "connect-src 'none'",
  "frame-src 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

describe('security headers', () => {
  it.each(['/sso/', '/sso/nothing-here', '/sso/healthz', '/healthz'])('on %s', async (path) => {
    const response = await get(path);
    expect(response.headers.get('content-security-policy')).toBe(EXPECTED_CSP);
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(response.headers.get('permissions-policy')).toContain('camera=()');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('strict-transport-security')).toBeNull();
  });

  it('a route widens the policy for its own response only, and only with valid sources', async () => {
    const app = new Koa();
    app.use(securityHeaders(new SecurityHeaders(PAGE_SCRIPT_HASHES)));
    app.use(async (ctx) => {
      extendPagePolicy(ctx, {
        formAction: ['https://meet.example.com', 'javascript:alert(1)', "'unsafe-inline'", 'https://meet.example.com:8443'],
        frameAncestors: ["'self'", '*'],
        scriptHashes: ["'sha256-AAAA'", "'unsafe-eval'"],
      });
      ctx.body = 'ok';
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    let csp = '';
    try {
      const { port } = server.address() as { port: number };
      csp = (await fetch(`http://127.0.0.1:${port}/`)).headers.get('content-security-policy') ?? '';
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(csp).toContain("form-action 'self' https://meet.example.com https://meet.example.com:8443;");
    expect(csp).toContain("frame-ancestors 'self';");
    expect(csp).toContain(`script-src ${POST_RESULT_SCRIPT_HASH} 'sha256-AAAA';`);
    expect(csp).not.toMatch(/unsafe|javascript|\*/);
  });

  it('framing by its own origin (the silent logout iframe): SAMEORIGIN; cookies are hardened; HSTS over https', async () => {
    const app = new Koa({ proxy: true });
    app.use(securityHeaders(new SecurityHeaders(PAGE_SCRIPT_HASHES)));
    app.use(async (ctx) => {
      extendPagePolicy(ctx, { frameAncestors: ["'self'"] });
      ctx.append('Set-Cookie', 'a=1; Path=/');
      ctx.append('Set-Cookie', 'b=2; Path=/; HttpOnly; SameSite=Strict; Secure');
      ctx.body = 'ok';
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as { port: number };
      const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { 'X-Forwarded-Proto': 'https' } });
      expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'self'");
      expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000');
      expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/; httponly; samesite=lax; secure', 'b=2; Path=/; HttpOnly; SameSite=Strict; Secure']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('pages feature', () => {
  it('serves the themed stylesheet under the public path, cached for a year', async () => {
    const page = await (await get('/sso/')).text();
    const href = /<link rel="stylesheet" href="([^"]+)">/.exec(page)?.[1] ?? '';
    expect(href).toMatch(/^\/sso\/assets\/pages-[0-9a-f]{12}\.css$/);
    const css = await get(href);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(css.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await css.text()).toContain('--accent:#7a1f5c');
  });

  it('the landing page names the targets, the providers and the status', async () => {
    const response = await get('/sso/', { headers: { 'Accept-Language': 'de' } });
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain('<html lang="de"');
    expect(page).toContain('Anmeldung zu Besprechungen – Example University');
    expect(page).toContain('https://meet.example.com');
    expect(page).toContain('Es ist noch kein Anmeldeverfahren eingerichtet.');
    expect(page).toContain('data-ready="true"');
    expect(page).not.toContain('demo-title');
  });

  it('says when it is not ready, without running checks for every visitor', async () => {
    const other = await createGateway(parseConfig(hsSettings()));
    let calls = 0;
    other.services.readiness.push({
      name: 'flaky',
      async check() {
        calls += 1;
        return { ok: false };
      },
    });
    const server = await listen(other, 0, '127.0.0.1');
    try {
      const pages = await Promise.all([1, 2, 3, 4, 5].map(() => fetch(`${server.url}/`).then((response) => response.text())));
      for (const page of pages) expect(page).toContain('data-ready="false"');
      expect(pages[0]).toContain('flaky: not ready');
      expect(calls).toBe(1);
    } finally {
      await server.shutdown('test done');
    }
  });

  it('an unknown address gets the themed 404 page, JSON for API clients', async () => {
    const page = await get('/sso/nothing-here');
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('Page not found – Example University');
    const json = await get('/sso/nothing-here', { headers: { Accept: 'application/json' } });
    expect(await json.json()).toMatchObject({ error: 'not_found' });
  });
});
