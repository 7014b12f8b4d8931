import { describe, expect, it } from 'vitest';
import { createTargets } from '../../src/tokens/targets.js';
import { GatewayError } from '../../src/errors/gateway-error.js';
import { answerOf } from '../../src/http/errors.js';
import { deliver, withScheme } from '../../src/login/deliver.js';
import { parseCookies, serializeCookie } from '../../src/session/cookies.js';
import { configOverrides, parseLoginQuery, type LoginQuery } from '../../src/login/request.js';
import { plainPages } from '../../src/pages/renderer.js';
import { hsConfig } from '../support/config.js';

/** Jitsi's request exactly as functions.web.ts / functions.native.ts build it. */
const jitsi = (state: Record<string, unknown>, extra: Record<string, string> = {}) =>
  new URLSearchParams({ room: String(state.room ?? ''), state: JSON.stringify(state), ...extra });

function refusal(query: URLSearchParams): { status: number; code: string; message: string } {
  try {
    parseLoginQuery(query);
  } catch (error) {
    if (error instanceof GatewayError) return { status: answerOf(error).status, code: answerOf(error).code, message: error.message };
    throw error;
  }
  throw new Error('not refused');
}

describe('reading Jitsi tokenAuthUrl requests', () => {
  it.each<[string, URLSearchParams, Partial<LoginQuery>]>([
    ['web', jitsi({ room: 'Team Sync', roomSafe: 'team%20sync', tenant: 'acme' }), { room: 'Team Sync', tenant: 'acme', mode: 'redirect' }],
    ['ios', jitsi({ room: 'x', ios: true }), { mode: 'ios' }],
    ['android', jitsi({ room: 'x', android: true }), { mode: 'android' }],
    ['electron', jitsi({ room: 'x', electron: true }), { mode: 'electron' }],
    ['popup (nonce appended by loginWithPopup)', jitsi({ room: 'x' }, { nonce: 'abcd' }), { mode: 'inline' }],
    ['popup (inline=1 in tokenAuthUrl)', jitsi({ room: 'x' }, { inline: '1' }), { mode: 'inline' }],
    ['mobile wins over inline', jitsi({ room: 'x', android: true }, { inline: '1' }), { mode: 'android' }],
    ['{state} not in the tokenAuthUrl', new URLSearchParams({ room: 'plain' }), { room: 'plain', tenant: undefined }],
    ['the literal placeholder', new URLSearchParams({ room: 'plain', state: '{state}' }), { room: 'plain' }],
    ['{room} cut short by an &', new URLSearchParams({ room: 'a', state: JSON.stringify({ room: 'a&b' }) }), { room: 'a&b' }],
    ['only roomSafe', new URLSearchParams({ state: JSON.stringify({ roomSafe: 'team%20sync' }) }), { room: 'team%20sync' }],
    ['target and provider', jitsi({ room: 'x' }, { target: 'meet2', provider: 'corp' }), { target: 'meet2', provider: 'corp' }],
    ['a refresh handle', jitsi({ room: 'x', refreshToken: 'a'.repeat(43) }), { refreshToken: 'a'.repeat(43), forceLogin: false }],
    ['prompt=login forces a new authentication', jitsi({ room: 'x' }, { prompt: 'login' }), { forceLogin: true }],
    ['a refresh token that is not ours (ignored)', jitsi({ room: 'x', refreshToken: 'eyJhbGciOi.x.y' }), { refreshToken: undefined }],
  ])('%s', (_name, query, expected) => {
    expect(parseLoginQuery(query)).toMatchObject(expected);
  });

  it.each<[string, URLSearchParams, number, string]>([
    ['oversized state', jitsi({ room: 'x', pad: 'p'.repeat(4100) }), 400, 'invalid_request'],
    ['prompt other than login', jitsi({ room: 'x' }, { prompt: 'none' }), 400, 'invalid_request'],
    ['state that is not JSON', new URLSearchParams({ room: 'x', state: '{x' }), 400, 'invalid_request'],
    ['state that is null', new URLSearchParams({ room: 'x', state: 'null' }), 400, 'invalid_request'],
    ['a number as tenant', jitsi({ room: 'x', tenant: 7 }), 400, 'invalid_request'],
    ['a 2 kB room', new URLSearchParams({ room: 'r'.repeat(2048) }), 400, 'invalid_room'],
    ['no room', new URLSearchParams({ state: '{}' }), 400, 'invalid_room'],
    ['a repeated state', new URLSearchParams([['room', 'x'], ['state', '{}'], ['state', '{}']]), 400, 'invalid_request'],
    ['a target that is no name', jitsi({ room: 'x' }, { target: '../x' }), 404, 'unknown_target'],
    ['a provider that is no name', jitsi({ room: 'x' }, { provider: 'A B' }), 404, 'unknown_provider'],
  ])('refuses %s', (_name, query, status, code) => {
    expect(refusal(query)).toMatchObject({ status, code });
  });

  it('carries only allowed config overrides with plain values, as JSON', () => {
    expect(
      configOverrides({
        'config.startWithAudioMuted': true,
        'config.startWithVideoMuted': 'true',
        'config.prejoinConfig.enabled': false,
        'config.defaultLanguage': 'de',
        'config.subject': 'x'.repeat(201),
        'config.websocket': 'wss://evil',
        'config.hosts.domain': 'evil',
        'config.startAudioOnly': { nested: true },
        'config.__proto__.x': true,
        'interfaceConfig.APP_NAME': 'x',
        'iceServers.replace': [],
        toString: 'x',
      }),
    ).toEqual([
      ['config.startWithAudioMuted', 'true'],
      ['config.startWithVideoMuted', '"true"'],
      ['config.prejoinConfig.enabled', 'false'],
      ['config.defaultLanguage', '"de"'],
    ]);
  });
});

describe('delivering the token', () => {
  const target = [...createTargets(hsConfig().config).values()][0];
  if (!target) throw new Error('no target');
  const location = target.locate('Team Sync', 'acme');
  const base = { target, location, token: 'header.payload.sig', hashParams: [['config.startWithAudioMuted', 'true']] as Array<[string, string]>, acceptLanguage: '' };

  it.each([
    ['redirect', 'https://meet.example.com/acme/team%20sync#jwt=%22header.payload.sig%22&config.startWithAudioMuted=true'],
    ['ios', 'org.jitsi.meet://meet.example.com/acme/team%20sync#jwt=%22header.payload.sig%22&config.startWithAudioMuted=true'],
    ['android', 'org.jitsi.meet://meet.example.com/acme/team%20sync#jwt=%22header.payload.sig%22&config.startWithAudioMuted=true'],
    ['electron', 'jitsi-meet://meet.example.com/acme/team%20sync#jwt=%22header.payload.sig%22&config.startWithAudioMuted=true'],
  ] as const)('%s: %s', (mode, url) => {
    expect(deliver(plainPages, { ...base, mode })).toEqual({ kind: 'redirect', location: url });
  });

  it('inline: a page posting oauth-success to the Jitsi origin only', () => {
    const outcome = deliver(plainPages, { ...base, mode: 'inline', refreshToken: 'h'.repeat(43) });
    if (outcome.kind !== 'page') throw new Error('expected a page');
    const data = /<script type="application\/json" id="jsg-post">([^<]*)<\/script>/.exec(outcome.html)?.[1] ?? '';
    expect(JSON.parse(data)).toEqual({ to: 'opener', origin: 'https://meet.example.com', message: { type: 'oauth-success', accessToken: 'header.payload.sig', refreshToken: 'h'.repeat(43) } });
    expect(outcome.html).not.toContain('?jwt=');
  });

  it('swaps only the scheme', () => {
    expect(withScheme('https://meet.example.com/path/room#jwt=x', 'org.jitsi.meet')).toBe('org.jitsi.meet://meet.example.com/path/room#jwt=x');
  });
});

describe('cookies', () => {
  it('are HttpOnly, SameSite=Lax, Secure over https, on the base path', () => {
    expect(serializeCookie('jsg_session', 'v', 60, { secure: true, path: '/sso' })).toBe('jsg_session=v; Path=/sso; Max-Age=60; HttpOnly; SameSite=Lax; Secure');
    expect(serializeCookie('jsg_session', '', 0, { secure: false, path: '/' })).toBe('jsg_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Expires=Thu, 01 Jan 1970 00:00:00 GMT');
    expect(parseCookies('a=1; b=2; a=3; junk; =x')).toEqual(new Map([['a', '1'], ['b', '2']]));
  });
});
