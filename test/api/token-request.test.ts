import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseBody, parseTokenRequest, tokenRequestSchema } from '../../src/api/schemas.js';
import { GatewayError } from '../../src/errors/gateway-error.js';
import { answerOf } from '../../src/http/errors.js';

/**
 * parseTokenRequest is a hand-written check in front of tokenRequestSchema (the hot path of
 * POST /api/v1/tokens). It must answer exactly as the schema does: accept the same bodies, build
 * the same value (same keys in the same order), refuse with the schema's own message. Compared on
 * boundary bodies and on many generated ones (seeded, so a failure reproduces).
 */

type Outcome = { ok: unknown; keys: string } | { error: string; status: number | undefined };

function outcome(parse: (body: Record<string, unknown>) => unknown, body: Record<string, unknown>): Outcome {
  try {
    const ok = parse(body);
    return { ok, keys: JSON.stringify(Object.keys(ok as object)) + JSON.stringify(Object.keys((ok as { user?: object }).user ?? {})) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error), status: error instanceof GatewayError ? answerOf(error).status : undefined };
  }
}

const viaSchema = (body: Record<string, unknown>) => parseBody(tokenRequestSchema, body);

function same(body: Record<string, unknown>): Outcome {
  const fast = outcome(parseTokenRequest, body);
  const schema = outcome(viaSchema, body);
  if (!isDeepStrictEqual(fast, schema)) throw new Error(`differs for ${JSON.stringify(body)}:\n fast   ${JSON.stringify(fast)}\n schema ${JSON.stringify(schema)}`);
  return fast;
}

const typical = { tenant: 'sales', room: 'Weekly Standup', user: { id: 'u-1', name: 'Ada', email: 'ada@example.com' }, role: 'moderator', ttlSeconds: 600 };

describe('parseTokenRequest answers as tokenRequestSchema', () => {
  it('accepts the typical request, role defaulting to participant', () => {
    expect(same(typical)).toMatchObject({ ok: typical });
    expect(same({ room: 'r', user: { id: 'u' } })).toMatchObject({ ok: { room: 'r', user: { id: 'u' }, role: 'participant' } });
  });

  it.each([
    ['an unknown field', { ...typical, moderator: true }],
    ['an unknown user field', { ...typical, user: { id: 'u', admin: true } }],
    ['ttl above a day', { ...typical, ttlSeconds: 86401 }],
    ['ttl zero', { ...typical, ttlSeconds: 0 }],
    ['ttl not an integer', { ...typical, ttlSeconds: 1.5 }],
    ['ttl as a string', { ...typical, ttlSeconds: '600' }],
    ['an unknown role', { ...typical, role: 'owner' }],
    ['an unknown affiliation', { ...typical, affiliation: 'admin' }],
    ['an empty room', { ...typical, room: '' }],
    ['a room too long', { ...typical, room: 'x'.repeat(1025) }],
    ['a tenant too long', { ...typical, tenant: 'x'.repeat(64) }],
    ['a bad target name', { ...typical, target: 'Meet' }],
    ['a control character in the id', { ...typical, user: { id: 'a\u0000b' } }],
    ['a C1 control character in the name', { ...typical, user: { id: 'u', name: 'a\u0085b' } }],
    ['an invalid e-mail', { ...typical, user: { id: 'u', email: 'bad@' } }],
    ['no user', { room: 'r' }],
    ['user as an array', { room: 'r', user: ['u'] }],
    ['lobbyBypass as a number', { ...typical, lobbyBypass: 1 }],
    ['an unknown feature', { ...typical, features: { admin: true } }],
    ['an avatar that is not http(s)', { ...typical, user: { id: 'u', avatar: 'javascript:alert(1)' } }],
  ])('refuses %s with the schema\'s 400', (_, body) => {
    const result = same(body as Record<string, unknown>);
    expect(result).toMatchObject({ status: 400 });
  });

  it.each([
    ['features', { ...typical, features: { recording: true } }],
    ['an avatar', { ...typical, user: { id: 'u', avatar: 'https://example.com/a.png' } }],
    ['every optional field', { target: 'meet', tenant: 'sales', room: 'r', user: { id: 'u', name: 'n', email: 'a@b.co' }, role: 'moderator', affiliation: 'owner', lobbyBypass: true, ttlSeconds: 86400 }],
  ])('accepts %s, built the same way', (_, body) => {
    expect(same(body as Record<string, unknown>)).toHaveProperty('ok');
  });

  it('agrees on 20,000 generated bodies (seeded)', () => {
    let seed = 0x5eed;
    const random = () => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
    const strings = ['', 'a', 'sales', 'Weekly Standup', 'x'.repeat(63), 'x'.repeat(64), 'x'.repeat(256), 'x'.repeat(257), 'x'.repeat(1024), 'x'.repeat(1025), 'a\u0000b', 'a\u0085b', 'ü', 'ada@example.com', 'a@b.co', 'bad@', 'A-b', 'a-b', '__proto__', 'https://x.example/a.png', ' '];
    const anything = () => pick<unknown>([null, true, false, 0, 1, 1.5, -1, 600, 86400, 86401, pick(strings), [], {}, ['a'], 'moderator', 'participant', 'owner', 'member']);
    const fieldValue: Record<string, () => unknown> = {
      // Mostly valid values, so that many bodies pass and the built values get compared too.
      target: () => pick(['meet', 'meet', 'a-b', 'a-b', 'A', '']),
      tenant: () => pick(['sales', 'sales', 'x'.repeat(63), 'x'.repeat(63), 'x'.repeat(64), '']),
      room: () => pick(['r', 'r', 'Weekly Standup', 'x'.repeat(1024), 'x'.repeat(1024), 'x'.repeat(1025), '']),
      role: () => pick(['moderator', 'participant', 'moderator', 'participant', 'x']),
      affiliation: () => pick(['owner', 'member', 'teacher', 'owner', 'x']),
      lobbyBypass: () => pick([true, false, true, false, 1]),
      ttlSeconds: () => pick([1, 600, 86400, 1, 600, 86400, 86401, 0, 1.5, -5]),
      features: () => pick([{ recording: true }, { nope: true }]),
      moderator: () => true,
      user: () => {
        if (random() < 0.1) return anything();
        const user: Record<string, unknown> = {};
        for (const key of ['id', 'name', 'email', 'avatar', 'extra']) {
          if (random() < (key === 'id' ? 0.95 : key === 'extra' ? 0.05 : 0.3)) {
            const valid = key === 'email' ? ['ada@example.com', 'a@b.co'] : key === 'avatar' ? ['https://example.com/a.png'] : ['a', 'Ada', 'ü', 'x'.repeat(256)];
            user[key] = random() < 0.8 ? pick(valid) : random() < 0.8 ? pick(['x'.repeat(257), 'a\u0085b', 'bad@', '', 'javascript:x']) : anything();
          }
        }
        return user;
      },
    };
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 20_000; i += 1) {
      const body: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(fieldValue)) {
        const chance = key === 'room' || key === 'user' ? 0.92 : key === 'moderator' || key === 'features' ? 0.04 : 0.35;
        if (random() < chance) body[key] = random() < 0.95 ? value() : anything();
      }
      const result = same(JSON.parse(JSON.stringify(body)) as Record<string, unknown>);
      if ('ok' in result) accepted += 1;
      else refused += 1;
    }
    // Both answers must be well represented, or the comparison says little.
    expect(accepted).toBeGreaterThan(1000);
    expect(refused).toBeGreaterThan(1000);
  });
});
