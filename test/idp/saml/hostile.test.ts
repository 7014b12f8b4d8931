import { createSign } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectRejected, ScriptedBrowser, TARGET_URL, type Step } from '../../login/harness.js';
import { startRedis, type RedisServer } from '../../support/redis.js';
import { encodeResponse, newId, type ResponseOptions } from '../../support/saml-idp.js';
import { postResponse, startLogin, startSamlGateway, type SamlBench } from './harness.js';

/**
 * Hostile SAML: every response below is refused with a 4xx page and no token. The IdP is test code
 * (test/support/saml-idp.ts) signing with its own keys made at test time; each case names the
 * attack it stands for. Signature wrapping follows Somorovsky et al., "On Breaking SAML: Be Whoever
 * You Want to Be" (USENIX Security 2012), XSW1–XSW8.
 */

let redis: RedisServer;
let bench: SamlBench;

const EPPN = (value: string) => ({ name: 'urn:oid:1.3.6.1.4.1.5923.1.1.1.6', friendlyName: 'eduPersonPrincipalName', values: [value] });
const VICTIM = 'alice@example.org';
const ATTACKER = 'mallory@example.org';

beforeAll(async () => {
  redis = await startRedis();
  bench = await startSamlGateway(redis.url, { attributes: { id: 'eduPersonPrincipalName' } });
}, 60_000);

afterAll(async () => {
  await bench?.gw.stop();
  await redis?.destroy();
});

/** A login started in a fresh browser, answered with `build(requestId)`; returns the gateway's final answer. */
async function attempt(build: (requestId: string) => Promise<string> | string, target: SamlBench = bench): Promise<Step> {
  const browser = new ScriptedBrowser();
  const { requestId, relayState } = await startLogin(target, browser);
  const { final } = await postResponse(target, browser, encodeResponse(await build(requestId)), relayState);
  return final;
}

const legit = (requestId: string, extra: ResponseOptions = {}) => bench.idp.response(bench.sp, { requestId, attributes: [EPPN(ATTACKER)], ...extra });

function signedAssertion(requestId: string, eppn: string, id = newId()): { xml: string; id: string } {
  const unsigned = bench.idp.assertion(bench.sp, { requestId, id, attributes: [EPPN(eppn)] });
  return { xml: bench.idp.sign(unsigned, id), id };
}

const responseAround = (requestId: string, inner: string, responseId = newId()) =>
  `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${responseId}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${bench.sp.acsUrl}" InResponseTo="${requestId}"><saml:Issuer>${bench.idp.entityId}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>${inner}</samlp:Response>`;

const evilAssertion = (requestId: string, id: string) => bench.idp.assertion(bench.sp, { requestId, id, attributes: [EPPN(VICTIM)] });
const signatureOf = (xml: string) => /<ds:Signature[\s\S]*<\/ds:Signature>|<Signature[\s\S]*<\/Signature>/.exec(xml)?.[0] ?? '';
const withoutSignature = (xml: string) => xml.replace(signatureOf(xml), '');

describe('the control case', () => {
  it('a legitimate response for the attacker logs in the attacker (so the refusals below are about the attack)', async () => {
    const final = await attempt((requestId) => legit(requestId));
    expect(final.status, final.body.slice(0, 300)).toBe(303);
    expect(final.location?.startsWith(`${TARGET_URL}/acme/physics#jwt=`)).toBe(true);
  });
});

describe('signature wrapping (XSW)', () => {
  const cases: Array<[string, (requestId: string) => Promise<string> | string]> = [
    [
      'XSW1: a new unsigned Response around an evil assertion; the signed Response moved into its Signature',
      async (requestId) => {
        const original = await bench.idp.response(bench.sp, { requestId, attributes: [EPPN(ATTACKER)], sign: 'response' });
        const signature = signatureOf(original).replace(/<\/(ds:)?Signature>$/, (end) => `<ds:Object xmlns:ds="http://www.w3.org/2000/09/xmldsig#">${original.replace(/^<\?xml[^>]*>/, '')}</ds:Object>${end}`);
        return responseAround(requestId, `${signature}${evilAssertion(requestId, newId())}`);
      },
    ],
    [
      'XSW2: a new unsigned Response with an evil assertion; the signed Response beside it (detached)',
      async (requestId) => {
        const original = await bench.idp.response(bench.sp, { requestId, attributes: [EPPN(ATTACKER)], sign: 'response' });
        return responseAround(requestId, `${signatureOf(original)}${original}${evilAssertion(requestId, newId())}`);
      },
    ],
    [
      'XSW3: an evil unsigned assertion before the signed one',
      (requestId) => responseAround(requestId, `${evilAssertion(requestId, newId())}${signedAssertion(requestId, ATTACKER).xml}`),
    ],
    [
      'XSW4: an evil unsigned assertion wrapping the signed one',
      (requestId) => responseAround(requestId, evilAssertion(requestId, newId()).replace('</saml:Assertion>', `${signedAssertion(requestId, ATTACKER).xml}</saml:Assertion>`)),
    ],
    [
      'XSW5: the signed assertion\'s content replaced (signature kept), the original copied after it',
      (requestId) => {
        const original = signedAssertion(requestId, ATTACKER);
        const evil = evilAssertion(requestId, original.id).replace('</saml:Issuer>', `</saml:Issuer>${signatureOf(original.xml)}`);
        return responseAround(requestId, `${evil}${original.xml}`);
      },
    ],
    [
      'XSW6: the evil assertion carries the signature, the original assertion inside that signature',
      (requestId) => {
        const original = signedAssertion(requestId, ATTACKER);
        const signature = signatureOf(original.xml).replace(/<\/(ds:)?Signature>$/, (end) => `<ds:Object xmlns:ds="http://www.w3.org/2000/09/xmldsig#">${withoutSignature(original.xml)}</ds:Object>${end}`);
        return responseAround(requestId, evilAssertion(requestId, original.id).replace('</saml:Issuer>', `</saml:Issuer>${signature}`));
      },
    ],
    [
      'XSW7: the signed assertion hidden in an Extensions element, an evil assertion in its place',
      (requestId) => responseAround(requestId, `<samlp:Extensions>${signedAssertion(requestId, ATTACKER).xml}</samlp:Extensions>${evilAssertion(requestId, newId())}`),
    ],
    [
      'XSW8: the evil assertion with the signature; the original, unsigned, in an Object of that signature',
      (requestId) => {
        const original = signedAssertion(requestId, ATTACKER);
        const signature = signatureOf(original.xml).replace(/<\/(ds:)?Signature>$/, (end) => `<ds:Object xmlns:ds="http://www.w3.org/2000/09/xmldsig#">${withoutSignature(original.xml)}</ds:Object>${end}`);
        return responseAround(requestId, evilAssertion(requestId, newId()).replace('</saml:Issuer>', `</saml:Issuer>${signature}`));
      },
    ],
  ];
  it.each(cases)('%s', async (_attack, build) => {
    expectRejected(await attempt(build), 400);
  });
});

describe('forged, stripped and misdirected responses', () => {
  const cases: Array<[string, (requestId: string) => Promise<string> | string]> = [
    [
      'a comment in the signed NameID (bob@example.org<!---->.evil.com: canonicalization drops it, a naive reader stops at it)',
      async (requestId) => {
        const id = newId();
        const assertion = bench.idp.sign(bench.idp.assertion(bench.sp, { requestId, id, attributes: [EPPN('bob@example.org.evil.com')], nameIdRaw: 'bob@example.org.evil.com' }), id);
        return responseAround(requestId, assertion.replaceAll('bob@example.org.evil.com', 'bob@example.org<!---->.evil.com'));
      },
    ],
    ['a signed Response whose assertion is unsigned (the assertion must be signed)', (requestId) => legit(requestId, { sign: 'response' })],
    ['no signature at all', (requestId) => legit(requestId, { sign: 'none' })],
    ['the assertion signature stripped from a signed response', async (requestId) => withoutSignature(await legit(requestId, { sign: 'assertion' }))],
    ['signed by a certificate that is not in the IdP metadata', (requestId) => legit(requestId, { signer: bench.idp.rogue })],
    ['a response for another audience', (requestId) => legit(requestId, { audience: 'https://other-sp.example.org/shibboleth' })],
    ['a bearer confirmation for another recipient', (requestId) => legit(requestId, { recipient: 'https://other-sp.example.org/Shibboleth.sso/SAML2/POST' })],
    ['a Response sent to another Destination', (requestId) => legit(requestId, { destination: 'https://other-sp.example.org/acs' })],
    ['an assertion issued by someone else than the IdP', (requestId) => legit(requestId, { issuer: 'https://evil.example.net/idp' })],
    ['a confirmation that is not bearer (holder-of-key)', (requestId) => legit(requestId, { method: 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key' })],
    ['a response to another AuthnRequest (InResponseTo)', () => legit(newId())],
    ['an unsolicited response (no InResponseTo) while IdP-initiated sign-in is off', () => legit('', { requestId: undefined })],
    ['XXE: an external entity in a DOCTYPE', async (requestId) => (await legit(requestId)).replace('<samlp:Response', '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><samlp:Response')],
    [
      'entity expansion ("billion laughs")',
      async (requestId) =>
        `<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>${(await legit(requestId)).replace(ATTACKER, '&c;')}`,
    ],
    ['not XML at all', () => 'this is not xml <<<'],
    ['a LogoutResponse where a Response belongs', (requestId) => bench.idp.logoutResponse(bench.sp, requestId)],
  ];
  it.each(cases)('%s', async (_attack, build) => {
    expectRejected(await attempt(build), 400);
  });

  it("a scoped id from outside the IdP's shibmd:Scope is dropped: no id, no login (502, the IdP's fault)", async () => {
    const final = await attempt((requestId) => legit(requestId, { attributes: [EPPN('alice@evil.example.net')] }));
    expectRejected(final, 502);
    expect(final.body).toMatch(/did not release the attribute that identifies you/);
  });

  it('an assertion that expired (beyond the clock skew)', async () => {
    const final = await attempt((requestId) => legit(requestId, { notBefore: -600, notOnOrAfter: -120 }));
    expectRejected(final, 400);
    expect(final.body).toMatch(/no longer valid/);
  });

  it('an assertion that is not valid yet (beyond the clock skew)', async () => {
    expectRejected(await attempt((requestId) => legit(requestId, { notBefore: 600 })), 400);
  });

  it('an IdP error status (AuthnFailed) is a refusal, not a crash', async () => {
    const final = await attempt((requestId) =>
      responseAround(requestId, '').replace(
        '<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>',
        '<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"/></samlp:StatusCode>',
      ),
    );
    expectRejected(final, 403);
  });

  it('a 10 MB response is refused at the ACS (413) before anything reads it', async () => {
    const browser = new ScriptedBrowser();
    const { relayState } = await startLogin(bench, browser);
    const huge = 'A'.repeat(10 * 1024 * 1024);
    const { post } = await postResponse(bench, browser, huge, relayState);
    expectRejected(post, 413);
  });
});

describe('replay', () => {
  it('the same Response posted twice: the second is refused', async () => {
    const browser = new ScriptedBrowser();
    const { requestId, relayState } = await startLogin(bench, browser);
    const response = encodeResponse(await legit(requestId));
    expect((await postResponse(bench, browser, response, relayState)).final.status).toBe(303);
    expectRejected((await postResponse(bench, browser, response, relayState)).final, 400);
  });

  it('an assertion ID seen before is refused in a new login, also on another replica (through Redis)', async () => {
    const replica = await startSamlGateway(redis.url, { attributes: { id: 'eduPersonPrincipalName' } }, { extra: { publicUrl: bench.gw.url }, prefix: `jsgtest:${bench.gw.port}:` });
    try {
      const assertionId = newId();
      const first = await attempt((requestId) => legit(requestId, { id: assertionId }));
      expect(first.status).toBe(303);
      const onReplica: SamlBench = { ...bench, gw: replica.gw, sp: { ...bench.sp, acsUrl: `${replica.gw.url}/auth/uni/callback` } };
      const browser = new ScriptedBrowser();
      const { requestId, relayState } = await startLogin({ ...bench, gw: replica.gw }, browser);
      const { final } = await postResponse(onReplica, browser, encodeResponse(await legit(requestId, { id: assertionId })), relayState);
      expectRejected(final, 400);
      expect(final.body).toMatch(/already used/);
    } finally {
      await replica.gw.stop();
    }
  });
});

describe('Redirect-binding logout messages', () => {
  const sloUrl = () => bench.sp.sloUrl;

  it('a deflate bomb (8 MB of zeros in 8 KB, validly signed) is refused without inflating it all', async () => {
    const bomb = deflateRawSync(Buffer.alloc(8 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(10 * 1024);
    const query = bench.idp.redirectQuery('SAMLRequest', '', undefined).replace(/^SAMLRequest=[^&]*/, `SAMLRequest=${encodeURIComponent(bomb.toString('base64'))}`);
    // Re-sign with the bomb in place: the signature must be valid for the inflation to be the problem.
    const signedBomb = resign(query);
    const step = await new ScriptedBrowser().request(`${sloUrl()}?${signedBomb}`);
    expectRejected(step, 400);
  });

  it('an unsigned LogoutRequest is refused', async () => {
    const xml = bench.idp.logoutRequest(bench.sp, { nameId: 'x' });
    expectRejected(await new ScriptedBrowser().request(`${sloUrl()}?${bench.idp.redirectQuery('SAMLRequest', xml, undefined, null)}`), 400);
  });

  it('a LogoutRequest signed by a certificate not in the metadata is refused', async () => {
    const xml = bench.idp.logoutRequest(bench.sp, { nameId: 'x' });
    expectRejected(await new ScriptedBrowser().request(`${sloUrl()}?${bench.idp.redirectQuery('SAMLRequest', xml, undefined, bench.idp.rogue)}`), 400);
  });

  it('a LogoutRequest with a DOCTYPE (XXE) is refused', async () => {
    const xml = `<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>${bench.idp.logoutRequest(bench.sp, { nameId: '&x;' })}`;
    expectRejected(await new ScriptedBrowser().request(`${sloUrl()}?${bench.idp.redirectQuery('SAMLRequest', xml)}`), 400);
  });
});

/** Signs a Redirect-binding query again (the part before &SigAlg) with the test IdP's key. */
function resign(query: string): string {
  const unsigned = query.replace(/&Signature=[^&]*$/, '');
  return `${unsigned}&Signature=${encodeURIComponent(createSign('RSA-SHA256').update(unsigned).sign(bench.idp.keys.key, 'base64'))}`;
}
