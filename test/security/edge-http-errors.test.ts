import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiSecret } from '../../src/api/secrets.js';
import { inviteReference } from '../../src/invites/reference.js';
import { createLogger } from '../../src/observability/logger.js';
import { hsSettings } from '../support/config.js';
import { freePort, startGateway, type RunningGateway } from '../login/harness.js';
import { sleep, waitUntil } from '../support/redis.js';

/**
 * Finding 13 of issue 16: errors are the client's, not ours. A client that aborted mid-body was
 * logged as a 500 internal_error (and counted as one); TRACE and PROPFIND answered 501. Now an
 * abort is logged at info and counted without a 5xx, and a method a route does not serve is 405
 * with an Allow header.
 */

const SECRET = randomBytes(32).toString('base64url');
let gw: RunningGateway;
const lines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  const port = await freePort();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const settings = hsSettings({
    publicUrl: `http://127.0.0.1:${port}`,
    store: { kind: 'memory' },
    api: { clients: { booking: { secretHash: await hashApiSecret(SECRET) } } },
  });
  gw = await startGateway(settings, port, { logger: createLogger('info', sink) });
});
afterAll(async () => gw?.stop());

function send(method: string, path: string): Promise<{ status: number; allow: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${gw.url}${path}`, { method, headers: { accept: 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, allow: res.headers.allow, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function metric(name: string): Promise<string> {
  return (await gw.gateway.services.metrics.registry.metrics()).split('\n').filter((line) => line.startsWith(name)).join('\n');
}

describe('a client that aborts in the middle of its body', () => {
  it('is logged at info, not as a 500, and no 5xx is counted', async () => {
    const before = lines.length;
    const socket = connect(gw.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /api/v1/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${SECRET}\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{"room": "half`,
    );
    await sleep(100);
    socket.destroy();
    await waitUntil('the abort is logged', async () => lines.length > before, 5000).catch(() => undefined);
    await sleep(100);
    const logged = lines.slice(before);
    expect(logged.filter((line) => line.level === 'error' || line.code === 'internal_error' || line.status === 500)).toEqual([]);
    expect(logged.some((line) => line.level === 'info' && line.code === 'client_closed_request')).toBe(true);
    expect(await metric('jsg_errors_total{kind="internal_error"}')).toBe('');
    expect(await metric('jsg_http_requests_total')).not.toMatch(/status="5\d\d"/);
  });
});

describe('methods a route does not serve', () => {
  it.each([
    ['TRACE', '/login', 'GET'],
    ['PROPFIND', '/login', 'GET'],
    ['DELETE', '/login', 'GET'],
    ['TRACE', '/api/v1/tokens', 'POST'],
    ['PROPFIND', '/api/v1/tokens', 'POST'],
    ['GET', '/api/v1/tokens', 'POST'],
    ['MKCOL', '/logout', 'GET'],
  ])('%s %s answers 405 with Allow (including %s)', async (method, path, allowed) => {
    const answer = await send(method, path);
    expect(answer.status).toBe(405);
    expect(answer.allow?.split(', ')).toContain(allowed);
  });

  it('a path without a route stays 404 whatever the method', async () => {
    expect((await send('PROPFIND', '/nothing-here')).status).toBe(404);
  });

  it('none of it is a 5xx', async () => {
    expect(await metric('jsg_http_requests_total')).not.toMatch(/status="5\d\d"/);
  });
});

describe('the error log line of an invite address', () => {
  it('names the invite by its reference, never by its id (the id is the link itself)', async () => {
    const id = randomBytes(16).toString('base64url');
    const before = lines.length;
    expect((await send('DELETE', `/api/v1/invites/${id}`)).status).toBe(401);
    await waitUntil('the refusal is logged', async () => lines.slice(before).some((line) => line.code === 'unauthorized'), 5000);
    const logged = lines.slice(before);
    expect(logged.find((line) => line.code === 'unauthorized')?.path).toBe(`/api/v1/invites/ref:${inviteReference(id)}`);
    expect(JSON.stringify(logged)).not.toContain(id);
  });
});
