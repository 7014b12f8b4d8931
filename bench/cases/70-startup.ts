import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { fileURLToPath } from 'node:url';
import { gatewayConfig, oidcProvider, startIdp, startRedisServer } from '../lib/login-rig.js';
import { interleaveSides, perRound, type Sample, type Slice } from '../lib/measure.js';
import { freePort, nodeFlags, writeConfig } from '../lib/server-process.js';
import type { BenchCase, BenchOptions, BenchResult, BenchRow } from '../lib/types.js';
import { median } from '../lib/types.js';

/**
 * Start-up: spawn → first ready answer. The compiled CLI (`node dist/src/cli/main.js serve
 * --config <file>`, the configuration of the login cases: Redis store, one OIDC provider whose
 * IdP runs) is spawned and /readyz polled every 5 ms until it answers 200; against a bare Koa
 * script (bench/lib/bare-koa.ts) spawned the same way and polled on / until 200. One round spawns
 * the gateway, bare Koa and the gateway again (the control; order rotated from round to round),
 * each process killed before the next starts. Wall clock: what a rollout waits for.
 */

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const BARE_KOA = fileURLToPath(new URL('../lib/bare-koa.js', import.meta.url));

/** Resolves true once GET url answers 200. */
function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = get(url, { agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode === 200));
    });
    request.on('error', () => resolve(false));
  });
}

/** User + system CPU ms a live process has used (/proc/<pid>/stat, clock ticks of 10 ms); NaN where there is no /proc. */
function processCpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** Spawns `args`, polls `url` until 200; the ms from spawn to that answer (wallMs) and the CPU the process used until then (cpuMs). */
async function spawnToReady(args: string[], url: string): Promise<Sample> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let exited = false;
  const gone = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  try {
    while (!(await answers(url))) {
      if (exited || performance.now() - started > 30_000) throw new Error(`${args.join(' ')} did not answer 200 at ${url}: ${stderr.slice(0, 400)}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return { ops: 1, wallMs: performance.now() - started, cpuMs: processCpuMs(child.pid) };
  } finally {
    child.kill('SIGKILL');
    await gone;
  }
}

async function startup(options: BenchOptions): Promise<BenchResult> {
  const ports = [await freePort(), await freePort(), await freePort()] as const;
  const urls = ports.map((port) => `http://127.0.0.1:${port}`);
  const redis = await startRedisServer();
  const idp = await startIdp(urls);
  const configs = [0, 2].map((index) => writeConfig(gatewayConfig(urls[index] as string, ports[index] as number, redis.url, oidcProvider(idp.issuer))));
  try {
    const gatewaySide =
      (config: { file: string }, url: string): Slice =>
      () =>
        spawnToReady([...nodeFlags('gateway'), MAIN, 'serve', '--config', config.file], `${url}/readyz`);
    const bareSide: Slice = () => spawnToReady([...nodeFlags('floor'), BARE_KOA, String(ports[1])], `${urls[1]}/`);
    const [gateway = [], bare = [], control = []] = await interleaveSides([gatewaySide(configs[0] as { file: string }, urls[0] as string), bareSide, gatewaySide(configs[1] as { file: string }, urls[2] as string)], {
      rounds: options.rounds,
      roundMs: 1,
      sliceMs: 1,
    });
    const wall = (sample: Sample) => sample.wallMs;
    const cpu = (sample: Sample) => sample.cpuMs;
    const real = perRound(gateway, bare, wall);
    const cpuRatios = perRound(gateway, bare, cpu);
    const row: BenchRow = {
      path: 'spawn → first ready answer ÷ bare Koa',
      unit: 'ms',
      gateway: median(real.a),
      floor: median(real.b),
      floorName: 'bare Koa script, first 200',
      ratios: real.ratios,
      control: perRound(control, gateway, wall).ratios,
      target: 2,
      better: 'lower',
      note: `wall clock from spawn to the first 200 of /readyz (gateway: Redis store, one OIDC provider) or / (bare Koa), ${options.rounds} spawns each, polled every 5 ms`,
    };
    const cpuRow: BenchRow = {
      path: 'spawn → ready, process CPU ÷ bare Koa',
      unit: 'ms',
      gateway: median(cpuRatios.a),
      floor: median(cpuRatios.b),
      floorName: 'bare Koa script, first 200',
      ratios: cpuRatios.ratios,
      control: perRound(control, gateway, cpu).ratios,
      secondary: true,
      note: 'user + system CPU of the spawned process until that answer (/proc, 10 ms ticks): less sensitive to a loaded machine than the wall clock',
    };
    return { ops: 1000 / row.gateway, baselineOps: 1000 / row.floor, ratio: median(real.ratios), rows: [row, cpuRow] };
  } finally {
    for (const config of configs) config.remove();
    idp.stop();
    redis.stop();
  }
}

const startupCase: BenchCase = {
  name: 'spawn → first ready answer',
  description: 'the compiled CLI spawned with the login config until /readyz answers 200, vs a bare Koa script until its first 200, with a control gateway, interleaved',
  target: 2,
  better: 'lower',
  run: startup,
};

export default startupCase;
