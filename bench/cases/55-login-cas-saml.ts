import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { SignedXml } from 'xml-crypto';
import { SECRET } from '../lib/fixtures.js';
import { interleaveLogins, tiledCpu, type RoundTripJob } from '../lib/measure.js';
import { freePort, ServerProcess } from '../lib/server-process.js';
import type { BenchCase, BenchOptions, BenchResult } from '../lib/types.js';
import { startRedisServer, tolerable, type JobResult } from '../lib/login-rig.js';

/**
 * The CAS and SAML logins (issues 4 and 14), measured like the OIDC round trip of 50-login.ts so
 * that the gateway's CPU per login reads side by side for the three protocols. The gateway runs as
 * it ships (the compiled CLI in its own process, Redis store); the IdP is a child process of this
 * file playing a CAS server (login → ticket, /p3/serviceValidate) or a SAML IdP (AuthnRequest in,
 * a Response with an RSA-SHA256-signed assertion out, metadata at a URL); scripted clients in
 * another child do /login → IdP → (ACS POST →) callback → join URL.
 *
 * The ratio is gateway logins/s against the same clients doing the IdP's part alone (wall clock:
 * the processes share the machine); the note carries what matters here, the gateway process's CPU
 * milliseconds per completed login (its signature check and Redis work for SAML, ticket validation
 * over HTTP for CAS).
 */

type Kind = 'cas' | 'saml';
const ROOM = 'weekly-standup';
const LOGIN_PATH = `/login?room=${ROOM}&state=${encodeURIComponent(JSON.stringify({ room: ROOM, tenant: 'sales' }))}`;

function keyPair(cn: string): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'jsg-bench-saml-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '2', '-subj', `/CN=${cn}`], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'k.pem'), 'utf8'), cert: readFileSync(join(dir, 'c.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Child: the IdP (CAS server and SAML IdP at once).

function runIdpChild(): void {
  const keys = keyPair('bench-idp');
  const tickets = new Map<string, string>();
  const server = createServer();
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const entityId = `${base}/saml/metadata`;
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const metadata = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${keys.cert.replace(/-----[A-Z ]+-----|\s/g, '')}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${base}/saml/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>`;

    const samlResponse = (requestXml: string): { action: string; SAMLResponse: string } => {
      const requestId = /\bID="([^"]+)"/.exec(requestXml)?.[1] ?? '';
      const acs = /AssertionConsumerServiceURL="([^"]+)"/.exec(requestXml)?.[1] ?? '';
      const audience = /<saml:Issuer[^>]*>([^<]+)</.exec(requestXml)?.[1] ?? '';
      const now = Date.now();
      const id = `_${randomBytes(16).toString('hex')}`;
      const attribute = (name: string, value: string) => `<saml:Attribute Name="${name}"><saml:AttributeValue>${value}</saml:AttributeValue></saml:Attribute>`;
      const assertion = `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" IssueInstant="${iso(now)}"><saml:Issuer>${entityId}</saml:Issuer><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">_ada</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${iso(now + 300_000)}" Recipient="${acs}" InResponseTo="${requestId}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="${iso(now - 60_000)}" NotOnOrAfter="${iso(now + 360_000)}"><saml:AudienceRestriction><saml:Audience>${audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="${iso(now)}" SessionIndex="_s${id}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement>${attribute('urn:oid:1.3.6.1.4.1.5923.1.1.1.6', 'ada@example.org')}${attribute('urn:oid:0.9.2342.19200300.100.1.3', 'ada@example.com')}${attribute('urn:oid:2.16.840.1.113730.3.1.241', 'Ada Lovelace')}${attribute('urn:oid:1.3.6.1.4.1.5923.1.5.1.1', 'staff')}</saml:AttributeStatement></saml:Assertion>`;
      const sig = new SignedXml({ privateKey: keys.key, publicCert: keys.cert, signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#' });
      sig.addReference({ xpath: `//*[@ID='${id}']`, transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'], digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256' });
      sig.computeSignature(assertion, { location: { reference: `//*[@ID='${id}']/*[local-name(.)='Issuer']`, action: 'after' } });
      const response = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r${id}" Version="2.0" IssueInstant="${iso(now)}" Destination="${acs}" InResponseTo="${requestId}"><saml:Issuer>${entityId}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>${sig.getSignedXml()}</samlp:Response>`;
      return { action: acs, SAMLResponse: Buffer.from(response).toString('base64') };
    };

    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '/', base);
      if (url.pathname === '/saml/metadata') {
        res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(metadata);
      } else if (url.pathname === '/saml/sso') {
        const xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest') ?? '', 'base64')).toString();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...samlResponse(xml), RelayState: url.searchParams.get('RelayState') ?? '' }));
      } else if (url.pathname === '/cas/login') {
        const service = url.searchParams.get('service') ?? '';
        const ticket = `ST-${randomBytes(20).toString('base64url')}`;
        tickets.set(ticket, service);
        res.writeHead(302, { location: `${service}${service.includes('?') ? '&' : '?'}ticket=${ticket}` }).end();
      } else if (url.pathname === '/cas/p3/serviceValidate') {
        const ticket = url.searchParams.get('ticket') ?? '';
        const ok = tickets.get(ticket) === url.searchParams.get('service');
        tickets.delete(ticket);
        res.writeHead(200, { 'content-type': 'application/xml' }).end(
          ok
            ? `<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationSuccess><cas:user>ada</cas:user><cas:attributes><cas:cn>Ada Lovelace</cas:cn><cas:mail>ada@example.com</cas:mail><cas:groups>staff</cas:groups></cas:attributes></cas:authenticationSuccess></cas:serviceResponse>`
            : `<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationFailure code="INVALID_TICKET">unknown</cas:authenticationFailure></cas:serviceResponse>`,
        );
      } else {
        res.writeHead(404).end();
      }
    });
    process.send?.({ base });
  });
  process.on('disconnect', () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------
// Child: scripted clients.

interface Job {
  id: number;
  kind: Kind;
  mode: 'gateway' | 'direct';
  gateway: string;
  idp: string;
  clients: number;
  durationMs: number;
}

async function gatewayLogin(job: Job, jar: { binding: string }): Promise<void> {
  const start = await fetch(`${job.gateway}${LOGIN_PATH}`, { redirect: 'manual', headers: jar.binding ? { cookie: jar.binding } : {} });
  await start.arrayBuffer();
  const binding = start.headers.getSetCookie().find((cookie) => /^(__Host-)?jsg_session_login=/.test(cookie));
  if (binding) jar.binding = binding.split(';')[0] ?? '';
  const toIdp = start.headers.get('location');
  if (start.status !== 303 || !toIdp) throw new Error(`/login answered ${start.status}`);
  let callback: string;
  if (job.kind === 'cas') {
    const back = await fetch(toIdp, { redirect: 'manual' });
    await back.arrayBuffer();
    callback = back.headers.get('location') ?? '';
  } else {
    const form = (await (await fetch(toIdp)).json()) as { action: string; SAMLResponse: string; RelayState: string };
    const posted = await fetch(form.action, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ SAMLResponse: form.SAMLResponse, RelayState: form.RelayState }).toString(),
    });
    await posted.arrayBuffer();
    if (posted.status !== 303) throw new Error(`ACS answered ${posted.status}`);
    callback = new URL(posted.headers.get('location') ?? '', job.gateway).href;
  }
  const finish = await fetch(callback, { redirect: 'manual', headers: { cookie: jar.binding } });
  await finish.arrayBuffer();
  if (finish.status !== 303 || !finish.headers.get('location')?.includes('#jwt=')) throw new Error(`callback answered ${finish.status}`);
}

/** The IdP's part alone: a ticket and its validation, or a signed Response for an AuthnRequest. */
async function directLogin(job: Job): Promise<void> {
  if (job.kind === 'cas') {
    const service = 'http://127.0.0.1:9/cb';
    const back = await fetch(`${job.idp}/cas/login?service=${encodeURIComponent(service)}`, { redirect: 'manual' });
    await back.arrayBuffer();
    const ticket = new URL(back.headers.get('location') ?? '').searchParams.get('ticket') ?? '';
    const validation = await (await fetch(`${job.idp}/cas/p3/serviceValidate?service=${encodeURIComponent(service)}&ticket=${ticket}`)).text();
    if (!validation.includes('authenticationSuccess')) throw new Error('CAS validation failed');
    return;
  }
  const request = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_${randomBytes(16).toString('hex')}" AssertionConsumerServiceURL="http://127.0.0.1:9/acs"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">urn:bench</saml:Issuer></samlp:AuthnRequest>`;
  const form = (await (await fetch(`${job.idp}/saml/sso?SAMLRequest=${encodeURIComponent(deflateRawSync(request).toString('base64'))}&RelayState=x`)).json()) as { SAMLResponse?: string };
  if (!form.SAMLResponse) throw new Error('no SAMLResponse');
}

function runClientChild(): void {
  process.on('message', (job: Job) => {
    void (async () => {
      const result: JobResult = { id: job.id, ok: 0, failures: 0, elapsedMs: 0 };
      const start = performance.now();
      const deadline = start + job.durationMs;
      await Promise.all(
        Array.from({ length: job.clients }, async () => {
          const jar = { binding: '' };
          while (performance.now() < deadline) {
            try {
              if (job.mode === 'gateway') await gatewayLogin(job, jar);
              else await directLogin(job);
              result.ok += 1;
            } catch (error) {
              result.failures += 1;
              result.firstFailure ??= error instanceof Error ? error.message : String(error);
            }
          }
        }),
      );
      result.elapsedMs = performance.now() - start;
      process.send?.(result);
    })();
  });
  process.on('disconnect', () => process.exit(0));
}

if (process.argv.includes('--sso-bench-idp')) runIdpChild();
else if (process.argv.includes('--sso-bench-client')) runClientChild();

// ---------------------------------------------------------------------------------------------
// Parent.

/** Cap of the adaptive warm-up (interleaveLogins: until CPU per login stops falling). */
const WARM_UP_MS = Number(process.env.JSG_BENCH_WARMUP_MS ?? 10000);

class Clients {
  /** Failed logins within what `tolerable` allows, for the note. */
  readonly failed: string[] = [];
  private readonly child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--sso-bench-client'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  private nextId = 1;

  async run(job: Omit<Job, 'id'>, serverCpu: () => Promise<number>): Promise<JobResult & { cpuMs: number }> {
    const id = this.nextId++;
    const before = await serverCpu();
    const result = await new Promise<JobResult>((resolve) => {
      const listener = (message: JobResult) => {
        if (message.id !== id) return;
        this.child.off('message', listener);
        resolve(message);
      };
      this.child.on('message', listener);
      this.child.send({ ...job, id });
    });
    if (!tolerable(result)) throw new Error(`${job.kind} ${job.mode}: ${result.ok} ok, ${result.failures} failed (first: ${result.firstFailure ?? '-'})`);
    if (result.failures > 0) this.failed.push(`${result.failures} of ${result.ok + result.failures} (${job.mode}; first: ${result.firstFailure ?? '-'})`);
    return { ...result, cpuMs: (await serverCpu()) - before };
  }

  close(): void {
    this.child.disconnect();
  }
}

async function roundTrip(options: BenchOptions, kind: Kind): Promise<BenchResult> {
  const clientsCount = 16;
  const redis = await startRedisServer();
  const idpChild = fork(fileURLToPath(import.meta.url), ['--sso-bench-idp'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const idp = await new Promise<string>((resolve, reject) => {
    idpChild.once('message', (message: { base: string }) => resolve(message.base));
    idpChild.once('exit', (code) => reject(new Error(`IdP exited (${code})`)));
  });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const sp = keyPair('bench-sp');
  const provider =
    kind === 'cas'
      ? { kind: 'cas', baseUrl: `${idp}/cas`, version: '3.0' }
      : { kind: 'saml', idp: { metadataUrl: `${idp}/saml/metadata` }, sp: { privateKey: sp.key, certificate: sp.cert } };
  const server = await ServerProcess.gateway(
    {
      publicUrl: url,
      server: { host: '127.0.0.1', port },
      log: { level: 'info' },
      store: { kind: 'redis', prefix: 'jsgbench:', redis: { url: redis.url } },
      targets: { meet: { url: 'https://meet.example.com', xmppDomain: 'meet.jitsi', appId: 'meet-gateway', audience: 'jitsi', algorithm: 'HS256', secret: SECRET, tenants: ['sales'] } },
      providers: { corp: provider },
    },
    port,
  );
  const clients = new Clients();
  const serverCpu = async () => (await server.usage()).cpuMs;
  try {
    // Gateway slices tile the gateway's CPU clock (measure.ts tiledCpu): GC it defers while the IdP's part runs alone is the login's.
    const gatewayCpu = tiledCpu(serverCpu);
    const job: RoundTripJob = (mode, ms) => clients.run({ kind, mode, gateway: url, idp, clients: clientsCount, durationMs: ms }, mode === 'gateway' ? gatewayCpu : serverCpu);
    const { result, cpuMsPerLogin, warmUp } = await interleaveLogins(job, WARM_UP_MS, options.httpRoundMs, options.rounds);
    const memory = await server.usage();
    const name = kind.toUpperCase();
    return {
      ...result,
      rows: [
        {
          path: `${name} login, logins/s ÷ IdP alone`,
          unit: 'logins/s',
          gateway: result.ops,
          floor: result.baselineOps,
          floorName: `the same clients doing the ${name} IdP's part alone (wall clock)`,
          ratios: result.samples?.ratios ?? [],
          target: 0.5,
          secondary: true,
        },
        {
          path: `${name} login, gateway CPU per login`,
          unit: 'ms',
          gateway: cpuMsPerLogin,
          floor: Number.NaN,
          ratios: [],
          secondary: true,
          note: `no floor: compare the OIDC whole login's CPU per login; peak RSS ${memory.maxRssMb.toFixed(0)} MB`,
        },
      ],
      note: `gateway process (the shipped CLI), Redis store; ${clientsCount} scripted clients, logins/s (wall clock) vs the IdP's part alone; gateway CPU ${cpuMsPerLogin.toFixed(3)} ms per ${kind.toUpperCase()} login (compare the OIDC whole login's); peak RSS ${memory.maxRssMb.toFixed(0)} MB; warm-up (CPU ms per login): ${warmUp}${clients.failed.length > 0 ? `; failed logins tolerated: ${clients.failed.join(', ')}` : ''}`,
    };
  } finally {
    clients.close();
    await server.close();
    idpChild.disconnect();
    redis.stop();
  }
}

const cases: BenchCase[] = [
  {
    name: 'CAS login round trip',
    description: 'scripted /login → CAS login → callback (ticket validated over HTTP) → join URL vs the CAS server alone (logins/s)',
    target: 0.5,
    secondary: true,
    run: (options) => roundTrip(options, 'cas'),
  },
  {
    name: 'SAML login round trip',
    description: 'scripted /login → AuthnRequest → signed Response → ACS POST → callback → join URL vs the IdP signing alone (logins/s)',
    target: 0.5,
    secondary: true,
    run: (options) => roundTrip(options, 'saml'),
  },
];

export default cases;
