import { createPublicKey } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createTargets } from '../../src/tokens/targets.js';
import { GatewayError } from '../../src/errors/gateway-error.js';
import { answerOf } from '../../src/http/errors.js';
import { parseConfig } from '../../src/config/load.js';
import { hsSettings, rsaPem, rsSettings } from '../support/config.js';

const NOW = 1_900_000_000;

function hsTarget(target: Record<string, unknown> = {}) {
  const settings = hsSettings({}, target);
  const config = parseConfig(settings).config;
  const meet = createTargets(config).get('meet');
  if (!meet) throw new Error('no target');
  return { meet, secret: String((settings.targets as { meet: { secret: string } }).meet.secret) };
}

const person = { id: 'dwho', name: 'Doctor Who', email: 'dwho@badwolf.org', moderator: false };

describe('Jitsi token contract', () => {
  it('HS256: header typ JWT, no kid, verifies with the app secret', async () => {
    const { meet, secret } = hsTarget();
    const { token, claims } = meet.issue({ location: meet.locate('Team Sync', 'ACME'), user: person }, NOW);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
      algorithms: ['HS256'],
      issuer: 'jitsi-sso',
      audience: 'jitsi',
      currentDate: new Date(NOW * 1000),
      typ: 'JWT',
    });
    expect(payload).toEqual(claims);
    expect(claims).toMatchObject({ sub: 'acme', room: 'team%20sync', iat: NOW, nbf: NOW - 30, exp: NOW + 600, context: { tenant: 'acme' } });
    expect(claims.jti).toMatch(/^[\w-]{16}\.[0-9a-z]+$/);
    const again = meet.issue({ location: meet.locate('Team Sync', 'ACME'), user: person }, NOW).claims.jti;
    expect(again).not.toBe(claims.jti);
  });

  it('sub is the XMPP domain for rooms without tenant', () => {
    const { meet } = hsTarget();
    const { claims } = meet.issue({ location: meet.locate('Ärger'), user: person }, NOW);
    expect(claims.sub).toBe('meet.jitsi');
    expect(claims.room).toBe('%c3%a4rger');
    expect(claims.context.tenant).toBeUndefined();
  });

  it('context.user has strings and booleans only, absent rather than null', () => {
    const { meet } = hsTarget();
    const { claims } = meet.issue({ location: meet.locate('r'), user: { id: 'x', name: undefined, email: '', moderator: true, affiliation: 'owner', lobbyBypass: true } }, NOW);
    expect(claims.context.user).toEqual({ id: 'x', moderator: true, affiliation: 'owner', lobby_bypass: true });
    expect(JSON.stringify(claims)).not.toContain('null');
    expect(Object.keys(claims.context)).toEqual(['user']);
  });

  it('features: only Jitsi keys the target allows, booleans', () => {
    const { meet } = hsTarget({ features: ['recording', 'lobby'] });
    const { claims } = meet.issue(
      { location: meet.locate('r'), user: person, features: { recording: true, lobby: 'false', livestreaming: true, 'made-up': true, moderation: 1 } },
      NOW,
    );
    expect(claims.context.features).toEqual({ recording: true, lobby: false });
  });

  it('lifetime: default, requested, and capped by maxTokenTtlSeconds', () => {
    const { meet } = hsTarget({ tokenTtlSeconds: 300, maxTokenTtlSeconds: 900, nbfSkewSeconds: 5 });
    expect(meet.issue({ location: meet.locate('r'), user: person }, NOW).claims.exp).toBe(NOW + 300);
    expect(meet.issue({ location: meet.locate('r'), user: person, ttlSeconds: 120 }, NOW).claims.exp).toBe(NOW + 120);
    const capped = meet.issue({ location: meet.locate('r'), user: person, ttlSeconds: 86400 }, NOW).claims;
    expect(capped.exp).toBe(NOW + 900);
    expect(capped.nbf).toBe(NOW - 5);
  });

  it('payloads of any size and with any characters encode exactly like Buffer.from', async () => {
    const { meet, secret } = hsTarget();
    const names = ['plain', 'Ünïcödé 🎉 "quotes" \\ \u2028 \u0000 \t', 'x'.repeat(20_000), '\ud800 lone surrogate', '__proto__'];
    for (const [index, name] of names.entries()) {
      const { token, claims } = meet.issue(
        { location: meet.locate('r', index % 2 ? 'acme' : undefined), user: { ...person, name, lobbyBypass: index % 2 === 0, affiliation: 'teacher' }, features: { recording: true, lobby: false } },
        NOW,
      );
      expect(token.split('.')[1]).toBe(Buffer.from(JSON.stringify(claims)).toString('base64url'));
      await jwtVerify(token, new TextEncoder().encode(secret), { currentDate: new Date(NOW * 1000) });
    }
  });

  it('issuers, audiences, tenants and groups that need JSON escaping are serialised exactly', () => {
    const { meet } = hsTarget({ issuer: 'iss "quoted" \\ ü', audience: 'aud\u2028', group: 'g"1' });
    for (const [room, tenant] of [['Team Sync', 'acme'], ["a(b)!~", undefined], ['Ärger', undefined]] as const) {
      const { token, claims } = meet.issue({ location: meet.locate(room, tenant), user: person }, NOW);
      expect(token.split('.')[1]).toBe(Buffer.from(JSON.stringify(claims)).toString('base64url'));
    }
  });

  it('group and custom issuer are carried', () => {
    const { meet } = hsTarget({ group: 'staff', issuer: 'sso-gw' });
    const { claims } = meet.issue({ location: meet.locate('r'), user: person }, NOW);
    expect(claims.iss).toBe('sso-gw');
    expect(claims.context.group).toBe('staff');
  });

  it.each([
    ['unknown tenant', 'room', 'other', 'unknown_tenant'],
    ['wildcard room', '*', undefined, 'invalid_room'],
    ['wildcard tenant', 'room', '*', 'unknown_tenant'],
    ['path trick', '../x', 'acme', 'invalid_room'],
  ])('refuses %s', (_, room, tenant, code) => {
    const { meet } = hsTarget();
    try {
      meet.locate(room, tenant);
      expect.unreachable('locate accepted it');
    } catch (error) {
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).code).toBe(code);
      expect(answerOf(error as GatewayError).status).toBe(400);
    }
  });

  it('rooms without tenant are refused when rootRooms is false', () => {
    const { meet } = hsTarget({ rootRooms: false });
    expect(() => meet.locate('room')).toThrow(/under a tenant/);
  });

  it('RS256: kid in the header, verifies with the published key', async () => {
    const pem = rsaPem();
    const config = parseConfig(rsSettings([{ kid: 'k1', status: 'active', privateKey: pem.privateKey }])).config;
    const meet = createTargets(config).get('meet');
    if (!meet) throw new Error('no target');
    const { token } = meet.issue({ location: meet.locate('r'), user: person }, NOW);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'k1' });
    const verified = await compactVerify(token, createPublicKey(pem.publicKey), { algorithms: ['RS256'] });
    expect(JSON.parse(new TextDecoder().decode(verified.payload)).room).toBe('r');
  });

  it('join URL: token in the hash, never in the query; tenant path', () => {
    const { meet } = hsTarget();
    const location = meet.locate('Team Sync', 'acme');
    const url = new URL(meet.joinUrl(location, 'a.b.c', [['config.startWithAudioMuted', 'true']]));
    expect(url.origin + url.pathname).toBe('https://meet.example.com/acme/team%20sync');
    expect(url.search).toBe('');
    expect(url.hash).toBe('#jwt=%22a.b.c%22&config.startWithAudioMuted=true');
  });
});
