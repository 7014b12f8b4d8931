/**
 * Hostile input at the CAS provider's edges: what a browser (callback parameters) or anyone on the
 * network (back-channel logout POSTs) can send. No CAS server is needed: the fetch passed to the
 * provider fails the test if it is ever called for input that must be refused up front.
 */
import { describe, expect, it, vi } from 'vitest';

import { createCasProvider, casProviderSchema, type CasProviderInput } from '../../../src/idp/cas/index.js';
import { GatewayError } from '../../../src/errors/gateway-error.js';
import type { IdentityProvider } from '../../../src/idp/provider.js';
import { gatewayFailure } from '../../support/errors.js';
import { answerOf } from '../../../src/http/errors.js';

const CALLBACK = 'https://gw.example.org/auth/campus/callback';

function setup(settings: Partial<CasProviderInput> = {}) {
  const fetchSpy = vi.fn<typeof fetch>(async () => {
    throw new Error('the CAS server must not be called for this input');
  });
  const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
  const p: IdentityProvider = createCasProvider('campus', casProviderSchema.parse({ kind: 'cas', baseUrl: 'https://cas.example.org/cas', ...settings }), {
    log,
    fetch: fetchSpy,
  });
  return { p, fetchSpy, log };
}

async function finishWith(p: IdentityProvider, params: URLSearchParams) {
  const start = await p.startLogin({ transactionId: 'tx1', callbackUrl: CALLBACK });
  return p.finishLogin({ transactionId: 'tx1', callbackUrl: CALLBACK, params, secrets: start.secrets });
}

describe('startLogin', () => {
  it('builds <baseUrl>/login?service=<callback>?tx=<id> from the callback URL only, plus loginParams', async () => {
    const { p } = setup({ baseUrl: 'https://cas.example.org/cas/', loginParams: { locale: 'de', authn_method: 'mfa duo' } });
    const start = await p.startLogin({ transactionId: 'Ab_9-z', callbackUrl: CALLBACK });
    expect(start.secrets).toEqual({ service: `${CALLBACK}?tx=Ab_9-z` });
    expect(start.redirectUrl).toBe(
      `https://cas.example.org/cas/login?service=${encodeURIComponent(`${CALLBACK}?tx=Ab_9-z`)}&locale=de&authn_method=mfa+duo`,
    );
  });

  it('gateway=true or renew=true, never both; forceLogin wins over gateway', async () => {
    const { p } = setup({ gateway: true });
    expect(new URL((await p.startLogin({ transactionId: 't', callbackUrl: CALLBACK })).redirectUrl).searchParams.get('gateway')).toBe('true');
    const forced = new URL((await p.startLogin({ transactionId: 't', callbackUrl: CALLBACK, forceLogin: true })).redirectUrl).searchParams;
    expect(forced.get('renew')).toBe('true');
    expect(forced.has('gateway')).toBe(false);
    expect(() => casProviderSchema.parse({ kind: 'cas', baseUrl: 'https://c/cas', gateway: true, renew: true })).toThrow(/renew and gateway/);
  });

  it('refuses a transaction id or callback URL that would make an ambiguous service URL (a bug in the caller)', async () => {
    const { p } = setup();
    for (const transactionId of ['', 'a b', 'x'.repeat(129), 'a&ticket=ST-1', 'ä']) {
      expect(answerOf(await gatewayFailure(p.startLogin({ transactionId, callbackUrl: CALLBACK }))).status).toBe(500);
    }
    for (const callbackUrl of ['/auth/campus/callback', `${CALLBACK}?tx=other`, `${CALLBACK}#frag`, 'javascript:alert(1)']) {
      expect(answerOf(await gatewayFailure(p.startLogin({ transactionId: 'tx', callbackUrl }))).status).toBe(500);
    }
  });
});

describe('transactionId (the tx parameter in the service URL)', () => {
  const { p } = setup();
  it.each([
    ['tx=abc_DEF-123', 'abc_DEF-123'],
    [`tx=${'a'.repeat(128)}`, 'a'.repeat(128)],
    ['ticket=ST-1', undefined],
    ['tx=', undefined],
    [`tx=${'a'.repeat(129)}`, undefined],
    ['tx=a%20b', undefined],
    ['tx=a.b', undefined],
    ['tx=%00', undefined],
    ['tx=..%2F..%2Fetc', undefined],
    ['tx=%C3%A4', undefined],
    ['tx=a&tx=b', undefined],
    ['tx=a&tx=a', undefined],
  ])('%s → %s', (query, expected) => {
    expect(p.transactionId(new URLSearchParams(query))).toBe(expected);
  });
});

describe('the ticket parameter: refused with 400 before the CAS server is asked', () => {
  it.each([
    ['10 kB', `ST-${'a'.repeat(10 * 1024)}`],
    ['257 characters', `ST-${'a'.repeat(254)}`],
    ['not a service ticket (proxy ticket)', 'PT-1-abc'],
    ['no ST- prefix', 'abc'],
    ['empty', ''],
    ['spaces', 'ST-1 abc'],
    ['CR LF (header/log injection)', 'ST-1\r\nSet-Cookie: x=y'],
    ['NUL', 'ST-1\u0000'],
    ['ampersand (parameter smuggling)', 'ST-1&service=https://evil.example'],
    ['angle brackets', 'ST-<script>'],
    ['non-ASCII', 'ST-1ä'],
    ['percent', 'ST-1%41'],
  ])('%s', async (_name, ticket) => {
    const { p, fetchSpy } = setup();
    const error = await gatewayFailure(finishWith(p, new URLSearchParams({ tx: 'tx1', ticket })));
    expect(answerOf(error).status).toBe(400);
    expect(error.code).toBe('invalid_request');
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(error.message).not.toContain(ticket.slice(0, 20) || '\u0000never');
  });

  it('two ticket parameters → 400', async () => {
    const { p, fetchSpy } = setup();
    const error = await gatewayFailure(finishWith(p, new URLSearchParams('tx=tx1&ticket=ST-1&ticket=ST-2')));
    expect(answerOf(error).status).toBe(400);
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('no ticket → 400 invalid_request; in gateway mode → 403 access_denied "not signed in"', async () => {
    const plain = setup();
    expect(answerOf(await gatewayFailure(finishWith(plain.p, new URLSearchParams({ tx: 'tx1' })))).status).toBe(400);
    const gateway = setup({ gateway: true });
    const error = await gatewayFailure(finishWith(gateway.p, new URLSearchParams({ tx: 'tx1' })));
    expect(answerOf(error).status).toBe(403);
    expect(error.code).toBe('access_denied');
    expect(error.context).toEqual({ reason: 'not_signed_in' });
    expect(plain.fetchSpy).not.toHaveBeenCalled();
    expect(gateway.fetchSpy).not.toHaveBeenCalled();
  });

  it('a transaction without a saved service URL → 500 (bug), never a validation with another service', async () => {
    const { p, fetchSpy } = setup();
    const error = await gatewayFailure(p.finishLogin({ transactionId: 'tx1', callbackUrl: CALLBACK, params: new URLSearchParams({ tx: 'tx1', ticket: 'ST-1' }), secrets: {} }));
    expect(answerOf(error).status).toBe(500);
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('a valid-looking ticket is sent to the CAS server as a single, encoded query parameter', async () => {
    const { p, fetchSpy } = setup();
    fetchSpy.mockImplementation(async () => new Response('<cas:serviceResponse xmlns:cas="x"><cas:authenticationSuccess><cas:user>u</cas:user></cas:authenticationSuccess></cas:serviceResponse>'));
    await finishWith(p, new URLSearchParams({ tx: 'tx1', ticket: 'ST-1-abc.def_ghi' }));
    const url = new URL(String(fetchSpy.mock.calls[0]?.[0]));
    expect(url.origin + url.pathname).toBe('https://cas.example.org/cas/p3/serviceValidate');
    expect([...url.searchParams.keys()]).toEqual(['service', 'ticket']);
    expect(url.searchParams.get('ticket')).toBe('ST-1-abc.def_ghi');
    expect(url.searchParams.get('service')).toBe(`${CALLBACK}?tx=tx1`);
  });
});

const LEMONLDAP_SLO = (ticket: string) => `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="${ticket}" Version="2.0" IssueInstant="2026-11-23T10:00:00Z">
                <saml:NameID xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">@NOT_USED@</saml:NameID>
                <samlp:SessionIndex>${ticket}</samlp:SessionIndex>
            </samlp:LogoutRequest>`;

const APEREO_SLO = (ticket: string) =>
  `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="LR-1-abc" Version="2.0" IssueInstant="2026-11-23T10:00:00Z"><saml:NameID>@NOT_USED@</saml:NameID><samlp:SessionIndex>${ticket}</samlp:SessionIndex></samlp:LogoutRequest>`;

const FORM = 'application/x-www-form-urlencoded';
const form = (xml: string) => new URLSearchParams({ logoutRequest: xml }).toString();

describe('backchannelLogout', () => {
  it.each([
    ['LemonLDAP::NG', LEMONLDAP_SLO('ST-0123abcd')],
    ['Apereo CAS', APEREO_SLO('ST-1-AbCdEf-cas01.example.org')],
  ])('reads the one SessionIndex of a %s logoutRequest', async (_name, xmlBody) => {
    const { p, fetchSpy } = setup();
    const ticket = /<samlp:SessionIndex>([^<]+)</.exec(xmlBody)?.[1];
    expect(await p.backchannelLogout!(form(xmlBody), `${FORM}; charset=UTF-8`)).toEqual({ sessionIndexes: [ticket] });
    expect(await p.backchannelLogout!(xmlBody, 'text/xml')).toEqual({ sessionIndexes: [ticket] });
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('logs the request without the ticket', async () => {
    const { p, log } = setup();
    await p.backchannelLogout!(form(LEMONLDAP_SLO('ST-secretticket')), FORM);
    expect(JSON.stringify(log.info.mock.calls)).not.toContain('ST-secretticket');
  });

  it.each([
    ['empty body', '', FORM],
    ['no logoutRequest field', 'foo=bar', FORM],
    ['two logoutRequest fields', `${form(LEMONLDAP_SLO('ST-1'))}&${form(LEMONLDAP_SLO('ST-2'))}`, FORM],
    ['garbage', form('%%%garbage<<<'), FORM],
    ['not XML', form('ST-1'), FORM],
    ['truncated XML', form(LEMONLDAP_SLO('ST-1').slice(0, 120)), FORM],
    ['missing SessionIndex', form('<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><saml:NameID xmlns:saml="x">ST-1</saml:NameID></samlp:LogoutRequest>'), FORM],
    ['empty SessionIndex', form('<samlp:LogoutRequest xmlns:samlp="x"><samlp:SessionIndex></samlp:SessionIndex></samlp:LogoutRequest>'), FORM],
    ['two SessionIndexes', form('<samlp:LogoutRequest xmlns:samlp="x"><samlp:SessionIndex>ST-1</samlp:SessionIndex><samlp:SessionIndex>ST-2</samlp:SessionIndex></samlp:LogoutRequest>'), FORM],
    ['SessionIndex with odd characters', form('<samlp:LogoutRequest xmlns:samlp="x"><samlp:SessionIndex>ST-1 OR 1=1</samlp:SessionIndex></samlp:LogoutRequest>'), FORM],
    ['SessionIndex of 10 kB', form(`<samlp:LogoutRequest xmlns:samlp="x"><samlp:SessionIndex>ST-${'a'.repeat(10_000)}</samlp:SessionIndex></samlp:LogoutRequest>`), FORM],
    ['nested SessionIndex only', form('<samlp:LogoutRequest xmlns:samlp="x"><x><samlp:SessionIndex>ST-1</samlp:SessionIndex></x></samlp:LogoutRequest>'), FORM],
    ['wrong root', form('<samlp:LogoutResponse xmlns:samlp="x"><samlp:SessionIndex>ST-1</samlp:SessionIndex></samlp:LogoutResponse>'), FORM],
    ['wildcard-looking index', form('<samlp:LogoutRequest xmlns:samlp="x"><samlp:SessionIndex>*</samlp:SessionIndex></samlp:LogoutRequest>'), FORM],
    ['XXE', form('<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><samlp:LogoutRequest xmlns:samlp="x"><samlp:SessionIndex>&x;</samlp:SessionIndex></samlp:LogoutRequest>'), FORM],
    ['unknown entity', form('<samlp:LogoutRequest xmlns:samlp="x"><samlp:SessionIndex>ST-1&x;</samlp:SessionIndex></samlp:LogoutRequest>'), FORM],
    ['oversized (1 MB)', form(`<samlp:LogoutRequest xmlns:samlp="x"><samlp:SessionIndex>ST-1</samlp:SessionIndex><pad>${'x'.repeat(1024 * 1024)}</pad></samlp:LogoutRequest>`), FORM],
    ['JSON', JSON.stringify({ sessionIndexes: ['ST-1'] }), 'application/json'],
    ['no content type', form(LEMONLDAP_SLO('ST-1')), ''],
    ['multipart', form(LEMONLDAP_SLO('ST-1')), 'multipart/form-data; boundary=x'],
  ])('%s → 400 invalid_request, no session index', async (_name, body, contentType) => {
    const { p } = setup();
    const error = await gatewayFailure(p.backchannelLogout!(body, contentType));
    expect(answerOf(error).status).toBe(400);
    expect(error.code).toBe('invalid_request');
    expect(everythingOf(error)).not.toContain('root:');
  });
});

function everythingOf(error: GatewayError): string {
  return JSON.stringify({ message: error.message, detail: error.detail, context: error.context });
}

describe('logoutUrl and ready', () => {
  it('logoutUrl → <baseUrl>/logout?service=<return URL>, or the configured logoutReturnUrl', async () => {
    const { p } = setup();
    expect(await p.logoutUrl!({}, 'https://meet.example.org/')).toBe(`https://cas.example.org/cas/logout?service=${encodeURIComponent('https://meet.example.org/')}`);
    const fixed = setup({ logoutReturnUrl: 'https://www.example.org/bye?x=1' }).p;
    expect(await fixed.logoutUrl!({ logoutHint: 'ignored' }, 'https://meet.example.org/')).toBe(
      `https://cas.example.org/cas/logout?service=${encodeURIComponent('https://www.example.org/bye?x=1')}`,
    );
  });

  it('ready() is ok without contacting the server', async () => {
    const { p, fetchSpy } = setup();
    expect(await p.ready()).toEqual({ ok: true });
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(p.kind).toBe('cas');
    expect(p.displayName).toBe('campus');
  });
});
