import { LoadGenerator } from '../lib/http.js';
import { LOGIN_PATH, loginRig, redisPerLogin, type LoginRig, type Subject } from '../lib/login-rig.js';
import { cpuPerOp, interleaveSides, p99, perRound, rateOf, sliceP99, tiledCpu, warmUpNote, warmUpSides, type Sample, type Slice } from '../lib/measure.js';
import type { BenchCase, BenchOptions, BenchResult, BenchRow } from '../lib/types.js';
import { median } from '../lib/types.js';

/**
 * The OIDC login (issue 15's first rows) against a real OpenID provider and a real redis-server
 * per server (bench/lib/login-rig.ts). Four servers run side by side, each in a process of its
 * own, measured in the same rounds, interleaved slice by slice:
 *
 * - the gateway as it ships (the compiled CLI, `serve --config`);
 * - its node:http floor (bench/lib/floor-server.ts `raw`): the same login, only the protocol's
 *   work (the same random values, Redis commands, cookies and redirects) written on node:http;
 * - the control: a second gateway process, same build, same configuration. Its ratio to the first
 *   is the noise of two identical processes in this run; a gateway ÷ floor ratio inside the
 *   control's spread of 1 says nothing;
 * - the Koa-stack floor (`stack`): the same work on Koa + openid-client, for secondary rows that
 *   show the framework's and the library's share.
 *
 * Cases:
 * - login start: GET /login with Jitsi's room and {state} (a new transaction in Redis, PKCE, the
 *   binding cookie, 303 to the IdP), 64 keep-alive connections from the load generator child:
 *   requests per CPU-second of each server process (--wall: per second) and the client-measured
 *   p99 of each round; RSS idle (after start) and peak (getrusage) under that load.
 * - whole login: scripted clients (an IdP session exists, as for a person already signed in at the
 *   IdP) doing /login → IdP authorize → callback (code exchange, ID token checks, session, policy,
 *   mint) → join URL: server CPU per completed login; then, one client alone for a while, the Redis
 *   commands per login (INFO commandstats) and round trips (read events Redis processed) of each
 *   server's own redis-server; logins/s against the provider's part alone (the same clients doing
 *   authorize + code exchange; wall clock), secondary.
 *
 * Each slice charges a server the CPU it used since its previous slice ended (measure.ts
 * tiledCpu), so GC work a process defers while the others run is its own.
 *
 * Warm-up (a gateway runs for days: the steady state is what counts): slices of each server until
 * two consecutive slices' CPU per request (per login) differ by less than 3%, at most
 * JSG_BENCH_WARMUP_MS per server (default 30 s, login start 12 s); the note says where each stopped.
 */

const CONNECTIONS = 64;
const CLIENTS = 16;
const MAX_WARM_UP_MS = Number(process.env.JSG_BENCH_WARMUP_MS ?? 0);

const SUBJECTS = [
  { name: 'gateway', kind: 'gateway' },
  { name: 'node:http floor', kind: 'raw' },
  { name: 'gateway (control)', kind: 'gateway' },
  { name: 'Koa-stack floor', kind: 'stack' },
] as const;

/** Runs `measure` with the four servers up, then stops them. */
async function withRig<T>(measure: (rig: LoginRig, gateway: Subject, floor: Subject, control: Subject, stack: Subject) => Promise<T>): Promise<T> {
  const rig = await loginRig(SUBJECTS);
  try {
    const [gateway, floor, control, stack] = rig.subjects as [Subject, Subject, Subject, Subject];
    return await measure(rig, gateway, floor, control, stack);
  } finally {
    await rig.close();
  }
}

/** A row comparing gateway and floor (and control ÷ gateway) on a per-round figure. */
function row(path: string, unit: string, sides: { gateway: Sample[]; floor: Sample[]; control: Sample[] }, figure: (sample: Sample) => number, extra: Partial<BenchRow>): BenchRow {
  const real = perRound(sides.gateway, sides.floor, figure);
  return {
    path,
    unit,
    gateway: median(real.a),
    floor: median(real.b),
    floorName: 'node:http floor',
    ratios: real.ratios,
    control: perRound(sides.control, sides.gateway, figure).ratios,
    ...extra,
  };
}

const KOA_STACK = "the same login on Koa + @koa/router + openid-client + ioredis (bench/lib/floor-server.ts 'stack'): how much is the framework's and the library's";

const warmUpCap = (fallbackMs: number, sliceMs: number) => Math.max(3, Math.round((MAX_WARM_UP_MS || fallbackMs) / sliceMs));

async function loginStart(options: BenchOptions): Promise<BenchResult> {
  return withRig(async (_rig, gateway, floor, control, stack) => {
    const load = new LoadGenerator();
    try {
      const subjects = [gateway, floor, control, stack];
      const slice = (subject: Subject): Slice => {
        const cpu = tiledCpu(subject.cpu);
        return (ms) => load.measure(`${subject.url}${LOGIN_PATH}`, CONNECTIONS, ms, { headers: { Accept: 'text/html' }, expectStatus: 303, latency: true }, cpu);
      };
      const sides = subjects.map(slice);
      const warmed = await warmUpSides(sides, cpuPerOp, { sliceMs: 1000, maxSlices: warmUpCap(12_000, 1000) });
      const peaks: number[][] = subjects.map(() => []);
      const [a = [], f = [], b = [], k = []] = await interleaveSides(sides, {
        rounds: options.rounds,
        roundMs: options.httpRoundMs,
        sliceMs: 100,
        afterRound: async () => {
          for (const [index, subject] of subjects.entries()) peaks[index]?.push((await subject.server.usage()).maxRssMb);
        },
      });
      const measured = { gateway: a, floor: f, control: b };
      const peakRatios = (x: number, y: number) => (peaks[x] ?? []).map((value, round) => value / (peaks[y]?.[round] ?? Number.NaN));
      const rate = rateOf(options.clock);
      const rows: BenchRow[] = [
        row('GET /login start req/s ÷ node:http floor', options.clock === 'cpu' ? 'req/CPU-s' : 'req/s', measured, rate, { target: 0.8 }),
        row(`GET /login start p99 (${CONNECTIONS} conn.) ÷ node:http floor`, 'ms', measured, sliceP99, {
          target: 1.2,
          better: 'lower',
          note: `client-measured p99 of each 100 ms slice, median over a round's slices; pooled over whole rounds (one descheduled slice decides it on a loaded machine): gateway ${median(a.map(p99)).toFixed(1)} ms, floor ${median(f.map(p99)).toFixed(1)} ms, control ${median(b.map(p99)).toFixed(1)} ms`,
        }),
        {
          path: 'RSS idle ÷ node:http floor',
          unit: 'MB',
          gateway: gateway.idle.rssMb,
          floor: floor.idle.rssMb,
          floorName: 'node:http floor',
          ratios: [gateway.idle.rssMb / floor.idle.rssMb],
          control: [control.idle.rssMb / gateway.idle.rssMb],
          note: 'one reading per process just after it answered /readyz (no spread)',
        },
        {
          path: 'RSS peak, login start load ÷ node:http floor',
          unit: 'MB',
          gateway: peaks[0]?.at(-1) ?? Number.NaN,
          floor: peaks[1]?.at(-1) ?? Number.NaN,
          floorName: 'node:http floor',
          ratios: peakRatios(0, 1),
          control: peakRatios(2, 0),
          target: 1.2,
          better: 'lower',
          note: 'peak RSS (getrusage) after warm-up and the rounds; spread: the peak so far after each round',
        },
        {
          ...row('GET /login start req/s ÷ Koa-stack floor', options.clock === 'cpu' ? 'req/CPU-s' : 'req/s', { ...measured, floor: k }, rate, { secondary: true, note: KOA_STACK }),
          floorName: 'Koa-stack floor',
        },
      ];
      return {
        ops: rows[0]?.gateway ?? Number.NaN,
        baselineOps: rows[0]?.floor ?? Number.NaN,
        ratio: median(rows[0]?.ratios ?? []),
        rows,
        note: `${CONNECTIONS} keep-alive connections, ${options.httpRoundMs} ms per server per round in 100 ms slices; warm-up (server CPU µs per request): ${warmUpNote(
          subjects.map((subject) => subject.name),
          warmed,
          (value) => (value * 1000).toFixed(1),
        )}; p99 is wall-clock latency seen by the client: on a loaded machine it measures the scheduler as much as the server`,
      };
    } finally {
      load.close();
    }
  });
}

async function wholeLogin(options: BenchOptions): Promise<BenchResult> {
  return withRig(async (rig, gateway, floor, control, stack) => {
    const subjects = [gateway, floor, control, stack];
    const slice = (subject: Subject): Slice => {
      const cpu = tiledCpu(subject.cpu);
      return async (ms) => {
        const result = await rig.driver.run({ kind: 'logins', mode: 'gateway', gateway: subject.url, issuer: rig.issuer, clients: CLIENTS, durationMs: ms }, cpu);
        return { ops: result.ok, wallMs: result.elapsedMs, cpuMs: result.cpuMs };
      };
    };
    const direct: Slice = async (ms) => {
      const result = await rig.driver.run({ kind: 'logins', mode: 'direct', gateway: '', issuer: rig.issuer, clients: CLIENTS, durationMs: ms }, async () => 0);
      return { ops: result.ok, wallMs: result.elapsedMs, cpuMs: 0 };
    };
    await direct(1000);
    const sides = subjects.map(slice);
    const warmed = await warmUpSides(sides, cpuPerOp, { sliceMs: 2000, maxSlices: warmUpCap(30_000, 2000) });
    const [a = [], f = [], b = [], k = [], d = []] = await interleaveSides([...sides, direct], { rounds: options.rounds, roundMs: Math.max(options.httpRoundMs, 1000), sliceMs: 500 });
    const measured = { gateway: a, floor: f, control: b };
    const counted = [];
    for (const subject of [gateway, floor, control]) counted.push(await redisPerLogin(rig, subject, 1500));
    const [ca, cf, cb] = counted as [Awaited<ReturnType<typeof redisPerLogin>>, Awaited<ReturnType<typeof redisPerLogin>>, Awaited<ReturnType<typeof redisPerLogin>>];
    const memory = await Promise.all([gateway, floor, control].map(async (subject) => (await subject.server.usage()).maxRssMb));
    const [ma = Number.NaN, mf = Number.NaN, mb = Number.NaN] = memory;
    const wall = rateOf('wall');
    const breakdown = (counts: typeof ca) =>
      Object.entries(counts.byCommand)
        .map(([name, calls]) => `${name} ${calls.toFixed(2)}`)
        .join(', ');
    const rows: BenchRow[] = [
      row('OIDC login CPU per login ÷ node:http floor', 'ms', measured, cpuPerOp, { target: 1.5, better: 'lower', note: `server process CPU per completed login, ${CLIENTS} scripted clients` }),
      {
        path: 'Redis commands per login',
        unit: 'commands',
        gateway: ca.commands,
        floor: cf.commands,
        floorName: 'node:http floor',
        ratios: [ca.commands / cf.commands],
        control: [cb.commands / ca.commands],
        target: 4,
        better: 'lower',
        targetOn: 'gateway',
        note: `INFO commandstats deltas on each server's own redis-server over ${ca.logins} (gateway) and ${cf.logins} (floor) sequential logins of one client; gateway: ${breakdown(ca)}; floor: ${breakdown(cf)}`,
      },
      {
        path: 'Redis round trips per login',
        unit: 'trips',
        gateway: ca.roundTrips,
        floor: cf.roundTrips,
        floorName: 'node:http floor',
        ratios: [ca.roundTrips / cf.roundTrips],
        control: [cb.roundTrips / ca.roundTrips],
        note: "read events Redis processed (INFO stats total_reads_processed) per login, same logins: one client, so a pipeline sent at once counts once; the issue's target: no sequential round trip a pipeline or script could merge",
      },
      {
        ...row('OIDC login logins/s ÷ provider only', 'logins/s', { gateway: a, floor: d, control: b }, wall, { secondary: true, note: 'wall clock; provider only: the same clients doing authorize + code exchange alone' }),
        floorName: 'provider only',
      },
      {
        ...row('OIDC login CPU per login ÷ Koa-stack floor', 'ms', { ...measured, floor: k }, cpuPerOp, { better: 'lower', secondary: true, note: KOA_STACK }),
        floorName: 'Koa-stack floor',
      },
      {
        path: 'RSS peak, whole-login load ÷ node:http floor',
        unit: 'MB',
        gateway: ma,
        floor: mf,
        floorName: 'node:http floor',
        ratios: [ma / mf],
        control: [mb / ma],
        target: 1.2,
        better: 'lower',
        secondary: true,
      },
    ];
    return {
      ops: rows[0]?.gateway ?? Number.NaN,
      baselineOps: rows[0]?.floor ?? Number.NaN,
      ratio: median(rows[0]?.ratios ?? []),
      rows,
      note: `${rig.driver.failed.length > 0 ? `failed logins tolerated (1 in 50 at most per slice): ${rig.driver.failed.join(', ')}; ` : ''}${CLIENTS} scripted clients with an IdP session, ${Math.max(options.httpRoundMs, 1000)} ms per side per round in 500 ms slices; warm-up (CPU ms per login): ${warmUpNote(
        subjects.map((subject) => subject.name),
        warmed,
        (value) => value.toFixed(3),
      )}`,
    };
  });
}

const cases: BenchCase[] = [
  {
    name: 'OIDC login start',
    description: 'GET /login → 303 to the IdP (transaction in Redis, PKCE, binding cookie): gateway vs its node:http floor vs a second gateway (control), interleaved',
    target: 0.8,
    run: loginStart,
  },
  {
    name: 'OIDC whole login',
    description: 'scripted /login → IdP → callback → join URL: CPU per login, Redis commands and round trips per login, gateway vs its node:http floor vs a control gateway',
    target: 1.5,
    better: 'lower',
    run: wholeLogin,
  },
];

export default cases;
