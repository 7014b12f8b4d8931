/**
 * Test harness for the login flows: a gateway on a real port of 127.0.0.1 (real Redis store), a
 * scripted browser (cookie jar, manual redirects, the IdP's login form), and token verification
 * with jose against the gateway's own key endpoints.
 */
import { createLocalJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import { expect } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/gateway.js';
import { listen, type RunningServer } from '../../src/http/server.js';
import type { Policy } from '../../src/policy/policy.js';
import { rsaPem } from '../support/config.js';
import { freePort } from '../support/redis.js';

export const TARGET_URL = 'https://meet.example.com';

export interface RunningGateway {
  url: string;
  port: number;
  gateway: Gateway;
  running: RunningServer;
  stop(): Promise<void>;
}

const signingKey = rsaPem();

/** Gateway settings with one RS256 target (tenant acme) and the given providers. */
export function gatewaySettings(port: number, redisUrl: string, providers: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    publicUrl: `http://127.0.0.1:${port}`,
    log: { level: 'silent' },
    store: { kind: 'redis', prefix: `jsgtest:${port}:`, redis: { url: redisUrl } },
    targets: {
      meet: {
        url: TARGET_URL,
        xmppDomain: 'meet.jitsi',
        tenants: ['acme'],
        appId: 'jitsi-sso',
        audience: 'jitsi',
        algorithm: 'RS256',
        keys: [{ kid: 'login-test-1', status: 'active', privateKey: signingKey.privateKey }],
      },
    },
    providers,
    ...extra,
  };
}

export async function startGateway(settings: Record<string, unknown>, port: number, options: GatewayOptions = {}): Promise<RunningGateway> {
  const gateway = await createGateway(parseConfig(settings), options);
  const running = await listen(gateway, port, '127.0.0.1');
  return { url: running.url, port, gateway, running, stop: () => running.shutdown('test done') };
}

export { freePort };

/** A policy for flow tests: the `moderators` group → moderator; everyone else participant. */
export const groupPolicy: Policy = {
  async decide({ identity }) {
    return identity.groups.includes('moderators') ? { allow: true, role: 'moderator', rule: 'moderators' } : { allow: true, role: 'participant', rule: 'default' };
  },
};

interface StoredCookie {
  value: string;
  path: string;
  expires: number;
}

export interface Step {
  url: string;
  status: number;
  location?: string;
  body: string;
  headers: Headers;
}

/**
 * A scripted browser: one cookie jar for 127.0.0.1 (cookies are per host, not per port, as in a
 * real browser), redirects followed by hand so each hop can be inspected.
 */
export class ScriptedBrowser {
  readonly cookies = new Map<string, StoredCookie>();

  cookieHeader(url: string): string {
    const path = new URL(url).pathname;
    const now = Date.now();
    return [...this.cookies.entries()]
      .filter(([, cookie]) => cookie.expires > now && (path === cookie.path || path.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`)))
      .map(([name, cookie]) => `${name}=${cookie.value}`)
      .join('; ');
  }

  private store(setCookies: string[]): void {
    for (const header of setCookies) {
      const [pair, ...attributes] = header.split(';').map((part) => part.trim());
      const eq = pair?.indexOf('=') ?? -1;
      if (!pair || eq <= 0) continue;
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let expires = Number.POSITIVE_INFINITY;
      for (const attribute of attributes) {
        const [key, val = ''] = attribute.split('=');
        if (key?.toLowerCase() === 'path') path = val || '/';
        if (key?.toLowerCase() === 'max-age') expires = Date.now() + Number(val) * 1000;
        if (key?.toLowerCase() === 'expires' && Number.isFinite(Date.parse(val)) && !attributes.some((a) => a.toLowerCase().startsWith('max-age'))) expires = Date.parse(val);
      }
      if (expires <= Date.now()) this.cookies.delete(name);
      else this.cookies.set(name, { value, path, expires });
    }
  }

  async request(url: string, init: { method?: string; form?: URLSearchParams; headers?: Record<string, string> } = {}): Promise<Step> {
    const headers: Record<string, string> = { accept: 'text/html', ...(init.headers ?? {}) };
    const cookie = this.cookieHeader(url);
    if (cookie) headers.cookie = cookie;
    if (init.form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(url, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body: init.form?.toString(), redirect: 'manual' });
    this.store(response.headers.getSetCookie());
    const location = response.headers.get('location') ?? undefined;
    const body = await response.text();
    return { url, status: response.status, body, headers: response.headers, ...(location ? { location: /^[a-z][a-z0-9+.-]*:/i.test(location) ? location : new URL(location, url).href } : {}) };
  }

  /**
   * Signs out as a person does: GET the logout URL (a confirmation page), then POST its form with
   * the CSRF token. Returns the answer to the POST (or the GET's, when it was no confirmation page).
   */
  async logout(url: string): Promise<Step> {
    const confirm = await this.request(url);
    const form = /<form method="post" action="([^"]+)"[^>]*>\s*<input type="hidden" name="csrf" value="([^"]+)">/.exec(confirm.body);
    if (confirm.status !== 200 || !form) return confirm;
    return this.request(new URL((form[1] ?? '').replace(/&amp;/g, '&'), url).href, { form: new URLSearchParams({ csrf: form[2] ?? '' }) });
  }

  /** Follows redirects while they stay on 127.0.0.1 over http; returns every hop. */
  async follow(url: string, init: { form?: URLSearchParams } = {}, max = 15): Promise<Step[]> {
    const steps: Step[] = [];
    let step = await this.request(url, init);
    steps.push(step);
    while (step.location && step.status >= 300 && step.status < 400 && step.location.startsWith('http://127.0.0.1') && steps.length < max) {
      step = await this.request(step.location);
      steps.push(step);
    }
    return steps;
  }

  /**
   * Through the IdP's login form up to the redirect to the gateway's callback, without following
   * it: the callback URL (with code, state, iss) for hostile replays.
   */
  async loginToCallback(url: string, user = 'alice', password = `${user}-password`): Promise<string> {
    const isCallback = (location: string | undefined) => location !== undefined && /\/auth\/[a-z0-9-]+\/callback\?/.test(location);
    let step = await this.request(url);
    for (let hops = 0; hops < 15; hops += 1) {
      if (isCallback(step.location)) return step.location as string;
      if (step.status === 200) {
        const form = /action="(\/interaction\/[A-Za-z0-9_-]+\/login)"/.exec(step.body);
        if (!form) break;
        step = await this.request(`${new URL(step.url).origin}${form[1]}`, { form: new URLSearchParams({ login: user, password }) });
        continue;
      }
      if (!step.location) break;
      step = await this.request(step.location);
    }
    throw new Error(`did not reach the callback (last: ${step.status} ${step.url})`);
  }

  /**
   * From a gateway URL through the IdP's login form back to the gateway's final answer. Returns
   * the final step (a redirect to Jitsi, a page, or an error) and every hop.
   */
  async login(url: string, user = 'alice', password = `${user}-password`, options: { cancel?: boolean } = {}): Promise<{ final: Step; steps: Step[] }> {
    const steps = await this.follow(url);
    let last = steps.at(-1) as Step;
    const form = /action="(\/interaction\/[A-Za-z0-9_-]+\/login)"/.exec(last.body);
    if (last.status === 200 && form) {
      const origin = new URL(last.url).origin;
      const action = options.cancel ? (form[1] as string).replace(/\/login$/, '/abort') : (form[1] as string);
      const more = await this.follow(`${origin}${action}`, { form: new URLSearchParams(options.cancel ? {} : { login: user, password }) });
      steps.push(...more);
      last = more.at(-1) as Step;
    }
    return { final: last, steps };
  }
}

/** `#jwt=%22<token>%22` from a join URL (web, deep link). */
export function tokenFromJoinUrl(url: string): string {
  const hash = url.split('#')[1] ?? '';
  const jwt = new URLSearchParams(hash).get('jwt');
  if (!jwt) throw new Error(`no jwt in ${url.slice(0, 200)}`);
  return JSON.parse(jwt) as string;
}

/** Verifies a minted token against the gateway's published keys, as Prosody would. */
export async function verifyWithGatewayKeys(gatewayUrl: string, token: string): Promise<JWTPayload & Record<string, unknown>> {
  const jwks = (await (await fetch(`${gatewayUrl}/jwks/meet.json`)).json()) as { keys: [] };
  const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
    issuer: 'jitsi-sso',
    audience: 'jitsi',
    algorithms: ['RS256'],
    typ: 'JWT',
  });
  if (protectedHeader.kid !== 'login-test-1') throw new Error('unexpected kid');
  return payload as JWTPayload & Record<string, unknown>;
}

/** A `{state}` the way Jitsi builds it: encodeURIComponent(JSON.stringify(state)). */
export function jitsiState(state: Record<string, unknown>): string {
  return encodeURIComponent(JSON.stringify(state));
}

/** Whether an answer carries no token anywhere (location, body). */
export function carriesNoToken(step: Step): boolean {
  const text = `${step.location ?? ''} ${step.body}`;
  return !/jwt=|accessToken|eyJ[A-Za-z0-9_-]{10,}\.eyJ/.test(text);
}

/** A refusal: the expected status, no redirect, no token anywhere. */
export function expectRejected(step: Step, status: number): void {
  expect(step.status).toBe(status);
  expect(step.location).toBeUndefined();
  expect(carriesNoToken(step)).toBe(true);
}

/** Asks like an API client, to read the error code and message. */
export async function asJson(browser: ScriptedBrowser, url: string): Promise<{ step: Step; error: { error: string; message: string } }> {
  const step = await browser.request(url, { headers: { accept: 'application/json' } });
  return { step, error: JSON.parse(step.body) as { error: string; message: string } };
}

export { decodeJwt };
