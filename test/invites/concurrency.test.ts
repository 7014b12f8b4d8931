import { guestUserId } from '../../src/invites/reference.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiSecret, hashApiSecret } from '../../src/api/secrets.js';
import { freePort, redisCommand, startRedis, waitUntil, type RedisServer } from '../support/redis.js';
import { apiSettings, bearer, call, startGateway, tokenOfJoinUrl, verifyMeetToken, type TestGateway } from '../api/harness.js';
import { openInvite, postInvite, type InvitePage } from './browser.js';

/**
 * 200 people redeem a 10-use invite at the same moment: exactly 10 get a token, the others a 410
 * page. The use counter lives in Redis, so the same holds with two gateways sharing it: two
 * gateway apps in this process, and two separate `serve` processes.
 */

const SECRET = generateApiSecret();
const GUESTS = 200;
const USES = 10;
let redis: RedisServer;
let settings: Record<string, unknown>;

beforeAll(async () => {
  redis = await startRedis();
  settings = apiSettings(redis.url, `jsgtest:race:${process.pid}:`, {
    api: { clients: { booking: { secretHash: await hashApiSecret(SECRET), rateLimitPerMinute: 100_000 } } },
  });
}, 60_000);

afterAll(async () => {
  await redis?.destroy();
});

async function createInvite(base: string): Promise<string> {
  const answer = await call('POST', `${base}/api/v1/invites`, { headers: bearer(SECRET), json: { tenant: 'acme', room: 'All Hands', uses: USES } });
  expect(answer.status, answer.text).toBe(201);
  return String(answer.body.id);
}

/**
 * Every guest opens the page (on the gateway `bases[i % n]`), then all forms are posted at once,
 * each to the gateway `bases[(i + 1) % n]` (another replica than the one that served the page).
 */
async function race(bases: string[], id: string) {
  const pages: InvitePage[] = await Promise.all(Array.from({ length: GUESTS }, (_, i) => openInvite(`${bases[i % bases.length]}/invite/${id}`)));
  expect(pages.every((page) => page.status === 200 && page.csrf.length > 60)).toBe(true);
  const answers = await Promise.all(pages.map((page, i) => postInvite(`${bases[(i + 1) % bases.length]}/invite/${id}`, { name: `Guest ${i}`, csrf: page.csrf }, page.cookie)));
  const statuses = new Map<number, number>();
  for (const answer of answers) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
  const joinUrls = answers.filter((answer) => answer.status === 303).map((answer) => answer.location!);
  const claims = await Promise.all(joinUrls.map((url) => verifyMeetToken(tokenOfJoinUrl(url))));
  return { statuses: Object.fromEntries(statuses), claims };
}

function expectExactlyTenTokens(result: Awaited<ReturnType<typeof race>>, id: string) {
  expect(result.statuses).toEqual({ 303: USES, 410: GUESTS - USES });
  const users = result.claims.map((claims) => String(claims.context.user.id)).sort();
  expect(users).toEqual(Array.from({ length: USES }, (_, i) => guestUserId(id, i + 1)).sort());
  expect(new Set(result.claims.map((claims) => claims.jti)).size).toBe(USES);
}

describe('200 simultaneous redemptions of a 10-use invite', () => {
  it('one gateway: exactly 10 tokens', async () => {
    const gw = await startGateway(settings);
    try {
      const id = await createInvite(gw.base);
      const before = await gw.issued();
      const result = await race([gw.base], id);
      expectExactlyTenTokens(result, id);
      expect((await gw.issued()) - before).toBe(USES);
      // Late arrivals see the invite used up before they even take a use.
      const taken = Number(await redisCommand(redis.port, 'GET', `jsgtest:race:${process.pid}:invite-uses:${id}`));
      expect(taken).toBeGreaterThanOrEqual(USES);
      expect(taken).toBeLessThanOrEqual(GUESTS);
    } finally {
      await gw.stop();
    }
  });

  it('two gateway apps, each with its own Redis connection: exactly 10 tokens', async () => {
    const gateways: TestGateway[] = [await startGateway(settings), await startGateway(settings)];
    try {
      const id = await createInvite(gateways[0]!.base);
      const result = await race(gateways.map((gw) => gw.base), id);
      expectExactlyTenTokens(result, id);
      const issued = await Promise.all(gateways.map((gw) => gw.issued()));
      expect(issued[0]! + issued[1]!).toBe(USES);
    } finally {
      await Promise.all(gateways.map((gw) => gw.stop()));
    }
  });

  describe('two gateway processes', () => {
    const cli = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
    const children: ChildProcess[] = [];
    let dir: string;

    afterAll(async () => {
      for (const child of children) child.kill('SIGTERM');
      await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))));
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('exactly 10 tokens', async () => {
      expect(existsSync(cli), 'dist/ is built by test/run.sh or the vitest global setup').toBe(true);
      dir = mkdtempSync(join(tmpdir(), 'jsg-race-'));
      const file = join(dir, 'gateway.yaml');
      writeFileSync(file, JSON.stringify({ ...settings, log: { level: 'warn' } }));
      const ports = [await freePort(), await freePort()];
      for (const port of ports) {
        const child = spawn(process.execPath, [cli, 'serve', '--config', file, '--port', String(port)], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, JSG_CONFIG: undefined } });
        let errors = '';
        child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
        children.push(child);
        await waitUntil(
          `gateway process on port ${port}`,
          async () => {
            if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${errors}`);
            return (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
          },
          20_000,
          100,
        );
      }
      const bases = ports.map((port) => `http://127.0.0.1:${port}/sso`);
      const id = await createInvite(bases[0]!);
      expectExactlyTenTokens(await race(bases, id), id);
    }, 60_000);
  });
});
