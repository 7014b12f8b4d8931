import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createLogger } from '../../src/observability/logger.js';

/**
 * The logger's redaction is a formatter (src/observability/logger.ts) instead of pino's `redact`
 * option: it must print exactly what pino's redact printed for the same paths.
 */
const PATHS = ['token', 'jwt', 'secret', 'password', 'clientSecret', 'privateKey', '*.token', '*.secret', '*.password', 'req.headers.authorization', 'req.headers.cookie'];

function reference(lines: string[]) {
  return pino(
    {
      level: 'debug',
      base: { service: 'jitsi-sso-gateway' },
      timestamp: false,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: PATHS, censor: '[redacted]' },
    },
    { write: (line: string) => lines.push(line) },
  );
}

function cases(): Array<Record<string, unknown>> {
  const error = Object.assign(new Error('boom'), { token: 'abc', code: 'X' });
  const plainError = Object.assign(new Error('plain'), { code: 'Y' });
  return [
    {},
    { token: 't' },
    { token: undefined, a: 1 },
    { jwt: 'x.y.z', secret: { nested: true }, password: null, clientSecret: 5, privateKey: ['k'] },
    { x: { token: 't', other: 1 } },
    { x: { token: undefined } },
    { x: [{ token: 1 }] },
    { x: { secret: 's', password: 'p', keep: 'k' }, y: 'plain' },
    { req: { headers: { authorization: 'Bearer x', cookie: 'c', host: 'h' } } },
    { req: { token: 'r', headers: { cookie: 'c' } } },
    { req: { headers: { host: 'h' } } },
    { req: 'string' },
    { err: error },
    { err: plainError, code: 'internal_error' },
    { x: null, y: { secret: { deep: 1 } } },
    { a: { b: { token: 1 } } },
    { audit: 'token_issued', requestId: 'r-1', target: 'meet', provider: 'api:booking', user: 'u', email: 'a@b.c', room: 'r', tenant: 't', sub: 's', role: 'moderator', jti: 'j.1', exp: 1 },
  ];
}

describe('logger redaction', () => {
  it('prints what pino redact printed', () => {
    const expected: string[] = [];
    const actual: string[] = [];
    const old = reference(expected);
    const current = createLogger('debug', { write: (line: string) => actual.push(line) });
    for (const fields of cases()) {
      old.info(fields, 'message');
      current.info(fields, 'message');
    }
    old.child({ token: 'ct', a: { password: 'p' }, requestId: 'r' }).warn({ b: { secret: 1 } }, 'child');
    current.child({ token: 'ct', a: { password: 'p' }, requestId: 'r' }).warn({ b: { secret: 1 } }, 'child');
    const withoutTime = (line: string) => line.replace(/"time":"[^"]*",/, '');
    expect(actual.map(withoutTime)).toEqual(expected);
    expect(actual.join('')).not.toMatch(/Bearer x|"ct"|"abc"|x\.y\.z/);
  });

  it('leaves the logged objects unchanged', () => {
    const fields = { x: { token: 't' }, req: { headers: { cookie: 'c' } } };
    createLogger('info', { write: () => {} }).info(fields, 'm');
    expect(fields).toEqual({ x: { token: 't' }, req: { headers: { cookie: 'c' } } });
  });
});
