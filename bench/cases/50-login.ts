import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SECRET } from '../lib/fixtures.js';
import { LoadGenerator } from '../lib/http.js';
import { interleave, interleaveLogins, type RoundTripJob, type Sample } from '../lib/measure.js';
import type { FloorSettings } from '../lib/floor-server.js';
import { freePort, ServerProcess } from '../lib/server-process.js';
import type { BenchCase, BenchOptions, BenchResult } from '../lib/types.js';
import { median } from '../lib/types.js';

/**
 * The OIDC login (issue 3) against a real OpenID provider (node-oidc-provider in a child process)
 * and a real redis-server (spawned here). The gateway runs as it ships, the compiled CLI
 * (`serve --config`) in a process of its own, so its CPU time and peak RSS are its own
 * (bench/lib/server-process.ts). Each case first runs WARM_UP_MS of load: the steady state of a
 * long-running gateway, not its JIT warm-up, is what is measured.
 *
 * - login start: GET /login with Jitsi's room and {state} (no session: a new transaction in Redis,
 *   PKCE, the binding cookie, 303 to the IdP) per CPU-second of the gateway process, against a
 *   bare Koa "hello" process in the same run; 64 keep-alive connections; p99 latency measured by
 *   the client. Target ≥ 0.5× with p99 < 5 ms.
 * - round trip: scripted clients (no browser; the IdP session exists, as for a person already
 *   signed in at the IdP) doing /login → IdP authorize → gateway callback (code exchange, ID token
 *   checks, session, policy, mint) → join URL, as logins/s against the provider-only ceiling: the
 *   same clients doing authorize + code exchange alone. Wall clock (four processes share the
 *   machine). Also the gateway process's CPU ms per completed login and its peak RSS.
 *   Targets ≥ 0.75×, ≤ 0.40 ms CPU per login, peak RSS < 120 MB.
 *
 * - floors: both cases again against a server doing only the protocol's work (bench/lib/floor-server.ts),
 *   once on node:http alone and once on Koa + openid-client, so that the report says how much of a
 *   figure is the gateway's and what no gateway on this machine and stack can go below.
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
      // The development adapter is an LRU: a grant can be evicted during a long run, so a missing
      // one is made again (otherwise the IdP would ask for consent).
      const found = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
      const grant = found ?? new oidc.provider.Grant({ clientId, accountId: oidc.session.accountId });
      if (!found) {
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
// Parent: the gateway under test, in a process of its own (bench/lib/server-process.ts).

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

  /** Runs a job; `cpuMs` is what `serverCpu` (the gateway process's CPU clock) advanced meanwhile. */
  async run(job: Omit<LoginJob, 'id'>, serverCpu: () => Promise<number>): Promise<JobResult & { cpuMs: number }> {
    const id = this.nextId++;
    const cpuStart = await serverCpu();
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
    return { ...result, cpuMs: (await serverCpu()) - cpuStart };
  }

  close(): void {
    this.child.disconnect();
  }
}

export async function startRedisServer(): Promise<{ url: string; stop(): void }> {
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

/** What a login case measures: the gateway as shipped, or one of its floors (bench/lib/floor-server.ts). */
type Subject = 'gateway' | FloorSettings['kind'];

interface Rig {
  /** The server under test, in a process of its own. */
  server: ServerProcess;
  url: string;
  issuer: string;
  driver: Driver;
  serverCpu(): Promise<number>;
  close(): Promise<void>;
}

/** redis-server, the IdP child, the server under test (by default the shipped CLI) and the login driver child. */
export async function rig(subject: Subject = 'gateway'): Promise<Rig> {
  const redis = await startRedisServer();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const idp = fork(fileURLToPath(import.meta.url), ['--login-bench-idp', `${url}/auth/corp/callback`], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const issuer = await new Promise<string>((resolve, reject) => {
    idp.once('message', (message: { issuer: string }) => resolve(message.issuer));
    idp.once('exit', (code) => reject(new Error(`IdP exited (${code})`)));
  });
  const server =
    subject === 'gateway'
      ? // Production-like: info logging (one audit line per token, to the process's stdout).
        await ServerProcess.gateway(
          {
            publicUrl: url,
            server: { host: '127.0.0.1', port },
            log: { level: 'info' },
            store: { kind: 'redis', prefix: 'jsgbench:', redis: { url: redis.url } },
            targets: {
              meet: { url: 'https://meet.example.com', xmppDomain: 'meet.jitsi', appId: 'meet-gateway', audience: 'jitsi', algorithm: 'HS256', secret: SECRET, tenants: ['sales'] },
            },
            providers: { corp: { kind: 'oidc', issuer, clientId: 'gateway', clientSecret: CLIENT_SECRET, scopes: ['openid', 'profile', 'email', 'groups'] } },
          },
          port,
        )
      : await ServerProcess.floor({ kind: subject, port, issuer, redisUrl: redis.url, clientId: 'gateway', clientSecret: CLIENT_SECRET, secret: SECRET });
  const driver = new Driver();
  return {
    server,
    url,
    issuer,
    driver,
    serverCpu: async () => (await server.usage()).cpuMs,
    async close() {
      driver.close();
      await server.close();
      idp.disconnect();
      redis.stop();
    },
  };
}

/** Warm-up before measuring, ms: a gateway runs for days, so the steady state (JIT done) is what counts. */
const WARM_UP_MS = Number(process.env.JSG_BENCH_WARMUP_MS ?? 6000);

const SUBJECT_NOTE: Record<Subject, string> = {
  gateway: 'gateway process (the shipped CLI)',
  raw: 'floor: only the protocol\'s work on node:http + ioredis + node:crypto (bench/lib/floor-server.ts)',
  stack: 'floor: only the protocol\'s work on Koa + @koa/router + openid-client + ioredis (bench/lib/floor-server.ts)',
};

async function loginStart(options: BenchOptions, subject: Subject): Promise<BenchResult> {
  const connections = 64;
  const setup = await rig(subject);
  const baseline = await ServerProcess.bareKoa();
  const baselineCpu = async () => (await baseline.usage()).cpuMs;
  const p99s: number[] = [];
  const load = new LoadGenerator();
  try {
    const measured = async (ms: number): Promise<Sample> => {
      const { p99Ms, ...sample } = await load.measure(
        `${setup.url}${LOGIN_PATH}`,
        connections,
        ms,
        { headers: { Accept: 'text/html' }, expectStatus: 303, latency: true },
        setup.serverCpu,
      );
      p99s.push(p99Ms ?? 0);
      return sample;
    };
    const bare = (ms: number): Promise<Sample> => load.measure(`${baseline.url}/`, connections, ms, {}, baselineCpu);
    await measured(WARM_UP_MS);
    await bare(WARM_UP_MS / 2);
    p99s.length = 0;
    const result = await interleave(measured, bare, { rounds: options.rounds, roundMs: options.httpRoundMs, sliceMs: 100, clock: options.clock });
    const memory = await setup.server.usage();
    return {
      ...result,
      note: `${SUBJECT_NOTE[subject]} vs a bare Koa process, Redis store, ${connections} keep-alive connections; client-measured p99 ${median(p99s).toFixed(2)} ms (median over slices; target < 5 ms); peak RSS ${memory.maxRssMb.toFixed(0)} MB (V8 heap now ${memory.heapTotalMb.toFixed(0)} MB)`,
    };
  } finally {
    load.close();
    await baseline.close();
    await setup.close();
  }
}

async function roundTrip(options: BenchOptions, subject: Subject): Promise<BenchResult> {
  const clientsCount = 16;
  const setup = await rig(subject);
  try {
    const job: RoundTripJob = (mode, ms) =>
      setup.driver.run({ kind: 'logins', mode, gateway: setup.url, issuer: setup.issuer, clients: clientsCount, durationMs: ms }, setup.serverCpu);
    const { result, cpuMsPerLogin } = await interleaveLogins(job, WARM_UP_MS, options.httpRoundMs, options.rounds);
    const memory = await setup.server.usage();
    return {
      ...result,
      note: `${SUBJECT_NOTE[subject]}; ${clientsCount} scripted clients with an IdP session, logins/s (wall clock); server CPU ${cpuMsPerLogin.toFixed(3)} ms per login (target ≤ 0.40 ms); peak RSS ${memory.maxRssMb.toFixed(0)} MB (target < 120 MB; V8 heap now ${memory.heapTotalMb.toFixed(0)} MB)`,
    };
  } finally {
    await setup.close();
  }
}

/** The floors, each measured like the gateway (bench/lib/floor-server.ts). */
const FLOORS: ReadonlyArray<{ kind: FloorSettings['kind']; name: string; on: string }> = [
  { kind: 'raw', name: 'node:http', on: 'node:http' },
  { kind: 'stack', name: 'Koa stack', on: 'Koa + openid-client' },
];

const cases: BenchCase[] = [
  {
    name: 'OIDC login start (Redis)',
    description: 'GET /login → 303 to the IdP (new transaction in Redis, PKCE, binding cookie) vs bare Koa "hello", per CPU-second',
    target: 0.5,
    run: (options) => loginStart(options, 'gateway'),
  },
  ...FLOORS.map(
    (floor): BenchCase => ({
      name: `floor: login start, ${floor.name}`,
      description: `the same login start with only the protocol's work on ${floor.on} (not the gateway) vs bare Koa "hello", per CPU-second`,
      target: 0.5,
      run: (options) => loginStart(options, floor.kind),
    }),
  ),
  {
    name: 'OIDC login round trip',
    description: 'scripted /login → IdP → callback → join URL vs the same clients doing authorize + code exchange alone (logins/s)',
    target: 0.75,
    run: (options) => roundTrip(options, 'gateway'),
  },
  ...FLOORS.map(
    (floor): BenchCase => ({
      name: `floor: round trip, ${floor.name}`,
      description: `the same round trip through a server doing only the protocol's work on ${floor.on} (not the gateway) vs authorize + code exchange alone`,
      target: 0.75,
      run: (options) => roundTrip(options, floor.kind),
    }),
  ),
];

export default cases;
