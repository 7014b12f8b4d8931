import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors/gateway-error.js';
import { answerOf } from '../../src/http/errors.js';
import { LoginStartLimiter } from '../../src/login/login-starts.js';
import { clientAddress, isPublicAddress, limitKey, normalizeAddress } from '../../src/security/client-address.js';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc-provider.js';
import { redisCommand, sleep, startRedis, type RedisServer } from '../support/redis.js';
import { freePort, gatewaySettings, startGateway, type RunningGateway } from './harness.js';

/**
 * The cap on new login transactions per client address (src/login/login-starts.ts): which address
 * counts, which addresses are never limited, and over real HTTP with a real OpenID provider and
 * Redis that a refused /login stores nothing and says why.
 */

describe('the client address', () => {
  it.each([
    // peer, X-Forwarded-For, trustProxy → address
    ['203.0.113.7', undefined, false, '203.0.113.7'],
    ['::ffff:203.0.113.7', undefined, false, '203.0.113.7'],
    ['127.0.0.1', '198.51.100.1', false, '127.0.0.1'], // a header from an untrusted peer is ignored
    ['127.0.0.1', '198.51.100.1', true, '198.51.100.1'],
    ['127.0.0.1', '6.6.6.6, 198.51.100.1', true, '198.51.100.1'], // the client's own entries are not believed
    ['127.0.0.1', ' 2001:DB8::1 ', true, '2001:db8::1'],
    ['127.0.0.1', 'unknown', true, undefined],
    ['127.0.0.1', undefined, true, '127.0.0.1'],
    [undefined, undefined, false, undefined],
  ])('peer %s, X-Forwarded-For %s, trustProxy %s → %s', (peer, forwarded, trust, expected) => {
    expect(clientAddress(peer, forwarded, trust)).toBe(expected);
  });

  it.each([
    ['203.0.113.7', true],
    ['2001:db8::1', true],
    ['10.1.2.3', false],
    ['172.20.0.5', false],
    ['192.168.1.1', false],
    ['100.64.3.4', false],
    ['127.0.0.1', false],
    ['169.254.1.1', false],
    ['::1', false],
    ['fd12:3456::1', false],
    ['fe80::1', false],
    ['not an address', false],
    ['8.8.8.8', true],
    ['172.15.0.1', true],
    ['172.32.0.1', true],
    ['100.63.0.1', true],
    ['100.128.0.1', true],
    ['0.1.2.3', false],
    ['::', false],
    ['FE80::1', false],
    ['fdff::1', false],
    ['fbff::1', true],
    ['fec0::1', true],
  ])('%s is public: %s', (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });

  it('counts IPv4 addresses one by one and IPv6 per /64', () => {
    expect(limitKey('203.0.113.7')).toBe('203.0.113.7');
    expect(limitKey('2001:db8::1')).toBe('2001:0db8:0000:0000::/64');
    expect(limitKey('2001:db8:0:0:ffff::2')).toBe(limitKey('2001:db8::1'));
    expect(limitKey('2001:db8:0:1::1')).not.toBe(limitKey('2001:db8::1'));
    expect(normalizeAddress('[2001:db8::1]')).toBe('2001:db8::1');
  });
});

describe('LoginStartLimiter', () => {
  const refused = (limiter: LoginStartLimiter, address: string) => {
    try {
      limiter.check(address);
      return undefined;
    } catch (error) {
      return error instanceof GatewayError ? error : undefined;
    }
  };

  it('allows perMinute starts per address and minute, then 429 with Retry-After until the next minute', () => {
    let now = Date.UTC(2026, 10, 24, 9, 0, 15);
    const limiter = new LoginStartLimiter(3, () => now);
    for (let i = 0; i < 3; i++) expect(refused(limiter, '203.0.113.7')).toBeUndefined();
    const error = refused(limiter, '203.0.113.7');
    expect(error && answerOf(error).status).toBe(429);
    expect(error?.code).toBe('rate_limited');
    expect(error && answerOf(error).headers).toEqual({ 'Retry-After': '45' });
    expect(refused(limiter, '198.51.100.1')).toBeUndefined(); // another address has its own count
    expect(refused(limiter, '2001:db8::1')).toBeUndefined();
    now += 45_000; // the next minute
    expect(refused(limiter, '203.0.113.7')).toBeUndefined();
  });

  it('never limits private addresses, unknown addresses, or anything when the limit is 0', () => {
    const limiter = new LoginStartLimiter(1);
    for (let i = 0; i < 5; i++) {
      expect(refused(limiter, '10.0.0.8')).toBeUndefined();
      expect(refused(limiter, '127.0.0.1')).toBeUndefined();
      expect(refused(new LoginStartLimiter(0), '203.0.113.7')).toBeUndefined();
    }
    limiter.check(undefined);
  });

  it('counts the addresses of one IPv6 /64 together', () => {
    const limiter = new LoginStartLimiter(2);
    expect(refused(limiter, '2001:db8::1')).toBeUndefined();
    expect(refused(limiter, '2001:db8::2')).toBeUndefined();
    const error = refused(limiter, '2001:db8::3');
    expect(error && answerOf(error).status).toBe(429);
  });
});

describe('GET /login over HTTP', () => {
  const SECRET = 'gateway-secret-0123456789';
  const LIMIT = 3;
  let redis: RedisServer;
  let idp: TestOidcProvider;
  let proxied: RunningGateway;
  let direct: RunningGateway;

  beforeAll(async () => {
    redis = await startRedis();
    const [proxiedPort, directPort] = [await freePort(), await freePort()];
    idp = await startOidcProvider({
      clients: [{ client_id: 'gateway', client_secret: SECRET, redirect_uris: [proxiedPort, directPort].map((port) => `http://127.0.0.1:${port}/auth/corp/callback`) }],
    });
    const corp = { kind: 'oidc', issuer: idp.issuer, clientId: 'gateway', clientSecret: SECRET };
    const limited = (port: number, trustProxy: boolean) => ({
      server: { trustProxy },
      session: { loginStartsPerMinute: LIMIT },
      store: { kind: 'redis', prefix: `jsgtest:starts:${port}:`, redis: { url: redis.url } },
    });
    proxied = await startGateway(gatewaySettings(proxiedPort, redis.url, { corp }, limited(proxiedPort, true)), proxiedPort);
    direct = await startGateway(gatewaySettings(directPort, redis.url, { corp }, limited(directPort, false)), directPort);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([proxied?.stop(), direct?.stop()]);
    await idp?.stop();
    await redis?.destroy();
  });

  const start = (gateway: RunningGateway, forwardedFor: string, accept = 'text/html') =>
    fetch(`${gateway.url}/login?room=Team%20Sync&tenant=acme`, { redirect: 'manual', headers: { 'x-forwarded-for': forwardedFor, accept } });
  const transactions = async (gateway: RunningGateway) => ((await redisCommand(redis.port, 'KEYS', `jsgtest:starts:${gateway.port}:tx:*`)) as string[]).length;

  /** The limiter counts per clock minute: start a case early enough in one. */
  const awayFromMinuteEnd = async () => {
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 10_000) await sleep(left + 100);
  };

  it('behind a trusted proxy: the limit per client address, then a clear 429 that stores nothing', async () => {
    await awayFromMinuteEnd();
    for (let i = 0; i < LIMIT; i++) expect((await start(proxied, '203.0.113.7')).status).toBe(303);
    expect(await transactions(proxied)).toBe(LIMIT);

    const page = await start(proxied, '203.0.113.7');
    expect(page.status).toBe(429);
    expect(Number(page.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(page.headers.get('location')).toBeNull();
    expect(await page.text()).toContain('Too many sign-ins were started from your network');
    const json = await start(proxied, '6.6.6.6, 203.0.113.7', 'application/json'); // a made-up first entry changes nothing
    expect(json.status).toBe(429);
    expect(((await json.json()) as { error: string }).error).toBe('rate_limited');
    expect(await transactions(proxied)).toBe(LIMIT);

    expect((await start(proxied, '198.51.100.1')).status).toBe(303); // another address
    for (let i = 0; i < LIMIT + 2; i++) expect((await start(proxied, '10.20.30.40')).status).toBe(303); // a private one
    const metrics = await (await fetch(`${proxied.url}/metrics`)).text();
    expect(metrics).toMatch(/jsg_errors_total\{kind="rate_limited"\} 2/);
  });

  it('without trustProxy the peer (here 127.0.0.1) is the address, and a private peer is never limited', async () => {
    for (let i = 0; i < LIMIT + 3; i++) expect((await start(direct, '203.0.113.7')).status).toBe(303);
    expect(await transactions(direct)).toBe(LIMIT + 3);
  });
});
