/**
 * Scratch measurements for the key endpoints (not a bench case; run.ts does not load it):
 *   npx tsc -p . && node dist/bench/scratch/keys-http-layers.js [rounds]
 *
 * Which layer of the gateway costs what on GET /asap/<hex>.pem? Each line adds one of the
 * gateway's real middlewares (src/http/middleware/*) to a bare Koa app answering the PEM, and
 * compares it, interleaved, with the bare app (requests per CPU-second of this process while the
 * load generator child drives it), ending with the real app from createGateway.
 */
import Koa from 'koa';
import { Router } from '@koa/router';
import { handleErrors } from '../../src/http/middleware/errors.js';
import { securityHeaders } from '../../src/http/middleware/headers.js';
import { observe } from '../../src/http/middleware/observe.js';
import { listen } from '../../src/http/server.js';
import { benchGateway } from '../lib/fixtures.js';
import { LoadGenerator, serve, type Listening } from '../lib/http.js';
import { interleave } from '../lib/measure.js';

const rounds = Number(process.argv[2] ?? 7);
const gateway = await benchGateway('RS256');
const services = gateway.services;
const key = services.defaultTarget.keyring?.published[0];
if (!key) throw new Error('no key');
const path = `/asap/${key.asapName}.pem`;

const answer = (ctx: Koa.Context) => {
  if (ctx.path !== path) return;
  ctx.type = 'application/x-pem-file';
  ctx.set('Cache-Control', 'public, max-age=3600');
  ctx.body = key.pem;
};

function app(layers: Array<'observe' | 'headers' | 'errors' | 'router'>): Koa {
  const koa = new Koa();
  koa.silent = true;
  if (layers.includes('observe')) koa.use(observe(services));
  if (layers.includes('headers')) koa.use(securityHeaders());
  if (layers.includes('errors')) koa.use(handleErrors(services));
  if (layers.includes('router')) {
    const inner = new Router();
    inner.get('/asap/:name', (ctx) => answer(ctx as unknown as Koa.Context));
    const mounted = new Router();
    mounted.use(inner.routes(), inner.allowedMethods());
    koa.use(mounted.routes());
    koa.use(mounted.allowedMethods());
  } else {
    koa.use(answer);
  }
  return koa;
}

const variants: Array<[string, Koa | 'gateway']> = [
  ['bare Koa (the bench baseline) vs itself', app([])],
  ['+ securityHeaders()', app(['headers'])],
  ['+ handleErrors()', app(['errors'])],
  ['+ observe() (request id, child logger, metrics)', app(['observe'])],
  ['+ nested @koa/router (as createApp mounts it)', app(['router'])],
  ['all four middlewares', app(['observe', 'headers', 'errors', 'router'])],
  ['createGateway() app', 'gateway'],
];

const load = new LoadGenerator();
const bare = await serve(app([]));
process.stdout.write(`GET ${path.slice(0, 20)}…: ratio to bare Koa, requests per CPU-second, median of ${rounds} interleaved rounds\n`);
for (const [name, variant] of variants) {
  let server: Listening | undefined;
  let url: string;
  let stop: () => Promise<void>;
  if (variant === 'gateway') {
    const running = await listen(gateway, 0, '127.0.0.1');
    url = running.url;
    stop = async () => running.server.closeAllConnections();
  } else {
    server = await serve(variant);
    url = server.url;
    stop = () => server?.close() ?? Promise.resolve();
  }
  const slice = (base: string) => (ms: number) => load.measure(`${base}${path}`, 16, ms);
  await slice(url)(300);
  await slice(bare.url)(300);
  const result = await interleave(slice(url), slice(bare.url), { rounds, roundMs: 500, sliceMs: 100, clock: 'cpu' });
  process.stdout.write(`${name.padEnd(50)} ${(result.ratio ?? 0).toFixed(2)}×  (${Math.round(result.ops)} vs ${Math.round(result.baselineOps)} req/CPU-s)\n`);
  await stop();
}
load.close();
await bare.close();
await gateway.close();
process.exit(0);
