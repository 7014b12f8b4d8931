import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiSecret, hashApiSecret } from '../../src/api/secrets.js';
import { parseConfig } from '../../src/config/load.js';
import { createGateway } from '../../src/gateway.js';
import { listen, type RunningServer } from '../../src/http/server.js';
import { createLogger } from '../../src/observability/logger.js';
import { apiSettings, bearer, call } from '../api/harness.js';
import { openInvite, postInvite, redeem } from '../invites/browser.js';
import { startRedis, type RedisServer } from '../support/redis.js';

/**
 * Finding 3 of issue 16: a guest token must not carry the invite's secret. The id in
 * /invite/<id> is the link: whoever reads it can redeem the remaining uses (of a moderator invite,
 * too). Jitsi shows every participant the others' `context.user`, and the audit line and error
 * logs go to whoever reads the logs. Neither the token, nor any log line, nor the metrics may hold
 * the id or anything that redeems.
 */

let redis: RedisServer;
let running: RunningServer;
let base: string;
const lines: string[] = [];
const secret = generateApiSecret();

beforeAll(async () => {
  redis = await startRedis();
  const settings = apiSettings(redis.url, `jsgtest:guest:${process.pid}:`, {
    log: { level: 'debug' },
    api: { clients: { booking: { secretHash: await hashApiSecret(secret), mayIssueModerator: true } }, invites: { maxUses: 10 } },
  });
  const gateway = await createGateway(parseConfig(settings), { logger: createLogger('debug', { write: (line: string) => void lines.push(line) }) });
  running = await listen(gateway, 0, '127.0.0.1');
  base = `${running.url}/sso`;
}, 60_000);

afterAll(async () => {
  await running?.shutdown('test done');
  await redis?.destroy();
});

/** Every way the id could appear: as it is, and percent- or base64-encoded. */
function leaks(text: string, id: string): boolean {
  return text.includes(id) || text.includes(encodeURIComponent(id)) || text.includes(Buffer.from(id).toString('base64url').slice(0, 20));
}

describe('guest tokens, audit lines and logs never carry the invite link', () => {
  it('a moderator invite: the token, the audit line, error logs and metrics hold only an opaque reference', async () => {
    const created = await call('POST', `${base}/api/v1/invites`, { headers: bearer(secret), json: { tenant: 'acme', room: 'Board', role: 'moderator', uses: 5 } });
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    const link = `${base}/invite/${id}`;

    const done = await redeem(link, 'Guest One');
    expect(done.status).toBe(303);
    const token = JSON.parse(new URLSearchParams(done.location!.split('#')[1]).get('jwt')!) as string;
    const claims = decodeJwt(token) as { context: { user: Record<string, unknown> } };
    // What every participant sees:
    const user = claims.context.user;
    expect(user.id).toMatch(/^guest:[A-Za-z0-9_-]{16}:1$/);
    expect(leaks(JSON.stringify(claims), id)).toBe(false);
    // The reference does not redeem: as an invite id it is unknown.
    const reference = String(user.id).split(':')[1]!;
    expect((await openInvite(`${base}/invite/${reference}`)).status).toBe(404);

    // A second guest gets another use number under the same reference (the creator can tell them apart).
    const second = await redeem(link, 'Guest Two');
    const secondUser = (decodeJwt(JSON.parse(new URLSearchParams(second.location!.split('#')[1]).get('jwt')!) as string) as { context: { user: { id: string } } }).context.user;
    expect(secondUser.id).toBe(`guest:${reference}:2`);

    // Logged failures on the link's paths: a stale form (400), an unknown method, a revoked link (410).
    const page = await openInvite(link);
    expect((await postInvite(link, { name: 'x', csrf: 'forged' }, page.cookie)).status).toBe(400);
    expect((await call('DELETE', `${base}/api/v1/invites/${id}`, { headers: bearer(secret) })).status).toBe(204);
    expect((await redeem(link, 'Too Late')).status).toBe(410);
    expect((await call('DELETE', `${base}/api/v1/invites/${id}x`, { headers: bearer(secret) })).status).toBe(404);

    const audit = lines.filter((line) => line.includes('"audit":"token_issued"'));
    expect(audit).toHaveLength(2);
    expect(JSON.parse(audit[0]!)).toMatchObject({ provider: 'invite', invite: reference, user: `guest:${reference}:1` });
    const leaking = lines.filter((line) => leaks(line, id));
    expect(leaking).toEqual([]);
    expect(lines.some((line) => line.includes(`ref:${reference}`))).toBe(true); // the failures are logged, by reference

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(leaks(metrics, id)).toBe(false);
  });
});
