import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatePassSigner } from '../../src/gate/pass.js';
import { freePort, gatewaySettings, startGateway, type RunningGateway } from '../login/harness.js';
import { startRedis, type RedisServer } from '../support/redis.js';

/**
 * The check answers a fresh pass without the store: with redis-server stopped (a real outage, not
 * a fake) a fresh pass still passes, and a stale one is refused with 503 (fail closed) instead of
 * being trusted. When Redis is back, the stale pass of a session that does not exist is a 401.
 */

const SECRET = 'store-down-gate-secret-7d2f9a4c1e8b6d3f5a7c9e1b';
let redis: RedisServer;
let gw: RunningGateway;

beforeAll(async () => {
  redis = await startRedis();
  const port = await freePort();
  const settings = gatewaySettings(port, redis.url, {});
  settings.gate = { cookieSecret: SECRET, recheckSeconds: 30 };
  settings.store = { ...(settings.store as Record<string, unknown>), redis: { url: redis.url, commandTimeoutMs: 300 } };
  gw = await startGateway(settings, port);
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await redis?.destroy();
});

describe('gate check and the store', () => {
  const signer = new GatePassSigner(SECRET);
  const pass = (ageSeconds: number) => {
    const now = Math.floor(Date.now() / 1000);
    return signer.sign({ target: 'meet', sessionId: 'Z'.repeat(43), issuedAt: now - ageSeconds, expiresAt: now + 3600, provider: 'corp', user: 'alice' });
  };
  // https target at its root: the pass cookie is __Host- prefixed.
  const check = (value: string) => fetch(`${gw.url}/gate/check/meet`, { headers: { Cookie: `__Host-jsg_gate_meet=${value}` } });

  it('passes a fresh pass with Redis stopped, refuses a stale one with 503, and a stale one for no session with 401 once Redis is back', async () => {
    await redis.stop();
    try {
      const fresh = await check(pass(0));
      expect(fresh.status).toBe(200);
      expect(fresh.headers.get('x-auth-request-user')).toBe('alice');
      const stale = await check(pass(31));
      expect(stale.status).toBe(503);
      expect(stale.headers.get('retry-after')).toBe('5');
    } finally {
      await redis.restart();
    }
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 401; attempt += 1) {
      status = (await check(pass(31))).status;
      if (status !== 401) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(401);
  });
});
