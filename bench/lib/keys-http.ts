import Koa from 'koa';
import { listen } from '../../src/http/server.js';
import { benchGateway } from './fixtures.js';
import { LoadGenerator, serve } from './http.js';
import { interleave } from './measure.js';
import type { BenchOptions, BenchResult } from './types.js';

/**
 * Requests/s of a key-publication endpoint of the real gateway (createGateway, RS256, memory
 * store, every middleware) against a bare Koa app answering the same path with the same body,
 * type and Cache-Control. Both listen on 127.0.0.1 in this process; the load generator runs in a
 * child process; rounds alternate between the two servers.
 */
export async function keysHttp(endpoint: 'asap' | 'jwks', options: BenchOptions): Promise<BenchResult> {
  const gateway = await benchGateway('RS256');
  const running = await listen(gateway, 0, '127.0.0.1');
  const target = gateway.services.defaultTarget;
  const key = target.keyring?.published[0];
  if (!key) throw new Error('RS256 gateway publishes no key');
  const path = endpoint === 'asap' ? `/asap/${key.asapName}.pem` : '/.well-known/jwks.json';
  const maxAge = target.config.jwksMaxAgeSeconds;
  const body = endpoint === 'asap' ? key.pem : JSON.stringify({ keys: [key.jwk] });

  const bare = new Koa();
  bare.use((ctx) => {
    if (ctx.path !== path) return;
    ctx.type = endpoint === 'asap' ? 'application/x-pem-file' : 'application/json';
    ctx.set('Cache-Control', `public, max-age=${maxAge}`);
    ctx.body = body;
  });
  const baseline = await serve(bare);
  const load = new LoadGenerator();
  try {
    const slice = (base: string) => (ms: number) => load.measure(`${base}${path}`, options.connections, ms);
    // Warm-up: connections, JIT and the first requests' lazy work on both servers.
    await slice(running.url)(300);
    await slice(baseline.url)(300);
    const result = await interleave(slice(running.url), slice(baseline.url), { rounds: options.rounds, roundMs: options.httpRoundMs, sliceMs: 100, clock: options.clock });
    return { ...result, note: `${body.length}-byte body, ${options.connections} keep-alive connections, ${options.httpRoundMs} ms per side per round in 100 ms slices` };
  } finally {
    load.close();
    await baseline.close();
    running.server.closeAllConnections();
    await running.shutdown('bench done');
  }
}
