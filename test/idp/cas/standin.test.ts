/**
 * Faults of a CAS server that the real one in the tests (LemonLDAP::NG, see lemonldap.test.ts)
 * cannot be made to produce, played by a stand-in node:http server on 127.0.0.1. Every test says
 * why the real server cannot do it.
 */
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { createCasProvider, casProviderSchema, type CasProviderInput } from '../../../src/idp/cas/index.js';
import { GatewayError } from '../../../src/errors/gateway-error.js';
import type { IdentityProvider, LoginFinish } from '../../../src/idp/provider.js';
import { failureXml, startStandinCas, success, xml, type StandinCas } from './standin-server.js';
import { gatewayFailure } from '../../support/errors.js';
import { answerOf } from '../../../src/http/errors.js';

const silentLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
const CALLBACK = 'https://gw.example.org/auth/campus/callback';

let cas: StandinCas;
beforeAll(async () => {
  cas = await startStandinCas();
});
afterAll(async () => {
  await cas.close();
});
beforeEach(() => {
  cas.requests.length = 0;
  cas.bytesWritten.value = 0;
});

function provider(settings: Partial<CasProviderInput> = {}): IdentityProvider {
  return createCasProvider('campus', casProviderSchema.parse({ kind: 'cas', baseUrl: cas.baseUrl, displayName: 'Campus login', ...settings }), { log: silentLog });
}

async function callback(p: IdentityProvider, ticket = 'ST-1-abcdef', options: { forceLogin?: boolean } = {}): Promise<LoginFinish> {
  const start = await p.startLogin({ transactionId: 'tx-123', callbackUrl: CALLBACK, ...options });
  return { transactionId: 'tx-123', callbackUrl: CALLBACK, params: new URLSearchParams({ tx: 'tx-123', ticket }), secrets: start.secrets };
}

/** Everything an error could show or log, as one string. */
function everything(error: GatewayError): string {
  return JSON.stringify({ message: error.message, detail: error.detail, context: error.context, cause: String(error.cause ?? '') });
}

describe('validation requests', () => {
  it('3.0 validates at /p3/serviceValidate with exactly the service string of startLogin (stand-in: to see the request)', async () => {
    cas.handler = (_req, res) => xml(res, success('dwho'));
    const p = provider();
    const finish = await callback(p, 'ST-42-xyz');
    await p.finishLogin(finish);
    expect(cas.requests).toHaveLength(1);
    const request = cas.requests[0]!;
    expect(request.path).toBe('/cas/p3/serviceValidate');
    expect(request.query.get('service')).toBe(`${CALLBACK}?tx=tx-123`);
    expect(request.query.get('service')).toBe(finish.secrets.service);
    expect(request.query.get('ticket')).toBe('ST-42-xyz');
    expect(request.query.has('renew')).toBe(false);
  });

  it.each([
    ['2.0', '/cas/serviceValidate'],
    ['1.0', '/cas/validate'],
  ] as const)('%s validates at %s', async (version, path) => {
    cas.handler = (_req, res) => (version === '1.0' ? res.end('yes\ndwho\n') : xml(res, success('dwho')));
    const p = provider({ version });
    await p.finishLogin(await callback(p));
    expect(cas.requests[0]?.path).toBe(path);
  });

  it('renew (setting or forceLogin) is sent at login and at validation', async () => {
    cas.handler = (_req, res) => xml(res, success('dwho'));
    const p = provider();
    const finish = await callback(p, 'ST-1-a', { forceLogin: true });
    await p.finishLogin(finish);
    expect(cas.requests[0]?.query.get('renew')).toBe('true');
    const strict = provider({ renew: true });
    await strict.finishLogin(await callback(strict));
    expect(cas.requests[1]?.query.get('renew')).toBe('true');
  });
});

describe('answers the real server does not give', () => {
  it('attributes: multi-valued, entities, character references, CDATA, "007" stays a string, groups deduplicated', async () => {
    // LemonLDAP::NG writes attribute values unescaped and single-valued per element; these are
    // what other CAS servers (Apereo CAS) send.
    cas.handler = (_req, res) =>
      xml(
        res,
        success(
          '007',
          `<cas:displayName>Tom &amp; Jerry &#x2014; &#233;t&#xE9;</cas:displayName>
           <cas:email><![CDATA[tom&jerry@example.org]]></cas:email>
           <cas:memberOf>staff</cas:memberOf><cas:memberOf>staff</cas:memberOf><cas:memberOf>a&lt;b</cas:memberOf>
           <cas:picture>javascript:alert(1)</cas:picture>
           <cas:isFromNewLogin>true</cas:isFromNewLogin>`,
        ),
      );
    const p = provider();
    const { identity } = await p.finishLogin(await callback(p));
    expect(identity.id).toBe('007');
    expect(identity.name).toBe('Tom & Jerry — été');
    expect(identity.email).toBe('tom&jerry@example.org');
    expect(identity.groups).toEqual(['staff', 'a<b']);
    expect(identity.avatar).toBeUndefined();
    expect(identity.claims).toEqual({
      displayName: 'Tom & Jerry — été',
      email: 'tom&jerry@example.org',
      memberOf: ['staff', 'staff', 'a<b'],
      picture: 'javascript:alert(1)',
      isFromNewLogin: 'true',
    });
  });

  it('a custom attribute mapping (id from an attribute, avatar only when http(s))', async () => {
    // Stand-in: LemonLDAP's demo users have no picture or employee number.
    cas.handler = (_req, res) =>
      xml(res, success('dwho', '<cas:employeeNumber>E-17</cas:employeeNumber><cas:photo>https://img.example.org/17.png</cas:photo><cas:roles>r1</cas:roles>'));
    const p = provider({ attributes: { id: 'employeeNumber', avatar: 'photo', groups: 'cas:roles' } });
    const { identity } = await p.finishLogin(await callback(p));
    expect(identity).toMatchObject({ id: 'E-17', avatar: 'https://img.example.org/17.png', groups: ['r1'] });
  });

  it('the id attribute missing → 502 idp_error, no identity', async () => {
    cas.handler = (_req, res) => xml(res, success('dwho'));
    const p = provider({ attributes: { id: 'employeeNumber' } });
    const error = await gatewayFailure(p.finishLogin(await callback(p)));
    expect(answerOf(error).status).toBe(502);
    expect(error.code).toBe('idp_error');
  });

  it('name-value style attributes (<cas:attribute name= value=>) are read', async () => {
    // Some CAS 2.0 servers use this layout; LemonLDAP::NG does not.
    cas.handler = (_req, res) => xml(res, success('dwho', '<cas:attribute name="mail" value="d@x.org"/><cas:attribute name="groups" value="g1"/>'));
    const p = provider({ version: '2.0' });
    const { identity } = await p.finishLogin(await callback(p));
    expect(identity).toMatchObject({ email: 'd@x.org', groups: ['g1'] });
  });

  it.each([
    ['not XML at all', '<html><body>Maintenance</body></html>'],
    ['truncated', '<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationSuccess><cas:user>dwho</cas:user>'],
    ['mismatched tags', '<cas:serviceResponse><cas:authenticationSuccess><cas:user>dwho</cas:authenticationSuccess></cas:user></cas:serviceResponse>'],
    ['unescaped ampersand', success('dwho', '<cas:cn>Tom & Jerry</cas:cn>')],
    ['unknown entity', success('dwho', '<cas:cn>&nbsp;</cas:cn>')],
    ['two roots', `${success('dwho')}${success('rtyler')}`],
    ['success and failure at once', '<cas:serviceResponse xmlns:cas="x"><cas:authenticationSuccess><cas:user>a</cas:user></cas:authenticationSuccess><cas:authenticationFailure code="INVALID_TICKET"/></cas:serviceResponse>'],
    ['success without user', '<cas:serviceResponse xmlns:cas="x"><cas:authenticationSuccess></cas:authenticationSuccess></cas:serviceResponse>'],
    ['two users', '<cas:serviceResponse xmlns:cas="x"><cas:authenticationSuccess><cas:user>a</cas:user><cas:user>b</cas:user></cas:authenticationSuccess></cas:serviceResponse>'],
    ['wrong root element', '<saml:Response xmlns:saml="x"><cas:user>dwho</cas:user></saml:Response>'],
    ['empty body', ''],
    ['prototype pollution element names', success('dwho', '<__proto__><polluted>yes</polluted></__proto__>')],
  ])('malformed or unexpected XML (%s) → 502 idp_error (LemonLDAP always sends well-formed answers)', async (_name, body) => {
    cas.handler = (_req, res) => xml(res, body);
    const p = provider();
    const error = await gatewayFailure(p.finishLogin(await callback(p)));
    expect(answerOf(error).status).toBe(502);
    expect(error.code).toBe('idp_error');
    expect(error.message).toMatch(/cannot read/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('an XXE payload (external entity to /etc/passwd) is refused before parsing; no file content anywhere', async () => {
    // A real CAS server never sends a DTD; an attacker controlling or impersonating one would.
    const passwd = readFileSync('/etc/passwd', 'utf8');
    const firstLine = passwd.split('\n')[0] ?? 'root:x:0:0';
    cas.handler = (_req, res) =>
      xml(
        res,
        `<?xml version="1.0"?>
<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">
  <cas:authenticationSuccess><cas:user>&xxe;</cas:user>
  <cas:attributes><cas:cn>&xxe;</cas:cn></cas:attributes></cas:authenticationSuccess>
</cas:serviceResponse>`,
      );
    const p = provider();
    const error = await gatewayFailure(p.finishLogin(await callback(p)));
    expect(answerOf(error).status).toBe(502);
    expect(error.code).toBe('idp_error');
    expect(everything(error)).not.toContain(firstLine);
    expect(everything(error)).not.toContain('root:');
    expect(String(error.detail?.reason)).toMatch(/document type declarations/);
  });

  it.each([
    ['billion laughs', '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><cas:serviceResponse xmlns:cas="x"><cas:authenticationSuccess><cas:user>&lol2;</cas:user></cas:authenticationSuccess></cas:serviceResponse>'],
    ['lower-case doctype with parameter entity', '<!doctype x [<!ENTITY % p SYSTEM "http://127.0.0.1:1/evil.dtd"> %p;]><cas:serviceResponse xmlns:cas="x"/>'],
    ['entity declaration without doctype', '<cas:serviceResponse xmlns:cas="x"><!ENTITY x "y"><cas:authenticationSuccess><cas:user>a</cas:user></cas:authenticationSuccess></cas:serviceResponse>'],
  ])('DTD tricks (%s) are refused → 502 (a real CAS server never sends a DTD)', async (_name, body) => {
    cas.handler = (_req, res) => xml(res, body);
    const p = provider();
    const error = await gatewayFailure(p.finishLogin(await callback(p)));
    expect(error.code).toBe('idp_error');
    expect(cas.requests).toHaveLength(1); // nothing fetched on behalf of the document
  });

  it('a 10 MB answer with Content-Length is refused at once (LemonLDAP answers are ~500 bytes)', async () => {
    cas.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml', 'content-length': String(10 * 1024 * 1024) });
      res.write('<cas:serviceResponse xmlns:cas="x">');
      // never finishes: the client must not wait for the 10 MB
    };
    const p = provider();
    const started = Date.now();
    const error = await gatewayFailure(p.finishLogin(await callback(p)));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(answerOf(error).status).toBe(502);
    expect(error.code).toBe('idp_error');
    expect(error.message).toMatch(/too large/);
  });

  it('a streamed 10 MB answer without Content-Length is cut off after maxResponseBytes', async () => {
    // Stand-in: no real CAS server sends megabytes; a broken proxy or a hostile server could.
    const chunk = `<cas:x>${'A'.repeat(64 * 1024)}</cas:x>`;
    let stopped = false;
    cas.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.write('<cas:serviceResponse xmlns:cas="x"><cas:authenticationSuccess><cas:user>a</cas:user><cas:attributes>');
      let sent = 0;
      const pump = () => {
        while (sent < 10 * 1024 * 1024 && !res.destroyed) {
          sent += chunk.length;
          cas.bytesWritten.value = sent;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        stopped = res.destroyed;
        if (!res.destroyed) res.end('</cas:attributes></cas:authenticationSuccess></cas:serviceResponse>');
      };
      res.on('close', () => {
        stopped = true;
      });
      pump();
    };
    const p = provider({ maxResponseBytes: 1024 * 1024 });
    const started = Date.now();
    const error = await gatewayFailure(p.finishLogin(await callback(p)));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(answerOf(error).status).toBe(502);
    expect(error.code).toBe('idp_error');
    expect(error.message).toMatch(/too large/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stopped).toBe(true);
    expect(cas.bytesWritten.value).toBeLessThan(10 * 1024 * 1024);
  });

  it('a 30 s stall before any answer → 504 idp_unavailable within timeoutMs', async () => {
    // LemonLDAP answers in milliseconds; a hung CAS server (or firewall) does not answer at all.
    cas.handler = (_req, res) => {
      setTimeout(() => xml(res, success('dwho')), 30_000).unref();
    };
    const p = provider({ timeoutMs: 500 });
    const started = Date.now();
    const error = await gatewayFailure(p.finishLogin(await callback(p)));
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(1500);
    expect(answerOf(error).status).toBe(504);
    expect(answerOf(error).code).toBe('idp_unavailable');
    expect(error.message).toMatch(/did not answer in time/);
  });

  it('a stall in the middle of the body → 504 idp_unavailable within timeoutMs', async () => {
    cas.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.write('<cas:serviceResponse xmlns:cas="x"><cas:authenticationSuccess>');
    };
    const p = provider({ timeoutMs: 500 });
    const started = Date.now();
    const error = await gatewayFailure(p.finishLogin(await callback(p)));
    expect(Date.now() - started).toBeLessThan(1500);
    expect(answerOf(error).status).toBe(504);
    expect(answerOf(error).code).toBe('idp_unavailable');
  });

  it.each([500, 503, 404, 302])('HTTP %i → 502 idp_error, redirects not followed (LemonLDAP answers 200)', async (status) => {
    cas.handler = (_req, res) => {
      res.writeHead(status, status === 302 ? { location: `${cas.baseUrl}/p3/serviceValidate?again=1` } : {}).end(success('dwho'));
    };
    const p = provider();
    const error = await gatewayFailure(p.finishLogin(await callback(p)));
    expect(answerOf(error).status).toBe(502);
    expect(error.code).toBe('idp_error');
    expect(error.message).toContain(`HTTP ${status}`);
    expect(cas.requests).toHaveLength(1);
  });

  it('a server that is down → 502 idp_unavailable', async () => {
    // Stand-in: a port nobody listens on.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    const p = createCasProvider('campus', casProviderSchema.parse({ kind: 'cas', baseUrl: `http://127.0.0.1:${port}/cas` }), { log: silentLog });
    const error = await gatewayFailure(p.finishLogin(await callback(p)));
    expect(answerOf(error).status).toBe(502);
    expect(answerOf(error).code).toBe('idp_unavailable');
  });
});

describe('every CAS failure code (stand-in: LemonLDAP only produces INVALID_TICKET, INVALID_SERVICE and INVALID_REQUEST)', () => {
  it.each([
    ['INVALID_TICKET', 400, 'login_expired', /already used or expired/],
    ['INVALID_TICKET_SPEC', 400, 'login_expired', /does not meet the requirements/],
    ['INVALID_SERVICE', 400, 'login_expired', /different address/],
    ['INVALID_REQUEST', 502, 'idp_error', /incomplete/],
    ['UNAUTHORIZED_SERVICE', 403, 'access_denied', /does not allow/],
    ['UNAUTHORIZED_SERVICE_PROXY', 502, 'idp_error', /proxy/],
    ['INVALID_PROXY_CALLBACK', 502, 'idp_error', /proxy callback/],
    ['INTERNAL_ERROR', 502, 'idp_error', /internal error/],
    ['SOMETHING_NEW', 502, 'idp_error', /could not confirm/],
    ['', 502, 'idp_error', /could not confirm/],
    ['<script>', 502, 'idp_error', /could not confirm/],
  ] as const)('%s → %i %s', async (code, status, errorCode, message) => {
    cas.handler = (_req, res) => xml(res, failureXml(code.replace('<', '&lt;').replace('>', '&gt;'), '<b>ticket</b> &amp; <i>details</i>'.replace(/</g, '&lt;')));
    const p = provider();
    const error = await gatewayFailure(p.finishLogin(await callback(p)));
    expect(answerOf(error).status).toBe(status);
    expect(error.code).toBe(errorCode);
    expect(error.message).toMatch(message);
    expect(error.message).toContain('Campus login');
    // The server's own text is logged (detail), never shown to the person.
    expect(error.message).not.toContain('details');
    expect(error.detail).toMatchObject({ provider: 'campus', casCode: /^[A-Z_]+$/.test(code) && code ? code : 'UNKNOWN' });
    expect(String(error.detail?.casMessage)).toContain('details');
  });

  it('failure codes also work in 2.0 answers with another namespace prefix', async () => {
    cas.handler = (_req, res) =>
      xml(res, `<sso:serviceResponse xmlns:sso="http://www.yale.edu/tp/cas"><sso:authenticationFailure code="INVALID_TICKET">Ticket ST-1 not recognized</sso:authenticationFailure></sso:serviceResponse>`);
    const p = provider({ version: '2.0' });
    const error = await gatewayFailure(p.finishLogin(await callback(p)));
    expect(error.code).toBe('login_expired');
  });
});

describe('CAS 1.0 answers', () => {
  it.each([
    ['yes\r\ndwho\r\n', 'ok'],
    ['no\n\n', 400],
    ['no\n', 400],
    ['yes\n', 502],
    ['yes\n\n', 502],
    ['yes\ndwho\nextra\n', 502],
    ['maybe\ndwho\n', 502],
    ['<cas:serviceResponse/>', 502],
    ['', 502],
  ] as const)('%j → %s', async (body, expected) => {
    // Stand-in: LemonLDAP only sends "yes\n<user>\n" or "no\n\n".
    cas.handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
    const p = provider({ version: '1.0' });
    if (expected === 'ok') {
      const { identity } = await p.finishLogin(await callback(p));
      expect(identity).toEqual({ provider: 'campus', id: 'dwho', groups: [], claims: {} });
    } else {
      const error = await gatewayFailure(p.finishLogin(await callback(p)));
      expect(answerOf(error).status).toBe(expected);
    }
  });
});
