import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createTargets } from '../../src/tokens/targets.js';
import { cookieValues, GatePassSigner, MAX_USER_LENGTH, type GatePass } from '../../src/gate/pass.js';
import { checkReturnUrl, roomOf } from '../../src/gate/return-url.js';
import { answerOf } from '../../src/http/errors.js';
import { hsSettings, strongSecret } from '../support/config.js';
import { thrownBy } from '../support/errors.js';

/** The pure parts of the gate: the signed pass, the cookie scan, the return URL and the meeting it names. */

const SECRET = strongSecret();
const pass: GatePass = { target: 'meet', sessionId: 'S'.repeat(43), issuedAt: 1_800_000_000, expiresAt: 1_800_028_800, provider: 'corp', user: 'alice' };

describe('gate pass', () => {
  const signer = new GatePassSigner(SECRET);

  it('verifies what it signed, with every field', () => {
    expect(signer.verify(signer.sign(pass))).toEqual(pass);
  });

  it('cuts a long user id (display only) and keeps the pass small', () => {
    const long = signer.sign({ ...pass, user: 'ü'.repeat(1000) });
    expect(long.length).toBeLessThan(1024);
    expect(signer.verify(long)?.user).toHaveLength(MAX_USER_LENGTH);
  });

  const good = signer.sign(pass);
  const [payload = '', mac = ''] = good.split('.');
  const reencoded = (fields: unknown[]) => Buffer.from(JSON.stringify(fields), 'utf8').toString('base64url');
  it.each<[string, string]>([
    ['another key', new GatePassSigner(strongSecret()).sign(pass)],
    ['payload changed, MAC kept', `${reencoded([1, 'other', pass.sessionId, pass.issuedAt, pass.expiresAt, 'corp', 'alice'])}.${mac}`],
    ['MAC cut', good.slice(0, -1)],
    ['MAC missing', payload],
    ['empty', ''],
    ['dot only', '.'],
    ['oversized', `${'A'.repeat(2000)}.${mac}`],
    ['MAC of the wrong length', `${payload}.${mac}AA`],
  ])('refuses %s', (_what, value) => {
    expect(signer.verify(value)).toBeUndefined();
  });
});

describe('cookieValues', () => {
  it.each<[string | undefined, string[]]>([
    [undefined, []],
    ['', []],
    ['jsg_gate_meet=a', ['a']],
    ['x=1; jsg_gate_meet=a; y=2', ['a']],
    ['x=1;jsg_gate_meet=a', ['a']],
    ['jsg_gate_meet=a; jsg_gate_meet=b', ['a', 'b']],
    ['xjsg_gate_meet=a; jsg_gate_meeting=b; jsg_gate_meet_x=c', []],
    ['y=jsg_gate_meet=a', []],
    ['jsg_gate_meet', []],
    ['jsg_gate_meet= a ', ['a']],
  ])('%s → %j', (header, values) => {
    expect(cookieValues(header, 'jsg_gate_meet')).toEqual(values);
  });
});

describe('return URL', () => {
  const targets = createTargets(parseConfig(hsSettings({}, { url: 'https://meet.example.com', tenants: ['acme'] })).config);
  const meet = targets.get('meet');
  if (!meet) throw new Error('no target');

  it.each<[string | undefined, string]>([
    [undefined, 'https://meet.example.com/'],
    ['', 'https://meet.example.com/'],
    ['/Team%20Sync', 'https://meet.example.com/Team%20Sync'],
    ['/Team Sync', 'https://meet.example.com/Team%20Sync'],
    ['https://meet.example.com/acme/weekly?lang=de#frag', 'https://meet.example.com/acme/weekly?lang=de'],
    ['room', 'https://meet.example.com/room'],
    ['/a/../b', 'https://meet.example.com/b'],
    // Same scheme without slashes is a relative path for the URL parser: it stays on the target.
    ['https:evil.example', 'https://meet.example.com/evil.example'],
  ])('accepts %s', (raw, href) => {
    expect(checkReturnUrl(meet, raw).href).toBe(href);
  });

  it.each([
    'https://evil.example/',
    '//evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    'http://meet.example.com/',
    'https://meet.example.com:8443/',
    'https://meet.example.com@evil.example/',
    'https://user@meet.example.com/',
    'https://meet.example.com.evil.example/',
    'javascript:alert(document.cookie)',
    'data:text/html,<script>alert(1)</script>',
    '/room\r\nLocation: https://evil.example',
    '/room\u0000',
    `/${'a'.repeat(2100)}`,
  ])('refuses %s', (raw) => {
    expect(answerOf(thrownBy(() => checkReturnUrl(meet, raw)))).toMatchObject({ status: 400, code: 'invalid_request' });
  });

  it('keeps a target with a path under its path', () => {
    const sub = createTargets(parseConfig(hsSettings({}, { url: 'https://example.com/meet' })).config).get('meet');
    if (!sub) throw new Error('no target');
    expect(checkReturnUrl(sub, '/meet/room').href).toBe('https://example.com/meet/room');
    expect(checkReturnUrl(sub, 'room').href).toBe('https://example.com/meet/room');
    expect(answerOf(thrownBy(() => checkReturnUrl(sub, '/meeting/room'))).status).toBe(400);
    expect(answerOf(thrownBy(() => checkReturnUrl(sub, '/other'))).status).toBe(400);
    expect(roomOf(sub, checkReturnUrl(sub, '/meet/Room'))).toEqual({ target: 'meet', room: 'room' });
  });

  it.each<[string, { room: string; tenant?: string } | undefined]>([
    ['/Team%20Sync', { room: 'team%20sync' }],
    ['/%C3%84rger', { room: '%c3%a4rger' }],
    ['/acme/Weekly', { room: 'weekly', tenant: 'acme' }],
    ['/acme/Weekly/', { room: 'weekly', tenant: 'acme' }],
    ['/', undefined],
    ['/config.js', undefined],
    ['/static/close.html', undefined],
    ['/http-bind', undefined],
    ['/xmpp-websocket', undefined],
    ['/acme/config.js', undefined],
    ['/unknown-tenant/room', undefined],
    ['/a/b/c', undefined],
    ['/%E0%A4%A', undefined],
  ])('%s names %j', (path, expected) => {
    const location = roomOf(meet, checkReturnUrl(meet, path));
    expect(location).toEqual(expected === undefined ? undefined : { target: 'meet', ...expected });
  });
});

describe('gate configuration', () => {
  it('needs a strong cookieSecret and accepts one', () => {
    expect(() => parseConfig(hsSettings({ gate: {} }))).toThrow(/gate\.cookieSecret: is missing/);
    expect(() => parseConfig(hsSettings({ gate: { cookieSecret: 'changeme' } }))).toThrow(/gate\.cookieSecret/);
    expect(() => parseConfig(hsSettings({ gate: { cookieSecret: strongSecret(), recheckSeconds: 1 } }))).toThrow(/gate\.recheckSeconds/);
    const { config } = parseConfig(hsSettings({ gate: { cookieSecret: strongSecret() } }));
    expect(config.gate).toMatchObject({ cookieName: 'jsg_gate', recheckSeconds: 60 });
  });
});
