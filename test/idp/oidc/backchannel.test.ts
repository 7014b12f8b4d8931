import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackchannelFetch } from '../../../src/idp/oidc/http.js';
import { createLogger } from '../../../src/observability/logger.js';
import { startOidcProvider, type TestOidcProvider } from '../../support/oidc-provider.js';
import { startRedis, waitUntil, type RedisServer } from '../../support/redis.js';
import { carriesNoToken, freePort, gatewaySettings, groupPolicy, jitsiState, ScriptedBrowser, startGateway, type RunningGateway } from '../../login/harness.js';

/**
 * The back channel's failure modes (src/idp/oidc/http.ts, the gateway's HTTP client under
 * openid-client): a token endpoint that does not answer in time, one that sends more than the
 * client reads, a connection cut mid-answer and nothing listening. The person signs in at a real
 * oidc-provider; the token endpoint is then one of these small servers (endpoints.token), since a
 * real IdP does not produce these faults on demand. Each ends in the same page and status as it
 * did before the client was replaced, and in no token.
 */

const SECRET = 'gateway-secret-0123456789';
const FAULTS = ['silent', 'huge', 'cut', 'refused', 'slowuserinfo'] as const;

let redis: RedisServer;
let idp: TestOidcProvider;
let faults: Server;
let faultUrl: string;
const sockets = new Set<Socket>();
let gw: RunningGateway;
const lines: string[] = [];

beforeAll(async () => {
  redis = await startRedis();
  const port = await freePort();
  idp = await startOidcProvider({
    clients: [{ client_id: 'gw', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_basic', redirect_uris: FAULTS.map((name) => `http://127.0.0.1:${port}/auth/${name}/callback`) }],
  });
  faults = createServer((req, res) => {
    req.resume();
    if (req.url === '/silent') return; // accepts the request, never answers
    if (req.url === '/huge') {
      // 2 MiB of JSON, more than the client reads (1 MiB)
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"padding":"${'x'.repeat(2 * 1024 * 1024)}"}`);
      return;
    }
    if (req.url === '/cut') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"access_token":"abc",');
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    if (req.url === '/userinfo') return; // never answers
    if (req.url === '/echo') {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        res.writeHead(201, 'Made', { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'], 'x-twice': ['one', 'two'] });
        // A byte order mark first, as some IdPs send: the Fetch API's text() drops it.
        res.end(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ method: req.method, type: req.headers['content-type'], length: req.headers['content-length'], body: Buffer.concat(chunks).toString('utf8') }))]));
      });
      return;
    }
    if (req.url === '/empty') {
      res.writeHead(204).end();
      return;
    }
    res.writeHead(404).end();
  });
  faults.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => faults.listen(0, '127.0.0.1', () => resolve()));
  faultUrl = `http://127.0.0.1:${(faults.address() as AddressInfo).port}`;
  const base = { kind: 'oidc', issuer: idp.issuer, clientId: 'gw', clientSecret: SECRET, displayName: 'Corp SSO', timeoutMs: 400 };
  const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
  gw = await startGateway(
    gatewaySettings(port, redis.url, {
      silent: { ...base, endpoints: { token: `${faultUrl}/silent` } },
      huge: { ...base, endpoints: { token: `${faultUrl}/huge` } },
      cut: { ...base, endpoints: { token: `${faultUrl}/cut` } },
      refused: { ...base, endpoints: { token: `http://127.0.0.1:${await freePort()}/token` } },
      slowuserinfo: { ...base, userinfo: 'always', endpoints: { userinfo: `${faultUrl}/userinfo` } },
    }),
    port,
    { policy: groupPolicy, logger },
  );
  // timeoutMs bounds discovery too: on a loaded machine the first attempt may miss it.
  await waitUntil('discovery of every provider', async () => {
    for (const name of FAULTS) if (!(await gw.gateway.services.providers.get(name)?.ready())?.ok) return false;
    return true;
  }, 20_000, 100);
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => faults?.close(resolve));
  await idp?.stop();
  await redis?.destroy();
});

async function loginThrough(provider: (typeof FAULTS)[number]) {
  const from = lines.length;
  const started = Date.now();
  const { final } = await new ScriptedBrowser().login(`${gw.url}/login?room=sync&state=${jitsiState({ room: 'sync', tenant: 'acme' })}&provider=${provider}`);
  const log = lines.slice(from).map((line) => JSON.parse(line) as Record<string, unknown>);
  const failure = log.find((entry) => entry.code !== undefined && entry.status !== undefined);
  return { final, failure, ms: Date.now() - started };
}

describe('back-channel failures (token endpoint and userinfo)', () => {
  it('no answer within timeoutMs: 504 "did not answer in time", retry possible', async () => {
    const { final, failure } = await loginThrough('silent');
    expect(final.status).toBe(504);
    expect(final.body).toContain('Corp SSO did not answer in time. Please try again in a moment.');
    expect(carriesNoToken(final)).toBe(true);
    expect(failure).toMatchObject({ level: 'warn', code: 'idp_unavailable', status: 504, provider: 'silent', stage: 'authorization code exchange' });
  });

  it('an answer larger than the client reads: 502, the request is given up as for an unreachable IdP', async () => {
    const { final, failure } = await loginThrough('huge');
    expect(final.status).toBe(502);
    expect(final.body).toContain('Corp SSO cannot be reached right now. Please try again in a moment.');
    expect(carriesNoToken(final)).toBe(true);
    expect(failure).toMatchObject({ level: 'warn', code: 'idp_unavailable', status: 502, provider: 'huge' });
  });

  it('a connection cut in the middle of the answer: 502, without a token', async () => {
    const { final, failure } = await loginThrough('cut');
    expect(final.status).toBe(502);
    expect(final.body).toContain('Signing in at Corp SSO failed. Please try again; if it keeps happening, tell your administrator.');
    expect(carriesNoToken(final)).toBe(true);
    expect(failure).toMatchObject({ level: 'error', code: 'idp_error', status: 502, provider: 'cut' });
  });

  it('nothing listening at the token endpoint: 502 "cannot be reached", without a token', async () => {
    const { final, failure } = await loginThrough('refused');
    expect(final.status).toBe(502);
    expect(final.body).toContain('Corp SSO cannot be reached right now. Please try again in a moment.');
    expect(carriesNoToken(final)).toBe(true);
    expect(failure).toMatchObject({ level: 'warn', code: 'idp_unavailable', status: 502, provider: 'refused' });
  });

  it('userinfo that does not answer within timeoutMs: 504 as for the token endpoint', async () => {
    const { final, failure } = await loginThrough('slowuserinfo');
    expect(final.status).toBe(504);
    expect(final.body).toContain('Corp SSO did not answer in time. Please try again in a moment.');
    expect(carriesNoToken(final)).toBe(true);
    expect(failure).toMatchObject({ level: 'warn', code: 'idp_unavailable', status: 504, provider: 'slowuserinfo', stage: 'userinfo' });
  });
});

describe('the back-channel client answers as much of a Response as openid-client reads', () => {
  const fetchIt = createBackchannelFetch({ timeoutMs: 2000 });

  it('status, headers, body once (json, text, clone before reading), recognised as a Response by its tag (as oauth4webapi checks)', async () => {
    const answer = await fetchIt(`${faultUrl}/echo`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ code: 'c', x: 'ä' }), redirect: 'manual' });
    expect(Object.prototype.toString.call(answer)).toBe('[object Response]');
    expect([answer.status, answer.statusText, answer.ok]).toEqual([201, 'Made', true]);
    expect(answer.headers.get('Content-Type')).toBe('application/json');
    expect(answer.headers.get('x-twice')).toBe('one, two');
    expect(answer.headers.has('x-missing')).toBe(false);
    expect(answer.headers.get('x-missing')).toBeNull();
    expect(answer.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    const copy = answer.clone();
    expect(await answer.json()).toEqual({ method: 'POST', type: 'application/x-www-form-urlencoded', length: '15', body: 'code=c&x=%C3%A4' });
    expect(answer.bodyUsed).toBe(true);
    await expect(answer.text()).rejects.toBeInstanceOf(TypeError);
    expect(() => answer.clone()).toThrow(TypeError);
    expect((await copy.text()).startsWith('{"method"')).toBe(true);
  });

  it('a 204 has an empty body; a caller\'s AbortSignal aborts with its reason', async () => {
    const empty = await fetchIt(`${faultUrl}/empty`, { method: 'GET', headers: {}, body: undefined, redirect: 'manual' });
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe('');
    const aborted = fetchIt(`${faultUrl}/silent`, { method: 'GET', headers: {}, body: undefined, redirect: 'manual', signal: AbortSignal.timeout(100) });
    await expect(aborted).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});
