import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueTicket } from '../../src/gate/ticket.js';
import { openSession } from '../../src/session/session.js';
import type { Policy } from '../../src/policy/policy.js';
import { freePort, gatewaySettings, startGateway, TARGET_URL, type RunningGateway } from '../login/harness.js';
import { startRedis, type RedisServer } from '../support/redis.js';

/**
 * The hand-over on the Jitsi host (/gate/enter) decides like the login does: the policy per room,
 * policy.hosts included. Sessions and tickets are made with the gateway's own functions (what
 * the sign-in does after an IdP login), so each policy outcome is one request.
 */

let redis: RedisServer;
let gw: RunningGateway;

/** ada hosts; bob may join but not host; eve is refused. */
const policy: Policy = {
  async decide({ identity }) {
    if (identity.id === 'eve') return { allow: false, rule: 'nobody-eve', message: 'Not for you.' };
    return { allow: true, role: identity.id === 'ada' ? 'moderator' : 'participant', rule: 'all', host: identity.id === 'ada' };
  },
};

beforeAll(async () => {
  redis = await startRedis();
  const port = await freePort();
  const settings = gatewaySettings(port, redis.url, {});
  settings.gate = { cookieSecret: 'enter-test-gate-secret-2c4e6a8b0d1f3a5c7e9b', recheckSeconds: 60 };
  settings.policy = { hosts: { others: 'guest' } };
  gw = await startGateway(settings, port, { policy });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await redis?.destroy();
});

async function enter(user: string, returnUrl: string): Promise<Response> {
  const { services } = gw.gateway;
  const { loaded } = await openSession(services, { provider: 'corp', identity: { provider: 'corp', id: user, groups: [], claims: {} }, sessionIndexes: [] });
  const ticket = await issueTicket(services.store, { target: 'meet', sessionId: loaded.id, returnUrl });
  return fetch(`${gw.url}/gate/enter/meet?ticket=${ticket}`, { redirect: 'manual', headers: { Accept: 'text/html' } });
}

describe('gate hand-over and the policy', () => {
  it('a host gets the meeting with a token and a pass', async () => {
    const response = await enter('ada', `${TARGET_URL}/acme/Weekly`);
    expect(response.status).toBe(303);
    const location = response.headers.get('location') ?? '';
    expect(location.startsWith(`${TARGET_URL}/acme/weekly#jwt=`)).toBe(true);
    expect(decodeJwt(JSON.parse(decodeURIComponent(location.split('#jwt=')[1] ?? '')) as string).room).toBe('weekly');
    expect(response.headers.getSetCookie().some((cookie) => cookie.startsWith('__Host-jsg_gate_meet='))).toBe(true);
  });

  it('someone who may join but not host (policy.hosts.others: guest) passes the gate and goes to the meeting without a token', async () => {
    const response = await enter('bob', `${TARGET_URL}/acme/Weekly`);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${TARGET_URL}/acme/weekly`);
    expect(response.headers.getSetCookie().some((cookie) => cookie.startsWith('__Host-jsg_gate_meet='))).toBe(true);
  });

  it('someone the policy refuses gets its 403 page and no token', async () => {
    const response = await enter('eve', `${TARGET_URL}/acme/Weekly`);
    expect(response.status).toBe(403);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('Not for you.');
  });

  it('a return URL that names no meeting goes back as it was, whoever it is', async () => {
    const response = await enter('eve', `${TARGET_URL}/`);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(`${TARGET_URL}/`);
  });
});
