import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPage } from '../support/axe.js';
import { launchChromium, newContext, watchProblems } from '../support/chromium.js';
import { carriesNoToken, expectRejected, jitsiState, ScriptedBrowser, TARGET_URL } from './harness.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { encodeResponse, redirectMessage } from '../support/saml-idp.js';
import { aggregate, memberEntity, signAggregate, testFederation } from '../support/saml-federation.js';
import { parseDuration } from '../../src/idp/saml/mdq.js';
import { postResponse, startSamlGateway, type SamlBench } from '../idp/saml/harness.js';

/**
 * A SAML federation provider (issue 14, federations): one provider entry whose metadata is the
 * federation's signed aggregate and no idp.entityId serves every member IdP. The person picks their
 * institution on the discovery page (or the login URL names it: `entityID`); the chosen member is
 * bound to the login transaction, and only that member's signed answer signs anyone in.
 */

let redis: RedisServer;
let bench: SamlBench;
const federation = testFederation(30);
const { alpha, beta } = federation;
const EPPN = (value: string) => ({ name: 'urn:oid:1.3.6.1.4.1.5923.1.1.1.6', friendlyName: 'eduPersonPrincipalName', values: [value] });

const fedSettings = (metadata: string, signers = [federation.federationKeys.cert]) => ({ displayName: 'Test Federation', idp: { metadata, metadataSigningCertificates: signers } });

beforeAll(async () => {
  redis = await startRedis();
  bench = await startSamlGateway(redis.url, fedSettings(signAggregate(aggregate(federation.members), federation.federationKeys)));
}, 60_000);

afterAll(async () => {
  await bench?.gw.stop();
  await redis?.destroy();
});

const login = (query: Record<string, string> = {}, room = 'physics') => `${bench.gw.url}/login?${new URLSearchParams({ room, state: decodeURIComponent(jitsiState({ room, tenant: 'acme' })), ...query }).toString()}`;

/** Starts a login at `entityID` and returns the AuthnRequest's id and RelayState. */
async function startAt(browser: ScriptedBrowser, entityId: string) {
  const step = await browser.request(login({ entityID: entityId }));
  expect(step.status, step.body.slice(0, 300)).toBe(303);
  const message = redirectMessage(step.location ?? '');
  return { step, requestId: message.id, relayState: message.relayState ?? '' };
}

describe('discovery page', () => {
  it('without a choice: a search form and no token; the list appears for a name, an accent-free name, a domain or an e-mail', async () => {
    const browser = new ScriptedBrowser();
    const first = await browser.request(login());
    expect(first.status).toBe(200);
    expect(first.body).toContain('Choose your institution');
    expect(first.body).toMatch(/<form method="get" action="\/login" role="search">/);
    expect(first.body).not.toContain('data-idp='); // 32 members: search first, no endless list
    expect(carriesNoToken(first)).toBe(true);

    for (const search of ['Alpha', 'universite alpha', 'alpha.example.org', 'someone@alpha.example.org']) {
      const found = await browser.request(login({ q: search }));
      expect(found.status).toBe(200);
      expect(found.body, search).toContain(`data-idp="${alpha.idp.entityId}"`);
      expect(found.body, search).not.toContain(`data-idp="${beta.idp.entityId}"`);
    }
    const none = await browser.request(login({ q: 'gamma college' }));
    expect(none.body).toContain('No institution matches');
    const many = await browser.request(login({ q: 'school' }));
    expect(many.body).toContain('5 more institutions match'); // 30 schools, 25 shown
  });

  it('choosing from the list starts the login at that member, and the page offers it first next time', async () => {
    const browser = new ScriptedBrowser();
    const found = await browser.request(login({ q: 'beta' }));
    const href = /<a class="button" href="([^"]+)" data-idp="https:\/\/login\.beta/.exec(found.body)?.[1]?.replace(/&amp;/g, '&');
    expect(href).toBeDefined();
    const chosen = await browser.request(`${bench.gw.url}${href}`);
    expect(chosen.status).toBe(303);
    expect(chosen.location?.startsWith(beta.idp.ssoUrl)).toBe(true);
    const again = await browser.request(login());
    expect(again.body).toContain('Last used');
    expect(again.body).toContain(`data-idp="${beta.idp.entityId}"`);
  });
});

describe('discovery page in Chromium', { timeout: 60_000 }, () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('by keyboard alone: search, hear the result count, follow the institution; no serious axe violation (French)', async () => {
    const context = await newContext(browser, { locale: 'fr-FR' });
    const page = await context.newPage();
    const problems = watchProblems(page);
    await page.goto(login());
    expect(await page.locator('h1').textContent()).toBe('Choisissez votre établissement');
    await checkPage(page, 'discovery-fr', problems);
    await page.getByLabel('Nom ou domaine de votre établissement').focus();
    await page.keyboard.type('universite alpha');
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.searchParams.get('q') === 'universite alpha');
    expect(await page.getByRole('status').textContent()).toContain('1 établissements trouvés');
    await checkPage(page, 'discovery-fr-results', problems);
    const link = page.getByRole('link', { name: /Alpha University/ });
    await link.focus();
    // The member's SSO URL is no real host: what matters is that the browser is sent there.
    const toIdp = page.waitForRequest((request) => request.url().startsWith(alpha.idp.ssoUrl));
    await page.keyboard.press('Enter');
    await toIdp;
    await context.close();
  });
});

describe('federation login', () => {
  it('an entityID hint skips discovery; the member\'s signed answer ends in a token for the room', async () => {
    const browser = new ScriptedBrowser();
    const { step, requestId, relayState } = await startAt(browser, alpha.idp.entityId);
    expect(step.location?.startsWith(alpha.idp.ssoUrl)).toBe(true);
    const response = await alpha.idp.response(bench.sp, { requestId, attributes: [EPPN('alice@alpha.example.org')] });
    const { final } = await postResponse(bench, browser, encodeResponse(response), relayState);
    expect(final.status, final.body.slice(0, 300)).toBe(303);
    expect(final.location?.startsWith(`${TARGET_URL}/acme/physics#jwt=`)).toBe(true);
  });

  it('a login bound to Alpha refuses an answer from Beta, whether Beta names itself or Alpha as Issuer', async () => {
    for (const issuer of [beta.idp.entityId, alpha.idp.entityId]) {
      const browser = new ScriptedBrowser();
      const { requestId, relayState } = await startAt(browser, alpha.idp.entityId);
      // Beta, a genuine member with its own valid keys, answers the login the person started at Alpha.
      const response = await beta.idp.response(bench.sp, { requestId, issuer, attributes: [EPPN('mallory@alpha.example.org')] });
      const { final } = await postResponse(bench, browser, encodeResponse(response), relayState);
      expectRejected(final, 400);
      expect(final.body).toContain('could not be verified');
    }
  });

  it('refuses an unknown entityID hint and hints with tricks, with a 400 page and no token', async () => {
    const browser = new ScriptedBrowser();
    const id = alpha.idp.entityId;
    const hostile = [
      'https://idp.gamma.example.org/idp/shibboleth', // not a member
      `${id} `, // trailing space
      `${id}\n`, // control character
      id.toUpperCase(), // case
      id.slice(0, -1), // a prefix of a member
      `${id}/`, // a longer id
      encodeURIComponent(id), // encoded twice
      'x'.repeat(1025), // too long
      `${bench.sp.entityId}`, // the gateway itself
    ];
    for (const hint of hostile) {
      const step = await browser.request(login({ entityID: hint }));
      expectRejected(step, 400);
    }
    const twice = await browser.request(`${login({ entityID: id })}&entityID=${encodeURIComponent(beta.idp.entityId)}`);
    expectRejected(twice, 400);
    // Nothing was bound for the person: no last-choice cookie either.
    expect([...browser.cookies.keys()].some((name) => name.startsWith('jsg_idp_'))).toBe(false);
  });

  it('single logout from a member: its signed LogoutRequest ends its own sessions only, never those of another member', async () => {
    const browser = new ScriptedBrowser();
    const { requestId, relayState } = await startAt(browser, alpha.idp.entityId);
    const sessionIndex = '_shared-session-index';
    const nameId = '_shared-nameid';
    const response = await alpha.idp.response(bench.sp, { requestId, sessionIndex, nameId, attributes: [EPPN('alice@alpha.example.org')] });
    expect((await postResponse(bench, browser, encodeResponse(response), relayState)).final.status).toBe(303);
    const stillMints = async () => ((await browser.request(login({}, 'another'))).location ?? '').startsWith(`${TARGET_URL}/acme/another#jwt=`);
    expect(await stillMints()).toBe(true);
    // Beta, a member, names the same SessionIndex and NameID (values are only unique per IdP).
    const fromBeta = beta.idp.logoutRequest(bench.sp, { nameId, sessionIndex, id: '_beta-logout' });
    const betaStep = await new ScriptedBrowser().request(`${bench.sp.sloUrl}?${beta.idp.redirectQuery('SAMLRequest', fromBeta, 'r')}`);
    expect(betaStep.status).toBe(303);
    expect(betaStep.location?.startsWith(beta.idp.sloUrl)).toBe(true);
    expect(await stillMints()).toBe(true);
    // Beta claiming to be Alpha: its key is not Alpha's.
    const forged = beta.idp.logoutRequest(bench.sp, { nameId, sessionIndex, id: '_forged-logout', issuer: alpha.idp.entityId });
    expectRejected(await new ScriptedBrowser().request(`${bench.sp.sloUrl}?${beta.idp.redirectQuery('SAMLRequest', forged, 'r')}`), 400);
    expect(await stillMints()).toBe(true);
    // Alpha itself.
    const fromAlpha = alpha.idp.logoutRequest(bench.sp, { nameId, sessionIndex, id: '_alpha-logout' });
    const alphaStep = await new ScriptedBrowser().request(`${bench.sp.sloUrl}?${alpha.idp.redirectQuery('SAMLRequest', fromAlpha, 'r')}`);
    expect(alphaStep.status).toBe(303);
    expect(alphaStep.location?.startsWith(alpha.idp.sloUrl)).toBe(true);
    expect(await stillMints()).toBe(false);
  });

  it('an unsolicited answer (IdP-initiated) cannot sign in through a federation', async () => {
    const browser = new ScriptedBrowser();
    const response = await alpha.idp.response(bench.sp, { attributes: [EPPN('alice@alpha.example.org')] });
    const { final } = await postResponse(bench, browser, encodeResponse(response), undefined);
    expect(final.status).toBeGreaterThanOrEqual(400);
    expect(final.status).toBeLessThan(500);
    expect(carriesNoToken(final)).toBe(true);
  });
});

describe('the aggregate must be the federation\'s, signed and current', () => {
  const cases: Array<[string, () => Record<string, unknown>]> = [
    ['unsigned', () => fedSettings(aggregate(federation.members))],
    ['signed by someone else', () => fedSettings(signAggregate(aggregate(federation.members), alpha.idp.keys))],
    ['expired', () => fedSettings(signAggregate(aggregate(federation.members, { validUntil: new Date(Date.now() - 60_000).toISOString() }), federation.federationKeys))],
    ['without validUntil', () => fedSettings(signAggregate(aggregate(federation.members, { validUntil: null }), federation.federationKeys))],
    ['with no federation certificate configured', () => ({ idp: { metadata: signAggregate(aggregate(federation.members), federation.federationKeys) } })],
  ];
  for (const [what, settings] of cases) {
    it(`${what}: no discovery, no login (a clear page, no token)`, async () => {
      const other = await startSamlGateway(redis.url, settings(), { prefix: `fed-bad-${what.replace(/\W+/g, '-')}:` });
      try {
        const browser = new ScriptedBrowser();
        const page = await browser.request(`${other.gw.url}/login?room=physics&state=${jitsiState({ room: 'physics', tenant: 'acme' })}`);
        expectRejected(page, 502);
        expect(page.body).not.toContain('data-idp=');
        const hinted = await browser.request(`${other.gw.url}/login?room=physics&state=${jitsiState({ room: 'physics', tenant: 'acme' })}&entityID=${encodeURIComponent(alpha.idp.entityId)}`);
        expect(hinted.status).toBeGreaterThanOrEqual(400);
        expect(carriesNoToken(hinted)).toBe(true);
      } finally {
        await other.gw.stop();
      }
    });
  }
});

describe('providers check', () => {
  it('reports a federation by its member count', async () => {
    const { checkSamlProvider } = await import('../../src/idp/saml/check.js');
    const { samlProviderSchema } = await import('../../src/idp/saml/settings.js');
    const settings = samlProviderSchema.parse({ kind: 'saml', ...fedSettings(signAggregate(aggregate(federation.members), federation.federationKeys)), sp: { privateKey: 'k', certificate: 'c' } });
    expect(await checkSamlProvider('fed', settings)).toEqual([{ check: 'federation metadata', status: 'ok', detail: '32 IdPs, signed by a configured federation certificate' }]);
  });
});

describe('MDQ (metadata query protocol)', () => {
  let mdq: Server;
  let mdqBench: SamlBench;
  let mdqUrl: string;
  const asked: string[] = [];
  const unsignedMember = { ...federation.members[2]! };
  const expiredMember = federation.members[3]!;
  const liar = federation.members[4]!;

  /** One member's EntityDescriptor as an MDQ service answers it: signed by the federation. */
  function answer(member: typeof alpha, options: { validUntil?: string; sign?: boolean } = {}): string {
    const validUntil = options.validUntil ?? new Date(Date.now() + 86_400_000).toISOString();
    const xml = memberEntity(member).replace('<md:EntityDescriptor ', `<md:EntityDescriptor ID="_mdq" validUntil="${validUntil}" cacheDuration="PT1H" `);
    return options.sign === false ? xml : signAggregate(xml, federation.federationKeys, '_mdq');
  }

  beforeAll(async () => {
    mdq = createServer((request, response) => {
      const match = /^\/mdq\/entities\/([^/]+)$/.exec(request.url ?? '');
      const id = match ? decodeURIComponent(match[1]!) : '';
      asked.push(id);
      const send = (body: string) => response.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(body);
      if (id === alpha.idp.entityId) return send(answer(alpha));
      if (id === beta.idp.entityId) return send(answer(beta));
      if (id === unsignedMember.idp.entityId) return send(answer(unsignedMember, { sign: false }));
      if (id === expiredMember.idp.entityId) return send(answer(expiredMember, { validUntil: new Date(Date.now() - 60_000).toISOString() }));
      if (id === liar.idp.entityId) return send(answer(alpha)); // asked for one IdP, answers with another's (signed) metadata
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => mdq.listen(0, '127.0.0.1', resolve));
    mdqUrl = `http://127.0.0.1:${(mdq.address() as AddressInfo).port}/mdq`;
    mdqBench = await startSamlGateway(redis.url, { displayName: 'MDQ Federation', idp: { mdqUrl, metadataSigningCertificates: [federation.federationKeys.cert] } }, { prefix: 'fed-mdq:' });
  }, 60_000);

  afterAll(async () => {
    await mdqBench?.gw.stop();
    await new Promise((resolve) => mdq?.close(resolve));
  });

  const mdqLogin = (query: Record<string, string> = {}) => `${mdqBench.gw.url}/login?${new URLSearchParams({ room: 'physics', state: decodeURIComponent(jitsiState({ room: 'physics', tenant: 'acme' })), ...query }).toString()}`;

  it('an entityID hint is looked up at the service; the signed answer is cached; the member signs in', async () => {
    for (let i = 0; i < 2; i += 1) {
      const browser = new ScriptedBrowser();
      const step = await browser.request(mdqLogin({ entityID: alpha.idp.entityId }));
      expect(step.status, step.body.slice(0, 300)).toBe(303);
      expect(step.location?.startsWith(alpha.idp.ssoUrl)).toBe(true);
      const message = redirectMessage(step.location ?? '');
      const response = await alpha.idp.response(mdqBench.sp, { requestId: message.id, attributes: [EPPN('alice@alpha.example.org')] });
      const { final } = await postResponse(mdqBench, browser, encodeResponse(response), message.relayState ?? '');
      expect(final.location?.startsWith(`${TARGET_URL}/acme/physics#jwt=`)).toBe(true);
    }
    expect(asked.filter((id) => id === alpha.idp.entityId)).toHaveLength(1);
  });

  it('refuses: no hint, an unknown IdP (asked once), an unsigned, expired or substituted answer, and another member answering', async () => {
    const browser = new ScriptedBrowser();
    expectRejected(await browser.request(mdqLogin()), 400);
    for (const id of ['https://idp.unknown.example.org/idp', unsignedMember.idp.entityId, expiredMember.idp.entityId, liar.idp.entityId]) {
      expectRejected(await browser.request(mdqLogin({ entityID: id })), 400);
      expectRejected(await browser.request(mdqLogin({ entityID: id })), 400);
      expect(asked.filter((asked) => asked === id), id).toHaveLength(1); // remembered as unknown
    }
    const step = await browser.request(mdqLogin({ entityID: alpha.idp.entityId }));
    const message = redirectMessage(step.location ?? '');
    const response = await beta.idp.response(mdqBench.sp, { requestId: message.id, issuer: alpha.idp.entityId, attributes: [EPPN('mallory@alpha.example.org')] });
    const { final } = await postResponse(mdqBench, browser, encodeResponse(response), message.relayState ?? '');
    expectRejected(final, 400);
  });

  it('made-up hints count as login starts before the service is asked (session.loginStartsPerMinute)', async () => {
    const limited = await startSamlGateway(redis.url, { idp: { mdqUrl, metadataSigningCertificates: [federation.federationKeys.cert] } }, { prefix: 'fed-mdq-limit:', extra: { session: { loginStartsPerMinute: 2 }, server: { trustProxy: true } } });
    try {
      // One public client address (loopback is never limited): through a trusted proxy.
      const request = (target: string) => fetch(target, { redirect: 'manual', headers: { 'x-forwarded-for': '203.0.113.7' } });
      const hints = [1, 2, 3].map((i) => `https://idp.made-up-${i}.example.org/idp`);
      const url = (hint: string) => `${limited.gw.url}/login?room=physics&state=${jitsiState({ room: 'physics', tenant: 'acme' })}&entityID=${encodeURIComponent(hint)}`;
      expect((await request(url(hints[0]!))).status).toBe(400);
      expect((await request(url(hints[1]!))).status).toBe(400);
      expect((await request(url(hints[2]!))).status).toBe(429);
      expect(asked.filter((id) => hints.includes(id))).toEqual(hints.slice(0, 2));
    } finally {
      await limited.gw.stop();
    }
  });

  it('configuration: mdqUrl needs the federation certificate and excludes entityId and the other sources', async () => {
    const { samlProviderSchema } = await import('../../src/idp/saml/settings.js');
    const parse = (idp: Record<string, unknown>) => samlProviderSchema.safeParse({ kind: 'saml', idp, sp: { privateKey: 'k', certificate: 'c' } });
    const cert = [federation.federationKeys.cert];
    expect(parse({ mdqUrl: 'https://mdq.example.org/', metadataSigningCertificates: cert }).success).toBe(true);
    expect(JSON.stringify(parse({ mdqUrl: 'https://mdq.example.org/' }).error?.issues)).toContain('needs the federation certificate');
    expect(JSON.stringify(parse({ mdqUrl: 'https://mdq.example.org/', metadataSigningCertificates: cert, entityId: alpha.idp.entityId }).error?.issues)).toContain('leave entityId out');
    expect(JSON.stringify(parse({ mdqUrl: 'https://mdq.example.org/', metadataSigningCertificates: cert, metadataUrl: 'https://md.example.org/' }).error?.issues)).toContain('exactly one of');
  });

  it('reads cacheDuration', () => {
    expect(parseDuration('PT1H')).toBe(3_600_000);
    expect(parseDuration('P1DT30M')).toBe(86_400_000 + 1_800_000);
    expect(parseDuration('PT')).toBeUndefined();
    expect(parseDuration('1H')).toBeUndefined();
  });
});
