import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import { parseConfig } from '../../src/config/load.js';
import { createGateway } from '../../src/gateway.js';
import { listen, type RunningServer } from '../../src/http/server.js';
import { createLogger } from '../../src/observability/logger.js';
import { SECRET } from '../lib/fixtures.js';
import { LoadGenerator, serve } from '../lib/http.js';
import { cpuMs, interleave, type Sample } from '../lib/measure.js';
import type { BenchCase, BenchOptions, BenchResult } from '../lib/types.js';
import { median } from '../lib/types.js';

/**
 * The OIDC login (issue 3) against a real OpenID provider (node-oidc-provider in a child process)
 * and a real redis-server (spawned here), the gateway in this process:
 *
 * - login start: GET /login with Jitsi's room and {state} (no session: a new transaction in Redis,
 *   PKCE, the binding cookie, 303 to the IdP) per CPU-second of this process, against a bare Koa
 *   "hello" in the same run; 64 keep-alive connections; p99 latency measured by the client.
 *   Target ≥ 0.5× with p99 < 5 ms.
 * - round trip: scripted clients (no browser; the IdP session exists, as for a person already
 *   signed in at the IdP) doing /login → IdP authorize → gateway callback (code exchange, ID token
 *   checks, session, policy, mint) → join URL, as logins/s against the provider-only ceiling: the
 *   same clients doing authorize + code exchange alone. Wall clock (three processes share the
 *   machine). Also the gateway's own CPU ms per completed login and the peak RSS of this process.
 *   Targets ≥ 0.75×, ≤ 0.40 ms CPU per login, peak RSS < 120 MB.
 *
 * Children: this same file forked with --login-bench-idp (the provider) or --login-bench-client
 * (the scripted logins), and the shared load generator (bench/lib/loadgen.ts) for login start, so
 * none of them costs the gateway's CPU.
 */

const CLIENT_SECRET = 'bench-client-secret-0123456789abcdef';
const DIRECT_REDIRECT = 'http://127.0.0.1:9/cb';
const ROOM = 'Weekly Standup';
const STATE = encodeURIComponent(JSON.stringify({ room: ROOM, roomSafe: 'weekly%20standup', tenant: 'sales', 'config.startWithAudioMuted': true }));
const LOGIN_PATH = `/login?room=${encodeURIComponent(ROOM)}&state=${STATE}`;

// ---------------------------------------------------------------------------------------------
// Child: the OpenID provider.

interface GrantInstance {
  jti: string;
  addOIDCScope(scope: string): void;
  save(): Promise<string>;
}
interface GrantClass {
  new (init: { clientId: string; accountId: string }): GrantInstance;
  find(id: string): Promise<GrantInstance | undefined>;
}
interface GrantContext {
  oidc: {
    client: { clientId: string };
    session: { accountId: string; grantIdFor(clientId: string, grantId?: string): string | undefined };
    result?: { consent?: { grantId?: string } };
    params: { scope?: unknown };
    provider: { Grant: GrantClass };
  };
}
interface ProviderLike {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  interactionFinished(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>, options: Record<string, unknown>): Promise<void>;
}
type ProviderConstructor = new (issuer: string, configuration: Record<string, unknown>) => ProviderLike;

async function runIdpChild(): Promise<void> {
  const redirect = process.argv[process.argv.indexOf('--login-bench-idp') + 1] ?? '';
  // A variable specifier: oidc-provider is a devDependency without type declarations.
  const specifier = 'oidc-provider';
  const { default: Provider } = (await import(specifier)) as { default: ProviderConstructor };
  const server = createHttpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const issuer = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk: JsonWebKey = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'RS256', use: 'sig' };
  const provider = new Provider(issuer, {
    clients: [
      { client_id: 'gateway', client_secret: CLIENT_SECRET, redirect_uris: [redirect] },
      { client_id: 'direct', client_secret: CLIENT_SECRET, redirect_uris: [DIRECT_REDIRECT] },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: ['bench-cookie-key-0123456789abcdef'] },
    pkce: { required: () => true },
    conformIdTokenClaims: false,
    claims: { openid: ['sub'], profile: ['name'], email: ['email'], groups: ['groups'] },
    scopes: ['openid', 'profile', 'email', 'groups'],
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 86400, Grant: 86400 },
    features: { devInteractions: { enabled: false } },
    async findAccount(_ctx: unknown, sub: string) {
      return { accountId: sub, claims: async () => ({ sub, name: 'Ada Lovelace', email: 'ada@example.com', groups: ['staff'] }) };
    },
    async loadExistingGrant(ctx: GrantContext) {
      const { oidc } = ctx;
      const clientId = oidc.client.clientId;
      const grantId = oidc.result?.consent?.grantId ?? oidc.session.grantIdFor(clientId);
      const grant = (grantId ? await oidc.provider.Grant.find(grantId) : undefined) ?? new oidc.provider.Grant({ clientId, accountId: oidc.session.accountId });
      if (!grantId) {
        grant.addOIDCScope('openid profile email groups');
        await grant.save();
        oidc.session.grantIdFor(clientId, grant.jti);
      }
      return grant;
    },
  });
  const callback = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'POST' && /^\/interaction\/[A-Za-z0-9_-]+\/login$/.test(req.url ?? '')) {
      req.resume();
      req.on('end', () => {
        provider.interactionFinished(req, res, { login: { accountId: 'ada' } }, { mergeWithLastSubmission: false }).catch(() => {
          res.statusCode = 400;
          res.end();
        });
      });
      return;
    }
    callback(req, res);
  });
  process.send?.({ issuer });
  process.on('disconnect', () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------
// Child: load generation.

interface LoginJob {
  kind: 'logins';
  id: number;
  mode: 'gateway' | 'direct';
  gateway: string;
  issuer: string;
  clients: number;
  durationMs: number;
}
interface JobResult {
  id: number;
  ok: number;
  failures: number;
  elapsedMs: number;
  firstFailure?: string;
}

/** One scripted person: an IdP session (cookies) kept across logins, no gateway session. */
class VirtualClient {
  private readonly idpCookies = new Map<string, string>();
  private binding = '';
  private ready = false;

  constructor(private readonly issuer: string) {}

  private remember(jar: Map<string, string>, response: Response): void {
    for (const cookie of response.headers.getSetCookie()) {
      const pair = cookie.split(';')[0] ?? '';
      const eq = pair.indexOf('=');
      if (eq > 0) jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }

  private cookieHeader(jar: Map<string, string>): string {
    return [...jar.entries()].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private async idpGet(url: string): Promise<string> {
    const response = await fetch(url, { redirect: 'manual', headers: { cookie: this.cookieHeader(this.idpCookies) } });
    this.remember(this.idpCookies, response);
    await response.arrayBuffer();
    return new URL(response.headers.get('location') ?? '', url).href;
  }

  private authorizeUrl(clientId: string, redirectUri: string, challenge: string): string {
    const query = new URLSearchParams({
      client_id: clientId,
      response_type: 'code',
      scope: 'openid profile email groups',
      redirect_uri: redirectUri,
      state: randomBytes(16).toString('base64url'),
      nonce: randomBytes(16).toString('base64url'),
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    return `${this.issuer}/auth?${query.toString()}`;
  }

  /** Signs in at the IdP once (login form), so later logins are single sign-on. */
  async prepare(): Promise<void> {
    if (this.ready) return;
    const verifier = randomBytes(32).toString('base64url');
    const interaction = await this.idpGet(this.authorizeUrl('direct', DIRECT_REDIRECT, createHash('sha256').update(verifier).digest('base64url')));
    const posted = await fetch(`${interaction}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: this.cookieHeader(this.idpCookies), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'login=ada&password=x',
    });
    this.remember(this.idpCookies, posted);
    await posted.arrayBuffer();
    const resumed = await this.idpGet(new URL(posted.headers.get('location') ?? '', interaction).href);
    if (!resumed.startsWith(DIRECT_REDIRECT)) throw new Error(`IdP sign-in did not finish: ${resumed.slice(0, 120)}`);
    this.ready = true;
  }

  async directLogin(): Promise<void> {
    const verifier = randomBytes(32).toString('base64url');
    const back = await this.idpGet(this.authorizeUrl('direct', DIRECT_REDIRECT, createHash('sha256').update(verifier).digest('base64url')));
    const code = new URL(back).searchParams.get('code');
    if (!code) throw new Error(`no code: ${back.slice(0, 120)}`);
    const token = await fetch(`${this.issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`direct:${CLIENT_SECRET}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: DIRECT_REDIRECT, code_verifier: verifier }).toString(),
    });
    const body = (await token.json()) as { id_token?: string };
    if (token.status !== 200 || !body.id_token) throw new Error(`token endpoint answered ${token.status}`);
  }

  async gatewayLogin(gateway: string): Promise<void> {
    const start = await fetch(`${gateway}${LOGIN_PATH}`, { redirect: 'manual', headers: this.binding ? { cookie: this.binding } : {} });
    await start.arrayBuffer();
    const binding = start.headers.getSetCookie().find((cookie) => cookie.startsWith('jsg_session_login='));
    if (binding) this.binding = binding.split(';')[0] ?? '';
    const authorize = start.headers.get('location');
    if (start.status !== 303 || !authorize) throw new Error(`/login answered ${start.status}`);
    const callback = await this.idpGet(authorize);
    if (!callback.startsWith(gateway)) throw new Error(`IdP did not send back to the gateway: ${callback.slice(0, 120)}`);
    const finish = await fetch(callback, { redirect: 'manual', headers: { cookie: this.binding } });
    await finish.arrayBuffer();
    if (finish.status !== 303 || !finish.headers.get('location')?.includes('#jwt=')) throw new Error(`callback answered ${finish.status}`);
  }
}

const clients: VirtualClient[] = [];

async function runLoginJob(job: LoginJob): Promise<JobResult> {
  while (clients.length < job.clients) clients.push(new VirtualClient(job.issuer));
  const active = clients.slice(0, job.clients);
  await Promise.all(active.map((client) => client.prepare()));
  const result: JobResult = { id: job.id, ok: 0, failures: 0, elapsedMs: 0 };
  const start = performance.now();
  const deadline = start + job.durationMs;
  await Promise.all(
    active.map(async (client) => {
      while (performance.now() < deadline) {
        try {
          if (job.mode === 'gateway') await client.gatewayLogin(job.gateway);
          else await client.directLogin();
          result.ok += 1;
        } catch (error) {
          result.failures += 1;
          result.firstFailure ??= error instanceof Error ? error.message : String(error);
        }
      }
    }),
  );
  result.elapsedMs = performance.now() - start;
  return result;
}

function runClientChild(): void {
  process.on('message', (job: LoginJob) => {
    runLoginJob(job).then(
      (result) => process.send?.(result),
      (error: unknown) => process.send?.({ id: job.id, ok: 0, failures: 1, elapsedMs: 0, firstFailure: String(error) } satisfies JobResult),
    );
  });
  process.on('disconnect', () => process.exit(0));
}

if (process.argv.includes('--login-bench-idp')) void runIdpChild();
else if (process.argv.includes('--login-bench-client')) runClientChild();

// ---------------------------------------------------------------------------------------------
// Parent: the gateway under test.

class Driver {
  private readonly child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--login-bench-client'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  private nextId = 1;
  private readonly waiting = new Map<number, (result: JobResult) => void>();

  constructor() {
    this.child.on('message', (message: JobResult) => {
      this.waiting.get(message.id)?.(message);
      this.waiting.delete(message.id);
    });
  }

  async run(job: Omit<LoginJob, 'id'>): Promise<JobResult & { cpuMs: number }> {
    const id = this.nextId++;
    const cpuStart = cpuMs();
    const result = await new Promise<JobResult>((resolve, reject) => {
      const exited = (code: number | null) => reject(new Error(`load generator exited (${code})`));
      this.child.once('exit', exited);
      this.waiting.set(id, (message) => {
        this.child.off('exit', exited);
        resolve(message);
      });
      this.child.send({ ...job, id });
    });
    if (result.failures > 0 || result.ok === 0) throw new Error(`${job.kind} job: ${result.ok} ok, ${result.failures} failed (first: ${result.firstFailure ?? '-'})`);
    return { ...result, cpuMs: cpuMs() - cpuStart };
  }

  close(): void {
    this.child.disconnect();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function startRedisServer(): Promise<{ url: string; stop(): void }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const spawned = new Promise<never>((_, reject) => child.once('error', () => reject(new Error('redis-server not found: apt-get install -y redis-server'))));
  const up = (async () => {
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const ok = await new Promise<boolean>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port }, () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      if (ok) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('redis-server did not start');
  })();
  await Promise.race([up, spawned]);
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') };
}

interface Rig {
  gateway: RunningServer;
  gatewayUrl: string;
  issuer: string;
  driver: Driver;
  close(): Promise<void>;
}

async function rig(): Promise<Rig> {
  const redis = await startRedisServer();
  const port = await freePort();
  const gatewayUrl = `http://127.0.0.1:${port}`;
  const idp = fork(fileURLToPath(import.meta.url), ['--login-bench-idp', `${gatewayUrl}/auth/corp/callback`], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const issuer = await new Promise<string>((resolve, reject) => {
    idp.once('message', (message: { issuer: string }) => resolve(message.issuer));
    idp.once('exit', (code) => reject(new Error(`IdP exited (${code})`)));
  });
  const loaded = parseConfig(
    {
      publicUrl: gatewayUrl,
      log: { level: 'info' },
      store: { kind: 'redis', prefix: 'jsgbench:', redis: { url: redis.url } },
      targets: {
        meet: { url: 'https://meet.example.com', xmppDomain: 'meet.jitsi', appId: 'meet-gateway', audience: 'jitsi', algorithm: 'HS256', secret: SECRET, tenants: ['sales'] },
      },
      providers: { corp: { kind: 'oidc', issuer, clientId: 'gateway', clientSecret: CLIENT_SECRET, scopes: ['openid', 'profile', 'email', 'groups'] } },
    },
    'bench',
  );
  const gateway = await listen(await createGateway(loaded, { logger: createLogger('info', { write() {} }) }), port, '127.0.0.1');
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const ready = await fetch(`${gatewayUrl}/readyz`);
    await ready.arrayBuffer();
    if (ready.status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const driver = new Driver();
  return {
    gateway,
    gatewayUrl,
    issuer,
    driver,
    async close() {
      driver.close();
      gateway.server.closeAllConnections();
      await gateway.shutdown('bench done');
      idp.disconnect();
      redis.stop();
    },
  };
}

/** Samples this process's RSS while a case runs. */
function rssWatch(): { stop(): { peakMb: number; maxRssMb: number } } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      return { peakMb: Math.max(peak, process.memoryUsage.rss()) / 2 ** 20, maxRssMb: process.resourceUsage().maxRSS / 1024 };
    },
  };
}

async function loginStart(options: BenchOptions): Promise<BenchResult> {
  const connections = 64;
  const setup = await rig();
  const hello = new Koa();
  hello.use((ctx) => {
    ctx.body = 'hello';
  });
  const baseline = await serve(hello);
  const p99s: number[] = [];
  const memory = rssWatch();
  const load = new LoadGenerator();
  try {
    const subject = async (ms: number): Promise<Sample> => {
      const { p99Ms, ...sample } = await load.measure(`${setup.gatewayUrl}${LOGIN_PATH}`, connections, ms, { headers: { Accept: 'text/html' }, expectStatus: 303, latency: true });
      p99s.push(p99Ms ?? 0);
      return sample;
    };
    const bare = (ms: number): Promise<Sample> => load.measure(`${baseline.url}/`, connections, ms);
    await subject(400);
    await bare(300);
    p99s.length = 0;
    const result = await interleave(subject, bare, { rounds: options.rounds, roundMs: options.httpRoundMs, sliceMs: 100, clock: options.clock });
    const rss = memory.stop();
    return {
      ...result,
      note: `Redis store, ${connections} keep-alive connections; client-measured p99 ${median(p99s).toFixed(2)} ms (median over slices; target < 5 ms); peak RSS ${rss.peakMb.toFixed(0)} MB`,
    };
  } finally {
    load.close();
    memory.stop();
    await baseline.close();
    await setup.close();
  }
}

async function roundTrip(options: BenchOptions): Promise<BenchResult> {
  const clientsCount = 16;
  const setup = await rig();
  const memory = rssWatch();
  let gatewayCpu = 0;
  let gatewayLogins = 0;
  try {
    const job = (mode: 'gateway' | 'direct', ms: number) => setup.driver.run({ kind: 'logins', mode, gateway: setup.gatewayUrl, issuer: setup.issuer, clients: clientsCount, durationMs: ms });
    const subject = async (ms: number): Promise<Sample> => {
      const result = await job('gateway', ms);
      gatewayCpu += result.cpuMs;
      gatewayLogins += result.ok;
      return { ops: result.ok, wallMs: result.elapsedMs, cpuMs: result.cpuMs };
    };
    const direct = async (ms: number): Promise<Sample> => {
      const result = await job('direct', ms);
      return { ops: result.ok, wallMs: result.elapsedMs, cpuMs: result.cpuMs };
    };
    await direct(500);
    await subject(800);
    gatewayCpu = 0;
    gatewayLogins = 0;
    const result = await interleave(subject, direct, { rounds: options.rounds, roundMs: Math.max(options.httpRoundMs, 1000), sliceMs: 250, clock: 'wall' });
    const rss = memory.stop();
    const perLogin = gatewayCpu / gatewayLogins;
    return {
      ...result,
      note: `${clientsCount} scripted clients with an IdP session, logins/s (wall clock); gateway CPU ${perLogin.toFixed(3)} ms per login (target ≤ 0.40 ms); peak RSS ${rss.peakMb.toFixed(0)} MB (process max ${rss.maxRssMb.toFixed(0)} MB; target < 120 MB)`,
    };
  } finally {
    memory.stop();
    await setup.close();
  }
}

const cases: BenchCase[] = [
  {
    name: 'OIDC login start (Redis)',
    description: 'GET /login → 303 to the IdP (new transaction in Redis, PKCE, binding cookie) vs bare Koa "hello", per CPU-second',
    target: 0.5,
    run: loginStart,
  },
  {
    name: 'OIDC login round trip',
    description: 'scripted /login → IdP → callback → join URL vs the same clients doing authorize + code exchange alone (logins/s)',
    target: 0.75,
    run: roundTrip,
  },
];

export default cases;
