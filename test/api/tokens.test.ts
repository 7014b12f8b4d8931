import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiSecret, hashApiSecret } from '../../src/api/secrets.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { apiSettings, basic, bearer, call, startGateway, tokenOfJoinUrl, verifyMeetToken, VIDEO_SECRET, type JsonAnswer, type TestGateway } from './harness.js';
import { startOAuth2Issuer, type OAuth2Issuer } from './oauth2-issuer.js';

/**
 * POST /api/v1/tokens over HTTP against a gateway on a real Redis, with API clients authenticated
 * by hashed secrets (sha256, scrypt) and by OAuth2 access tokens from a real authorization server.
 * Every hostile case asserts that no token was issued: no token in the answer, audit counter
 * unchanged.
 */

const secrets = {
  booking: generateApiSecret(),
  lms: 'a passphrase somebody chose, hashed with scrypt',
  limited: generateApiSecret(),
  rooms: generateApiSecret(),
  video: generateApiSecret(),
};
const OAUTH_SECRET = 'backend-svc-client-secret-0123456789';

let redis: RedisServer;
let oauth: OAuth2Issuer;
let gw: TestGateway;
let url: string;

beforeAll(async () => {
  [redis, oauth] = await Promise.all([
    startRedis(),
    startOAuth2Issuer([
      { clientId: 'backend-svc', clientSecret: OAUTH_SECRET },
      { clientId: 'stranger', clientSecret: OAUTH_SECRET },
    ]),
  ]);
  const settings = apiSettings(redis.url, `jsgtest:tokens:${process.pid}:`, {
    api: {
      oauth2: { issuer: oauth.issuer, jwksUrl: oauth.jwksUrl, audience: oauth.audience, requiredScope: 'jitsi:api' },
      clients: {
        booking: { secretHash: await hashApiSecret(secrets.booking), targets: ['meet'], tenants: ['acme'], mayIssueModerator: true, maxTtlSeconds: 900 },
        lms: { secretHash: await hashApiSecret(secrets.lms, 'scrypt'), tenants: ['-', 'school'], rooms: ['class-*'], maxTtlSeconds: 600 },
        limited: { secretHash: await hashApiSecret(secrets.limited), rateLimitPerMinute: 3 },
        rooms: { secretHash: await hashApiSecret(secrets.rooms), operations: ['rooms'] },
        video: { secretHash: await hashApiSecret(secrets.video), targets: ['video'], mayIssueModerator: true, maxTtlSeconds: 86400 },
        backend: { oauth2ClientId: 'backend-svc', tenants: ['acme'], mayIssueModerator: false },
      },
    },
  });
  gw = await startGateway(settings);
  url = `${gw.base}/api/v1/tokens`;
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await oauth?.stop();
  await redis?.destroy();
});

const valid = { tenant: 'acme', room: 'Weekly Sync', user: { id: 'u-42', name: 'Alice Example', email: 'alice@example.com' }, role: 'moderator' };

/** Runs a request that must not produce a token. */
async function refused(request: () => Promise<JsonAnswer>): Promise<JsonAnswer> {
  const before = await gw.issued();
  const answer = await request();
  expect(answer.body.token).toBeUndefined();
  expect(answer.text).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  expect(await gw.issued()).toBe(before);
  return answer;
}

describe('issuing tokens', () => {
  it('a moderator token for one room, with the join URL, audited as api:<client>', async () => {
    const before = await gw.issued();
    const answer = await call('POST', url, { headers: bearer(secrets.booking), json: { ...valid, features: { recording: true, livestreaming: false }, lobbyBypass: true, ttlSeconds: 600 } });
    expect(answer.status).toBe(201);
    const { token, joinUrl, exp, jti, room, tenant, target } = answer.body as Record<string, string & number>;
    expect({ room, tenant, target }).toEqual({ room: 'weekly%20sync', tenant: 'acme', target: 'meet' });
    expect(joinUrl).toBe(`https://meet.example.com/acme/weekly%20sync#jwt=%22${token}%22`);
    const claims = await verifyMeetToken(String(token));
    expect(claims).toMatchObject({ iss: 'jitsi-sso', aud: 'jitsi', sub: 'acme', room: 'weekly%20sync', jti, exp });
    expect(claims.context.user).toEqual({ id: 'u-42', name: 'Alice Example', email: 'alice@example.com', moderator: true, lobby_bypass: true });
    expect(claims.context.features).toEqual({ recording: true, livestreaming: false });
    expect(claims.exp! - claims.iat!).toBe(600);
    expect(await gw.issued()).toBe(before + 1);
    const metrics = await (await fetch(`${gw.base}/metrics`)).text();
    expect(metrics).toMatch(/jsg_tokens_issued_total\{target="meet",role="moderator",provider="api:booking"\} 1/);
  });

  it('defaults: participant, lifetime min(target default, client max)', async () => {
    const answer = await call('POST', url, { headers: bearer(secrets.booking), json: { tenant: 'acme', room: 'x', user: { id: 'u-1' } } });
    expect(answer.status).toBe(201);
    const claims = await verifyMeetToken(String(answer.body.token));
    expect(claims.context.user).toEqual({ id: 'u-1', moderator: false });
    expect(claims.exp! - claims.iat!).toBe(300);
  });

  it('HTTP Basic with a scrypt-hashed secret, a root room and a room pattern scope', async () => {
    for (let i = 0; i < 2; i++) {
      const answer = await call('POST', url, { headers: basic('lms', secrets.lms), json: { room: 'Class-7B', user: { id: 'student-1' } } });
      expect(answer.status).toBe(201);
      const claims = await verifyMeetToken(String(answer.body.token));
      expect(claims).toMatchObject({ sub: 'meet.jitsi', room: 'class-7b' });
      expect(claims.context.tenant).toBeUndefined();
    }
  });

  it('Bearer with a scrypt-hashed secret works once it was verified', async () => {
    const answer = await call('POST', url, { headers: bearer(secrets.lms), json: { tenant: 'school', room: 'class-1', user: { id: 's' } } });
    expect(answer.status).toBe(201);
  });

  it('an OAuth2 access token (client_credentials) of a mapped client', async () => {
    const accessToken = await oauth.accessToken('backend-svc', OAUTH_SECRET);
    const answer = await call('POST', url, { headers: bearer(accessToken), json: { tenant: 'acme', room: 'from-oauth', user: { id: 'p' } } });
    expect(answer.status).toBe(201);
    expect(gw.gateway.services.metrics.registry.getSingleMetric('jsg_tokens_issued_total')).toBeDefined();
  });

  it('another target, with that target\'s secret and features', async () => {
    const answer = await call('POST', url, { headers: bearer(secrets.video), json: { target: 'video', tenant: 'acme', room: 'r', user: { id: 'p' }, role: 'moderator', affiliation: 'teacher', ttlSeconds: 3600 } });
    expect(answer.status).toBe(201);
    expect(String(answer.body.joinUrl)).toMatch(/^https:\/\/video\.example\.com\/acme\/r#jwt=/);
    const claims = await verifyMeetToken(String(answer.body.token), VIDEO_SECRET);
    expect(claims.context.user).toMatchObject({ moderator: true, affiliation: 'teacher' });
  });
});

describe('hostile requests get no token', () => {
  const post = (headers: Record<string, string>, json: unknown) => () => call('POST', url, { headers, json });

  it.each<[string, () => Record<string, string>, unknown, number, string]>([
    ['no credentials', () => ({}), valid, 401, 'unauthorized'],
    ['a wrong bearer secret', () => bearer(generateApiSecret()), valid, 401, 'unauthorized'],
    ['a right secret of another scheme', () => ({ authorization: `Token ${secrets.booking}` }), valid, 401, 'unauthorized'],
    ['Basic with a wrong secret', () => basic('booking', 'wrong'), valid, 401, 'unauthorized'],
    ['Basic with an unknown client', () => basic('nobody', secrets.booking), valid, 401, 'unauthorized'],
    ['Basic with the secret of another client', () => basic('lms', secrets.booking), valid, 401, 'unauthorized'],
    ['an empty bearer', () => ({ authorization: 'Bearer ' }), valid, 401, 'unauthorized'],
    ['a client scoped to tenant acme asking for tenant school', () => bearer(secrets.booking), { ...valid, tenant: 'school' }, 403, 'forbidden'],
    ['a tenant-scoped client asking for a root room', () => bearer(secrets.booking), { ...valid, tenant: undefined }, 403, 'forbidden'],
    ['a client scoped to target meet asking for target video', () => bearer(secrets.booking), { ...valid, target: 'video' }, 403, 'forbidden'],
    ['a client scoped to class-* asking for another room', () => basic('lms', secrets.lms), { room: 'staff-room', user: { id: 'x' } }, 403, 'forbidden'],
    ['a participant-only client asking for moderator', () => basic('lms', secrets.lms), { room: 'class-1', user: { id: 'x' }, role: 'moderator' }, 403, 'forbidden'],
    ['a participant-only client asking for a moderator affiliation', () => basic('lms', secrets.lms), { room: 'class-1', user: { id: 'x' }, role: 'moderator', affiliation: 'owner' }, 403, 'forbidden'],
    ['a moderator affiliation with role participant', () => bearer(secrets.booking), { ...valid, role: 'participant', affiliation: 'teacher' }, 400, 'invalid_request'],
    ['ttl above the client max', () => bearer(secrets.booking), { ...valid, ttlSeconds: 901 }, 403, 'forbidden'],
    ['ttl above the target max', () => bearer(secrets.video), { target: 'video', tenant: 'acme', room: 'r', user: { id: 'x' }, ttlSeconds: 3601 }, 403, 'forbidden'],
    ['ttl above a day', () => bearer(secrets.video), { target: 'video', tenant: 'acme', room: 'r', user: { id: 'x' }, ttlSeconds: 86401 }, 400, 'invalid_request'],
    ['room "*"', () => bearer(secrets.booking), { ...valid, room: '*' }, 400, 'invalid_room'],
    ['a room pattern', () => bearer(secrets.booking), { ...valid, room: 'team-*' }, 400, 'invalid_room'],
    ['a room "?"', () => bearer(secrets.booking), { ...valid, room: 'a?' }, 400, 'invalid_room'],
    ['a percent-encoded star', () => bearer(secrets.booking), { ...valid, room: '%2A' }, 400, 'invalid_room'],
    ['a room with a slash', () => bearer(secrets.booking), { ...valid, room: 'a/b' }, 400, 'invalid_room'],
    ['an empty room', () => bearer(secrets.booking), { ...valid, room: '' }, 400, 'invalid_request'],
    ['tenant "*"', () => bearer(secrets.booking), { ...valid, tenant: '*' }, 400, 'unknown_tenant'],
    ['a tenant the target does not serve', () => bearer(secrets.video), { target: 'video', tenant: 'school', room: 'r', user: { id: 'x' } }, 400, 'unknown_tenant'],
    ['an unknown target', () => bearer(secrets.booking), { ...valid, target: 'nowhere' }, 400, 'unknown_target'],
    ['an extra top-level field', () => bearer(secrets.booking), { ...valid, moderator: true }, 400, 'invalid_request'],
    ['an extra user field', () => bearer(secrets.booking), { ...valid, user: { id: 'x', moderator: true } }, 400, 'invalid_request'],
    ['an unknown feature', () => bearer(secrets.booking), { ...valid, features: { teleport: true } }, 400, 'invalid_request'],
    ['a feature the target does not allow', () => bearer(secrets.booking), { ...valid, features: { transcription: true } }, 400, 'invalid_request'],
    ['ttl as a string', () => bearer(secrets.booking), { ...valid, ttlSeconds: '600' }, 400, 'invalid_request'],
    ['ttl as a fraction', () => bearer(secrets.booking), { ...valid, ttlSeconds: 1.5 }, 400, 'invalid_request'],
    ['role admin', () => bearer(secrets.booking), { ...valid, role: 'admin' }, 400, 'invalid_request'],
    ['user id as a number', () => bearer(secrets.booking), { ...valid, user: { id: 42 } }, 400, 'invalid_request'],
    ['a feature value as a string', () => bearer(secrets.booking), { ...valid, features: { recording: 'yes' } }, 400, 'invalid_request'],
    ['room as a list', () => bearer(secrets.booking), { ...valid, room: ['a', 'b'] }, 400, 'invalid_request'],
    ['null fields', () => bearer(secrets.booking), { ...valid, tenant: null }, 400, 'invalid_request'],
    ['no user', () => bearer(secrets.booking), { tenant: 'acme', room: 'x' }, 400, 'invalid_request'],
    ['a user id with control characters', () => bearer(secrets.booking), { ...valid, user: { id: 'a\u0000b' } }, 400, 'invalid_request'],
    ['a javascript: avatar', () => bearer(secrets.booking), { ...valid, user: { id: 'a', avatar: 'javascript:alert(1)' } }, 400, 'invalid_request'],
    ['a JSON array body', () => bearer(secrets.booking), [valid], 400, 'invalid_request'],
    ['a client without the tokens operation', () => bearer(secrets.rooms), valid, 403, 'forbidden'],
  ])('%s', async (_what, headers, json, status, code) => {
    const answer = await refused(post(headers(), json));
    expect(answer.status).toBe(status);
    expect(answer.body.error).toBe(code);
    expect(typeof answer.body.message).toBe('string');
    if (status === 401) expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
  });

  it('invalid JSON → 400', async () => {
    const answer = await refused(() => call('POST', url, { headers: { ...bearer(secrets.booking), 'content-type': 'application/json' }, body: '{"room": ' }));
    expect(answer.status).toBe(400);
  });

  it.each([
    ['text/plain', JSON.stringify(valid)],
    ['application/x-www-form-urlencoded', 'room=x&tenant=acme'],
    ['multipart/form-data; boundary=x', '--x--'],
  ])('content type %s → 415', async (type, body) => {
    const answer = await refused(() => call('POST', url, { headers: { ...bearer(secrets.booking), 'content-type': type }, body }));
    expect(answer.status).toBe(415);
    expect(answer.body.error).toBe('unsupported_media_type');
  });

  it('no content type → 415', async () => {
    const answer = await refused(() => call('POST', url, { headers: bearer(secrets.booking), body: JSON.stringify(valid) }));
    expect(answer.status).toBe(415);
  });

  it('an oversized body (declared length) → 413', async () => {
    const answer = await refused(() => call('POST', url, { headers: bearer(secrets.booking), json: { ...valid, user: { id: 'x', name: 'n'.repeat(5000) } } }));
    expect(answer.status).toBe(413);
    expect(answer.body.error).toBe('payload_too_large');
  });

  it('an oversized chunked body without a length → 413', async () => {
    const before = await gw.issued();
    const target = new URL(url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: { ...bearer(secrets.booking), 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? resolve(413) : reject(error)));
      req.write(`{"room":"x","tenant":"acme","user":{"id":"x","name":"`);
      for (let i = 0; i < 10; i++) req.write('n'.repeat(1000));
      req.end('"}}');
    });
    expect(status).toBe(413);
    expect(await gw.issued()).toBe(before);
  });

  describe('OAuth2 access tokens', () => {
    it('a token of a client id no API client maps → 403', async () => {
      const token = await oauth.accessToken('stranger', OAUTH_SECRET);
      const answer = await refused(post(bearer(token), valid));
      expect(answer.status).toBe(403);
    });

    it.each<[string, Record<string, unknown>]>([
      ['another audience', { aud: 'https://other.test/api' }],
      ['another issuer', { iss: 'https://evil.test' }],
      ['expired', { exp: Math.floor(Date.now() / 1000) - 600 }],
      ['without the required scope', { scope: 'openid' }],
    ])('signed by the issuer but %s → 401', async (_what, change) => {
      const now = Math.floor(Date.now() / 1000);
      const token = await oauth.sign({ iss: oauth.issuer, aud: oauth.audience, client_id: 'backend-svc', scope: 'jitsi:api', iat: now, exp: now + 300, ...change });
      const answer = await refused(post(bearer(token), { ...valid, role: 'participant' }));
      expect(answer.status).toBe(401);
    });

    it('a token signed by another key → 401', async () => {
      const other = await startOAuth2Issuer([{ clientId: 'backend-svc', clientSecret: OAUTH_SECRET }], oauth.audience);
      try {
        const now = Math.floor(Date.now() / 1000);
        const token = await other.sign({ iss: oauth.issuer, aud: oauth.audience, client_id: 'backend-svc', scope: 'jitsi:api', iat: now, exp: now + 300 });
        const answer = await refused(post(bearer(token), { ...valid, role: 'participant' }));
        expect(answer.status).toBe(401);
      } finally {
        await other.stop();
      }
    });

    it('an unsigned (alg none) token → 401', async () => {
      const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const now = Math.floor(Date.now() / 1000);
      const token = `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ iss: oauth.issuer, aud: oauth.audience, client_id: 'backend-svc', scope: 'jitsi:api', exp: now + 300 })}.x`;
      const answer = await refused(post(bearer(token), valid));
      expect(answer.status).toBe(401);
    });

    it('the OAuth2 client keeps its scopes: participant only', async () => {
      const token = await oauth.accessToken('backend-svc', OAUTH_SECRET);
      const answer = await refused(post(bearer(token), valid));
      expect(answer.status).toBe(403);
    });
  });

  it('a client over its rate limit → 429 with Retry-After', async () => {
    const answers: number[] = [];
    for (let i = 0; i < 3; i++) answers.push((await call('POST', url, { headers: bearer(secrets.limited), json: { room: `r${i}`, user: { id: 'x' } } })).status);
    expect(answers).toEqual([201, 201, 201]);
    const answer = await refused(post(bearer(secrets.limited), { room: 'r4', user: { id: 'x' } }));
    expect(answer.status).toBe(429);
    expect(answer.body.error).toBe('rate_limited');
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('rejections are counted by kind', async () => {
    const metrics = await (await fetch(`${gw.base}/metrics`)).text();
    for (const kind of ['unauthorized', 'forbidden', 'invalid_request', 'invalid_room', 'payload_too_large', 'unsupported_media_type', 'rate_limited']) {
      expect(metrics).toMatch(new RegExp(`jsg_errors_total\\{kind="${kind}"\\} [1-9]`));
    }
  });
});

describe('join URL token', () => {
  it('is the token of the answer', async () => {
    const answer = await call('POST', url, { headers: bearer(secrets.booking), json: valid });
    expect(tokenOfJoinUrl(String(answer.body.joinUrl))).toBe(answer.body.token);
  });
});
