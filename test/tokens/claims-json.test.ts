import { describe, expect, it } from 'vitest';
import { buildClaims, claimsSerializer, serializeClaims, type ClaimsInput, type JitsiClaims } from '../../src/tokens/claims.js';

/**
 * The hand-written claims serialiser (src/tokens/claims.ts) signs what JSON.stringify would write,
 * byte for byte: every token's payload goes through it.
 */
const base: ClaimsInput = {
  issuer: 'meet-gateway',
  audience: 'jitsi',
  sub: 'sales',
  room: 'weekly%20standup',
  tenant: 'sales',
  user: { id: 'u-7f3a9c', name: 'Ada Lovelace', email: 'ada.lovelace@example.com', moderator: true },
  features: {},
  now: 1_900_000_000,
  ttlSeconds: 600,
  nbfSkewSeconds: 30,
  jti: 'tIH0KHA11Zg9mSqk.1',
};

const shapes: Array<[string, ClaimsInput]> = [
  ['a typical API token', base],
  ['only an id', { ...base, tenant: undefined, sub: 'meet.jitsi', user: { id: 'x', moderator: false } }],
  ['every user field', { ...base, user: { id: 'i', name: 'N', email: 'e@x.org', avatar: 'https://x.org/a.png', moderator: true, affiliation: 'owner', lobbyBypass: false } }],
  ['lobby bypass true, no e-mail', { ...base, user: { id: 'i', name: 'N', moderator: false, lobbyBypass: true } }],
  ['features and a group', { ...base, features: { recording: true, 'screen-sharing': false }, group: 'staff' }],
  ['text that JSON escapes', { ...base, room: '%c3%a4rger', user: { id: 'a"b\\c', name: 'Zoë \u2028 "Q" \u0007', email: 'q@x.org', moderator: false }, jti: 'j"1' }],
  ['an empty name is left out', { ...base, user: { id: 'i', name: '', moderator: true } }],
];

describe('claims serialiser', () => {
  it.each(shapes)('%s: the same bytes as JSON.stringify', (_name, input) => {
    const claims = buildClaims(input);
    expect(serializeClaims(claims)).toBe(JSON.stringify(claims));
    expect(claimsSerializer(input.issuer, input.audience)(claims)).toBe(JSON.stringify(claims));
  });

  it('a user record with a field buildClaims does not write keeps JSON.stringify order and content', () => {
    const claims: JitsiClaims = buildClaims(base);
    claims.context.user = { name: 'First', id: 'second', moderator: true, region: 'eu' };
    expect(serializeClaims(claims)).toBe(JSON.stringify(claims));
  });

  it('another issuer than the serialiser was made for: still JSON.stringify', () => {
    const claims = buildClaims({ ...base, issuer: 'other' });
    expect(claimsSerializer('meet-gateway', 'jitsi')(claims)).toBe(JSON.stringify(claims));
  });
});
