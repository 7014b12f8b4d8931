import { createHash, createPublicKey } from 'node:crypto';
import { compactVerify, createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createGateway } from '../../src/gateway.js';
import { createTargets } from '../../src/tokens/targets.js';
import { listen, type RunningServer } from '../../src/http/server.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/store.js';
import { rsaPem, rsSettings } from '../support/config.js';

const next = rsaPem();
const active = rsaPem();
const retiring = rsaPem();
const settings = rsSettings(
  [
    { kid: 'key-2026-12', status: 'next', publicKey: next.publicKey },
    { kid: 'key-2026-11', status: 'active', privateKey: active.privateKey },
    { kid: 'key-2026-10', status: 'retiring', publicKey: retiring.publicKey },
  ],
  { publicUrl: 'http://127.0.0.1:1/sso' },
);

/** A store whose backend is down: what the real Redis does is covered in test/store/redis-faults.test.ts. */
class DownStore extends MemoryStore {
  down = false;
  override async ping() {
    if (this.down) throw new Error('connection refused');
  }
}

let running: RunningServer;
let store: DownStore;
const get = (path: string, init?: RequestInit) => fetch(`${running.url}${path}`, init);

beforeAll(async () => {
  store = new DownStore({ prefix: 't:' });
  const gateway = await createGateway(parseConfig(settings), { store: store as Store });
  running = await listen(gateway, 0, '127.0.0.1');
});
afterAll(async () => {
  await running.shutdown('test done');
});

describe('key publication for Prosody', () => {
  const sha = (kid: string) => createHash('sha256').update(kid).digest('hex');

  it.each([
    ['key-2026-12', next.publicKey],
    ['key-2026-11', active.privateKey],
    ['key-2026-10', retiring.publicKey],
  ])('GET /asap/<sha256(%s)>.pem serves the SPKI PEM', async (kid, pem) => {
    const response = await get(`/sso/asap/${sha(kid)}.pem`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/x-pem-file/);
    const body = await response.text();
    expect(body).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(createPublicKey(body).export({ format: 'jwk' })).toEqual(createPublicKey(pem).export({ format: 'jwk' }));
  });

  it.each([
    [`/sso/asap/${createHash('sha256').update('unknown').digest('hex')}.pem`],
    [`/sso/asap/${createHash('sha256').update('key-2026-11').digest('hex').toUpperCase()}.pem`],
    ['/sso/asap/key-2026-11.pem'],
    ['/sso/asap/..%2f..%2fetc%2fpasswd'],
    [`/sso/asap/${'a'.repeat(5000)}.pem`],
  ])('unknown or malformed kid path %s → 404', async (path) => {
    const response = await get(path);
    expect(response.status).toBe(404);
  });

  it('tolerates the // that Prosody requests when asap_key_server ends with a slash', async () => {
    const response = await get(`/sso/asap//${sha('key-2026-11')}.pem`);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/BEGIN PUBLIC KEY/);
  });

  it('key documents: HEAD has the headers of GET and no body; other methods are 405 with Allow', async () => {
    const path = `/sso/asap/${sha('key-2026-11')}.pem`;
    const full = await get(path);
    const pem = await full.text();
    const head = await get(path, { method: 'HEAD' });
    expect(head.status).toBe(200);
    for (const name of ['cache-control', 'content-type', 'content-length', 'x-content-type-options']) expect(head.headers.get(name)).toBe(full.headers.get(name));
    expect(full.headers.get('content-length')).toBe(String(Buffer.byteLength(pem)));
    expect(await head.text()).toBe('');
    const jwks = await get('/sso/.well-known/jwks.json?cache-buster=1');
    expect(jwks.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const post = await get(path, { method: 'POST', headers: { accept: 'application/json' } });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toMatch(/GET/);
  });

  it('JWKS lists next, active and retiring keys with max-age, and verifies issued tokens', async () => {
    const response = await get('/sso/.well-known/jwks.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=3600');
    const jwks = (await response.json()) as { keys: Array<Record<string, string>> };
    expect(jwks.keys.map((key) => key.kid)).toEqual(['key-2026-12', 'key-2026-11', 'key-2026-10']);
    for (const key of jwks.keys) {
      expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
      expect(key).not.toHaveProperty('d');
    }
    const target = createTargets(parseConfig(settings).config).get('meet');
    if (!target) throw new Error('no target');
    const { token } = target.issue({ location: target.locate('room'), user: { id: 'u', moderator: false } });
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks as never), { algorithms: ['RS256'] });
    expect(payload.room).toBe('room');
    const perTarget = await get('/sso/jwks/meet.json');
    expect(await perTarget.json()).toEqual(jwks);
    expect((await get('/sso/jwks/other.json')).status).toBe(404);
  });

  it('rotation without a gap: the retiring key still verifies tokens it signed', async () => {
    const rotated = parseConfig(
      rsSettings([
        { kid: 'key-2026-11', status: 'retiring', privateKey: active.privateKey },
        { kid: 'key-2026-12', status: 'active', privateKey: next.privateKey },
      ]),
    ).config;
    const before = createTargets(parseConfig(settings).config).get('meet');
    const after = createTargets(rotated).get('meet');
    if (!before || !after) throw new Error('no target');
    const old = before.issue({ location: before.locate('r'), user: { id: 'u', moderator: false } }).token;
    const fresh = after.issue({ location: after.locate('r'), user: { id: 'u', moderator: false } }).token;
    const publishedAfter = after.keyring?.published.map((key) => key.kid);
    expect(publishedAfter).toEqual(['key-2026-11', 'key-2026-12']);
    // The next key was published (before rotation) with the same public key that now signs.
    await compactVerify(fresh, createPublicKey(next.publicKey));
    const oldKey = after.keyring?.published.find((key) => key.kid === 'key-2026-11');
    await compactVerify(old, createPublicKey(oldKey?.pem ?? ''));
  });
});

describe('operations endpoints', () => {
  it('healthz at the root and under the public path', async () => {
    for (const path of ['/healthz', '/sso/healthz']) {
      const response = await get(path);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
    }
  });

  it('readyz: terse by default, each check with ?verbose; 503 when the store does not answer, 200 with ?exclude=store', async () => {
    const ok = await get('/readyz');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'ready' });
    const verbose = await get('/readyz?verbose');
    expect(await verbose.json()).toMatchObject({ status: 'ready', checks: [{ name: 'store', ok: true }, { name: 'keys', ok: true }, { name: 'shutdown', ok: true }] });
    store.down = true;
    try {
      const down = await get('/readyz');
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({ status: 'not ready' });
      const named = await get('/readyz?verbose');
      expect(await named.json()).toMatchObject({ status: 'not ready', checks: [{ name: 'store', ok: false, detail: 'connection refused' }, { name: 'keys', ok: true }, { name: 'shutdown', ok: true }] });
      const sidecar = await get('/readyz?exclude=store&verbose');
      expect(sidecar.status).toBe(200);
      expect(await sidecar.json()).toMatchObject({ status: 'ready', checks: [{ name: 'store', excluded: true }, { name: 'keys', ok: true }, { name: 'shutdown', ok: true }] });
    } finally {
      store.down = false;
    }
  });

  it('readyz?exclude= naming no check is a 400 naming the checks (a typo in a probe must not pass)', async () => {
    const typo = await get('/readyz?exclude=stor');
    expect(typo.status).toBe(400);
    expect(await typo.json()).toEqual({ error: 'invalid_request', message: 'unknown readiness check "stor"; the checks are store, keys, shutdown' });
  });

  it('metrics: requests by route template and status, errors by kind', async () => {
    await get('/sso/asap/nope');
    await get(`/sso/asap/${createHash('sha256').update('key-2026-11').digest('hex')}.pem`);
    const body = await (await get('/metrics')).text();
    expect(body).toMatch(/jsg_http_requests_total\{method="GET",route="\/sso\/asap\/:name",status="404"\} \d+/);
    expect(body).toMatch(/jsg_errors_total\{kind="not_found"\} \d+/);
    expect(body).toMatch(/jsg_http_requests_total\{method="GET",route="\/sso\/asap\/:name",status="200"\} [1-9]/);
    expect(body).toMatch(/jsg_http_request_duration_seconds_bucket/);
    expect(body).toMatch(/jsg_tokens_issued_total|# HELP jsg_tokens_issued_total/);
    expect(body).toMatch(/jsg_store_operation_duration_seconds/);
  });

  it('unknown paths: JSON or page 404, security headers, request id', async () => {
    const json = await get('/sso/nothing-here', { headers: { accept: 'application/json', 'x-request-id': 'abc-123' } });
    expect(json.status).toBe(404);
    expect(await json.json()).toEqual({ error: 'not_found', message: 'There is nothing at this address.' });
    expect(json.headers.get('x-request-id')).toBe('abc-123');
    const page = await get('/sso/nothing-here', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
  });

  it('malformed percent-encoding in a path is a 4xx, not a 500', async () => {
    const response = await get('/sso/asap/%E0%A4%A.pem');
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });
});
