import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkIdentifiers, identifierProblem } from '../../src/identity/printable.js';
import { samlIdentity } from '../../src/idp/saml/attributes.js';
import { samlAttributesSchema } from '../../src/idp/saml/settings.js';
import { createLogger } from '../../src/observability/logger.js';
import { startStandinCas, success, xml, type StandinCas } from '../idp/cas/standin-server.js';
import { gatewaySettings, jitsiState, ScriptedBrowser, startGateway, type RunningGateway, type Step } from '../login/harness.js';
import type { TestOidcProvider } from '../support/oidc-provider.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { api, freePort, identityProvider, isModerator, oidcSettings, signIn, startIdentityGateway, type ApiGateway } from './identity-harness.js';

/**
 * Finding 8 of issue 16: identifiers are printable. Whatever the provider kind, the person's id,
 * name and e-mail are checked before they reach a token, a log line or the registry: no control
 * or invisible formatting characters, valid UTF-8, bounded length. An id is never "cleaned up":
 * "bob\u0007" made into "bob" would be bob.
 */

let redis: RedisServer;
let idp: TestOidcProvider;
let gw: ApiGateway;
let cas: StandinCas;
let casGw: RunningGateway;
const casLines: string[] = [];

const accounts = {
  bob: { password: 'bob-password', claims: { name: 'Bob', email: 'bob@corp.example', email_verified: true } },
  'bob\u0007': { password: 'bell-password', claims: { name: 'Bob', email: 'bell@corp.example', email_verified: true } },
  'bob\u202e': { password: 'bidi-password', claims: { name: 'Bob' } },
  carol: { password: 'carol-password', claims: { name: 'Carol\u0000\u001b[31m', email: 'carol\u0007@corp.example', email_verified: true } },
};

beforeAll(async () => {
  redis = await startRedis();
  const port = await freePort();
  idp = await identityProvider([port], accounts, ['corp']);
  gw = await startIdentityGateway(port, redis.url, { corp: oidcSettings(idp) });
  expect((await api(gw, 'PUT', '/rooms/acme/bobs-room', { moderators: { ids: ['bob'] } })).status).toBe(200);

  // CAS: a stand-in server, because the real one in the suite (LemonLDAP::NG) has no user whose id
  // contains control characters.
  cas = await startStandinCas();
  cas.handler = (_req, res, request) => {
    if (request.path === '/cas/login') {
      res.writeHead(302, { location: `${request.query.get('service')}&ticket=ST-1-printable` }).end();
      return;
    }
    xml(res, success(String(casUser)));
  };
  const casPort = await freePort();
  casGw = await startGateway(gatewaySettings(casPort, redis.url, { campus: { kind: 'cas', baseUrl: cas.baseUrl } }), casPort, {
    logger: createLogger('info', { write: (line: string) => void casLines.push(line) }),
  });
}, 90_000);

afterAll(async () => {
  await casGw?.stop();
  await cas?.close();
  await gw?.stop();
  await idp?.stop();
  await redis?.destroy();
});

let casUser = 'dwho';

async function casLogin(user: string): Promise<Step> {
  casUser = user;
  const room = 'tardis';
  const steps = await new ScriptedBrowser().follow(`${casGw.url}/login?room=${room}&state=${jitsiState({ room, tenant: 'acme' })}`);
  return steps.at(-1) as Step;
}

describe('OIDC: ids, names and e-mails from the real oidc-provider', () => {
  it('an id with a control character is refused, not cleaned up into bob', async () => {
    const { entry } = await signIn(gw, 'corp', 'bob\u0007', 'bobs-room', 'bell-password');
    expect(entry.status).toBe(502);
    expect(isModerator(entry)).toBe(false);
  });

  it('an id with a bidi override is refused', async () => {
    const { entry } = await signIn(gw, 'corp', 'bob\u202e', 'bobs-room', 'bidi-password');
    expect(entry.status).toBe(502);
  });

  it('a name and an e-mail with control characters are left out of the token; the person still signs in', async () => {
    const { entry } = await signIn(gw, 'corp', 'carol', 'lobby');
    expect(entry.status).toBe(303);
    expect(entry.user).toEqual({ id: 'carol', moderator: false });
  });

  it('bob himself still owns his room', async () => {
    const { entry } = await signIn(gw, 'corp', 'bob', 'bobs-room');
    expect(isModerator(entry)).toBe(true);
  });
});

describe('CAS: the user id of the validation answer', () => {
  it.each([
    ['a tab', 'dw&#9;ho'],
    ['a line break', 'dwho&#10;admin'],
    ['a zero-width space', 'dw\u200bho'],
    ['an overlong id', 'd'.repeat(300)],
  ])('with %s is refused before a token or a log line holds it', async (_what, user) => {
    const before = casLines.length;
    const final = await casLogin(user);
    expect(final.status).toBe(502);
    expect(final.location ?? '').not.toMatch(/jwt=/);
    const logged = casLines.slice(before).join('\n');
    expect(logged).toMatch(/the person's id (contains control or invisible formatting characters|is longer than 256 characters)/);
    expect(logged).not.toMatch(/dw\\t|dwho\\n|dw\u200bho|d{300}/);
  });

  it('a printable id signs in', async () => {
    const final = await casLogin('dwho');
    expect(final.status).toBe(303);
    expect(final.location).toMatch(/#jwt=/);
  });
});

describe('SAML: the id attribute', () => {
  it('is kept as sent (not cleaned up into bob), so the shared callback check refuses it', () => {
    const identity = samlIdentity('campus', undefined, { uid: ['bob\u0007'], mail: ['bob\u0000@corp.example'] }, samlAttributesSchema.parse({ id: 'uid', email: 'mail' }));
    expect(identity.id).toBe('bob\u0007');
    expect(checkIdentifiers(identity).problem).toMatch(/control or invisible formatting characters/);
    expect(checkIdentifiers({ ...identity, id: 'bob' })).toMatchObject({ dropped: ['email'] });
  });
});

describe('identifierProblem', () => {
  it.each([
    ['bob', undefined],
    ['Zoë Ålander', undefined],
    ['名前', undefined],
    ['👩‍💻', undefined],
    ['a\ud800b', 'is not valid UTF-8 (a lone surrogate)'],
    ['\udc00', 'is not valid UTF-8 (a lone surrogate)'],
    ['a\u0085b', 'contains control or invisible formatting characters'],
    ['a\u2028b', 'contains control or invisible formatting characters'],
    ['a\ufeffb', 'contains control or invisible formatting characters'],
    [' bob', 'begins or ends with white space'],
    ['', 'is empty'],
  ])('%j → %s', (value, problem) => {
    expect(identifierProblem(value, 256)).toBe(problem);
  });
});
