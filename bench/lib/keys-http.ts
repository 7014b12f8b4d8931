import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen } from '../../src/http/server.js';
import { benchGateway } from './fixtures.js';
import { LoadGenerator, serve } from './http.js';
import { cpuPerOp, interleave, warmUpNote, warmUpSides } from './measure.js';
import type { BenchOptions, BenchResult } from './types.js';

/**
 * Requests/s of a key-publication endpoint of the real gateway (createGateway, RS256, memory
 * store, listen(): the request listener, its answers before Koa and Koa behind them) against the
 * floor: a bare node:http server answering the same path with the same bytes and the same headers
 * (Cache-Control, X-Content-Type-Options, Content-Type, Content-Length), prepared once, written
 * with one writeHead and one end, like the fastest hand-written static answer. Both listen on
 * 127.0.0.1 in this process; the load generator runs in a child process; rounds alternate.
 */
export async function keysHttp(endpoint: 'asap' | 'jwks', options: BenchOptions): Promise<BenchResult> {
  const gateway = await benchGateway('RS256');
  const running = await listen(gateway, 0, '127.0.0.1');
  const target = gateway.services.defaultTarget;
  const key = target.keyring?.published[0];
  if (!key) throw new Error('RS256 gateway publishes no key');
  const path = endpoint === 'asap' ? `/asap/${key.asapName}.pem` : '/.well-known/jwks.json';

  // The floor answers with exactly what the gateway answered (read from it, not restated here).
  const sample = await fetch(`${running.url}${path}`);
  const body = Buffer.from(await sample.arrayBuffer());
  const headers: Record<string, string> = {};
  for (const name of ['cache-control', 'x-content-type-options', 'content-type', 'content-length']) {
    const value = sample.headers.get(name);
    if (value === null) throw new Error(`the gateway's ${path} has no ${name}`);
    headers[name] = value;
  }
  const floor = await bareStatic(path, headers, body);
  const load = new LoadGenerator();
  try {
    const slice = (base: string) => (ms: number) => load.measure(`${base}${path}`, options.connections, ms);
    // Warm-up until this process's CPU per request has stopped falling on both sides (JIT, heap).
    const warmed = await warmUpSides([slice(running.url), slice(floor.url)], cpuPerOp, { sliceMs: 200, maxSlices: 20 });
    const result = await interleave(slice(running.url), slice(floor.url), { rounds: options.rounds, roundMs: options.httpRoundMs, sliceMs: 100, clock: options.clock });
    const warmUp = warmUpNote(['gateway', 'node:http'], warmed, (value) => (value * 1000).toFixed(1));
    return { ...result, note: `${body.length}-byte body, ${options.connections} keep-alive connections, ${options.httpRoundMs} ms per side per round in 100 ms slices; warm-up (CPU µs per request): ${warmUp}` };
  } finally {
    load.close();
    await floor.close();
    running.server.closeAllConnections();
    await running.shutdown('bench done');
  }
}

/** node:http answering GET `path` with `body` and `headers`, 404 otherwise; the gateway's socket timeouts. */
function bareStatic(path: string, headers: Record<string, string>, body: Buffer) {
  return serve((request: IncomingMessage, response: ServerResponse) => {
    if (request.url === path) {
      response.writeHead(200, headers);
      response.end(body);
    } else {
      response.writeHead(404);
      response.end();
    }
  });
}
