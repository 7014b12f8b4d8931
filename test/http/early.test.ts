import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/observability/logger.js';
import { listen, type RunningServer } from '../../src/http/server.js';
import { hsSettings } from '../support/config.js';
import { freePort, jitsiState } from '../login/harness.js';

/**
 * GET /login is answered before Koa (src/http/early.ts, loginStartEarly in src/login/routes.ts).
 * The contract is Koa's: the same gateway is served twice, by its listener (early routes first) and
 * by a plain node:http server around the Koa callback alone, and every answer must be the same:
 * status, headers (security headers, hardened cookies, request id), body, metrics, the access line.
 * Answers that are not a redirect (error pages, JSON errors) are handed to Koa with the outcome
 * the steps already decided: the steps run once (the login-start limit counts once).
 */

interface Answer {
  status: number;
  headers: Record<string, string>;
  cookies: string[];
  body: string;
}

const RANDOM_HEADERS = new Set(['date', 'x-request-id', 'set-cookie', 'location', 'keep-alive', 'connection']);

async function get(base: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${base}${path}`, { redirect: 'manual', headers: { accept: 'text/html', ...headers } });
  const all: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    all[name] = value;
  });
  return { status: response.status, headers: all, cookies: response.headers.getSetCookie(), body: await response.text() };
}

/** What must be equal on both paths: everything but the per-request random values. */
function comparable(answer: Answer) {
  const headers = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !RANDOM_HEADERS.has(name)));
  const cookies = answer.cookies.map((cookie) => cookie.replace(/^([^=]+)=[^;]*/, '$1=…'));
  const location = answer.headers.location?.replace(/[A-Za-z0-9_-]{20,}/g, '…');
  return { status: answer.status, headers, cookies, location, body: answer.body };
}

describe('the login start before Koa answers as Koa does', () => {
  const lines: Array<Record<string, unknown>> = [];
  let gateway: Gateway;
  let running: RunningServer;
  let koaOnly: Server;
  let early: string;
  let koa: string;
  let taken: ReturnType<typeof vi.spyOn>;

  beforeAll(async () => {
    const port = await freePort();
    const settings = hsSettings({
      publicUrl: 'https://sso.example.test/sso',
      server: { trustProxy: true },
      store: { kind: 'memory' },
      providers: { cas: { kind: 'cas', baseUrl: 'http://127.0.0.1:9/cas', version: '3.0', timeoutMs: 1000 } },
      policy: { default: { allow: { role: 'participant' } } },
    });
    const logger = createLogger('debug', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    gateway = await createGateway(parseConfig(settings), { logger });
    if (!gateway.early) throw new Error('the gateway has no early routes');
    taken = vi.spyOn(gateway.early, 'take');
    running = await listen(gateway, port, '127.0.0.1');
    early = running.url;
    koaOnly = createServer(gateway.app.callback());
    await new Promise<void>((resolve) => koaOnly.listen(0, '127.0.0.1', () => resolve()));
    koa = `http://127.0.0.1:${(koaOnly.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => koaOnly.close(() => resolve()));
    await running.shutdown('test done');
  });

  const loginPath = `/sso/login?room=standup&state=${jitsiState({ room: 'standup', 'config.startWithAudioMuted': true })}`;
  const https = { 'x-forwarded-proto': 'https' };

  it.each([
    ['a redirect to the provider, over https (HSTS, __Host- binding cookie)', loginPath, https],
    ['a redirect to the provider, over http', loginPath, {}],
    ['a redirect that keeps the browser\'s other bindings', loginPath, { ...https, cookie: '__Host-jsg_session_login=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' }],
    ['an error page (unknown target)', '/sso/login?room=standup&target=elsewhere', https],
    ['a JSON error (no room)', '/sso/login', { accept: 'application/json' }],
    ['a malformed state', '/sso/login?room=x&state=%7Bnot-json', {}],
  ])('%s', async (_, path, headers) => {
    const calls = taken.mock.results.length;
    const before = await get(koa, path, headers);
    expect(taken.mock.results.length).toBe(calls); // the Koa-only server never asks the early routes
    const after = await get(early, path, headers);
    expect(taken.mock.results.at(-1)?.value).toBe(true);
    expect(comparable(after)).toEqual(comparable(before));
    expect(after.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps the client\'s request id, in the answer and in its one access line', async () => {
    lines.length = 0;
    const answer = await get(early, loginPath, { 'x-request-id': 'early-abc-123' });
    expect(answer.status).toBe(303);
    expect(answer.headers['x-request-id']).toBe('early-abc-123');
    const access = lines.filter((line) => line.msg === 'request' && line.requestId === 'early-abc-123');
    expect(access).toEqual([expect.objectContaining({ method: 'GET', route: '/sso/login', status: 303 })]);
  });

  it('hands an error to Koa with the same request id, logged and counted once', async () => {
    lines.length = 0;
    const answer = await get(early, '/sso/login?room=standup&target=elsewhere', { 'x-request-id': 'early-err-1' });
    expect(answer.status).toBe(404);
    expect(answer.headers['x-request-id']).toBe('early-err-1');
    const mine = lines.filter((line) => line.requestId === 'early-err-1');
    expect(mine.map((line) => line.msg)).toEqual([expect.stringContaining('no known Jitsi server'), 'request']);
    expect(mine.at(-1)).toEqual(expect.objectContaining({ route: '/sso/login', status: 404 }));
  });

  it('counts each answer once in the request metric, under the route Koa names', async () => {
    const counted = async (status: number) => {
      const metric = await gateway.services.metrics.httpRequests.get();
      return metric.values.find((value) => value.labels.route === '/sso/login' && value.labels.status === String(status) && value.labels.method === 'GET')?.value ?? 0;
    };
    const [redirects, errors] = [await counted(303), await counted(404)];
    await get(early, loginPath, https);
    await get(early, '/sso/login?room=standup&target=elsewhere');
    expect(await counted(303)).toBe(redirects + 1);
    expect(await counted(404)).toBe(errors + 1);
  });

  it('leaves other spellings and methods of the path to Koa', async () => {
    for (const [method, path] of [['HEAD', loginPath], ['POST', loginPath], ['GET', loginPath.replace('/login', '/login/')], ['GET', loginPath.replace('/sso/login', '/sso/LOGIN')]] as const) {
      const calls = taken.mock.results.length;
      const response = await fetch(`${early}${path}`, { method, redirect: 'manual' });
      await response.arrayBuffer();
      expect(taken.mock.results.at(calls)?.value, `${method} ${path}`).toBe(false);
      const viaKoa = await fetch(`${koa}${path}`, { method, redirect: 'manual' });
      await viaKoa.arrayBuffer();
      expect(response.status, `${method} ${path}`).toBe(viaKoa.status);
    }
  });
});
