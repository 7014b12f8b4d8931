import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createGateway } from '../../src/gateway.js';
import { listen, type RunningServer } from '../../src/http/server.js';
import { rsaPem, rsSettings } from '../support/config.js';
import { startRedis, waitUntil, type RedisServer } from '../support/redis.js';

/**
 * The whole gateway on a real redis-server that goes away and comes back: /readyz follows it,
 * requests that need state answer 503 with a clear message (never 500, never a token), and the
 * gateway recovers by itself without a restart. The published keys (/.well-known/jwks.json and
 * /asap/*) need no Redis: Prosody fetches them at every new kid, so they keep answering.
 */
const KID = 'faults-2026';
const ASAP = `/asap/${createHash('sha256').update(KID).digest('hex')}.pem`;
const API_SECRET = 'fault-test-api-secret-0123456789abcdef';
let redis: RedisServer;
let running: RunningServer;

const tokenRequest = () =>
  fetch(`${running.url}/api/v1/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_SECRET}`, 'content-type': 'application/json' },
    body: JSON.stringify({ room: 'Standup', tenant: 'acme', user: { id: 'u1', name: 'Ada' }, role: 'participant' }),
  });

beforeAll(async () => {
  redis = await startRedis();
  const settings = rsSettings([{ kid: KID, status: 'active', privateKey: rsaPem().privateKey }], {
    store: { kind: 'redis', prefix: 'faults:', redis: { url: redis.url, commandTimeoutMs: 500 } },
    api: { clients: { booking: { secretHash: `sha256:${createHash('sha256').update(API_SECRET).digest('hex')}` } } },
  });
  const gateway = await createGateway(parseConfig(settings));
  running = await listen(gateway, 0, '127.0.0.1');
  await waitUntil('gateway ready', async () => (await fetch(`${running.url}/readyz`)).status === 200, 10_000);
});

afterAll(async () => {
  await running?.shutdown('test done');
  await redis?.destroy();
});

describe('Redis outage seen through the gateway', () => {
  it('works while Redis is up', async () => {
    const response = await tokenRequest();
    expect(response.status).toBe(201);
    expect(((await response.json()) as { token?: string }).token).toMatch(/^ey/);
  });

  it('Redis stopped: /readyz 503, state-needing requests 503 with a clear message, /healthz still 200', async () => {
    await redis.stop();
    const ready = await fetch(`${running.url}/readyz?verbose`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not ready', checks: expect.arrayContaining([expect.objectContaining({ name: 'store', ok: false })]) });
    const started = Date.now();
    const response = await tokenRequest();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({ error: 'store_unavailable', message: expect.stringMatching(/cannot reach its state store/) });
    expect(JSON.stringify(body)).not.toMatch(/ey[\w-]+\.[\w-]+\./);
    expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${running.url}/metrics`)).text();
    expect(metrics).toMatch(/jsg_errors_total\{kind="store_unavailable"\} [1-9]/);
    expect(metrics).toMatch(/jsg_store_operation_duration_seconds_count\{operation="[a-zA-Z]+",backend="redis",outcome="error"\} [1-9]/);
  });

  it('Redis stopped: the published keys still answer, and /readyz?exclude=store (the sidecar probe) stays 200', async () => {
    expect((await fetch(`${running.url}/readyz`)).status).toBe(503);
    const jwks = await fetch(`${running.url}/.well-known/jwks.json`);
    expect(jwks.status).toBe(200);
    expect(((await jwks.json()) as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid)).toEqual([KID]);
    const pem = await fetch(`${running.url}${ASAP}`);
    expect(pem.status).toBe(200);
    expect(await pem.text()).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const sidecar = await fetch(`${running.url}/readyz?exclude=store`);
    expect(sidecar.status).toBe(200);
    expect(await sidecar.json()).toEqual({ status: 'ready' });
  });

  it('Redis back: the gateway recovers by itself', async () => {
    await redis.restart();
    await waitUntil('gateway ready', async () => (await fetch(`${running.url}/readyz`)).status === 200, 10_000);
    const response = await tokenRequest();
    expect(response.status).toBe(201);
  });
});
