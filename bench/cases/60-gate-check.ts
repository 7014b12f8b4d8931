import Koa from 'koa';
import { createGateway } from '../../src/gateway.js';
import { GatePassSigner } from '../../src/gate/pass.js';
import { listen } from '../../src/http/server.js';
import { createLogger } from '../../src/observability/logger.js';
import { benchConfig } from '../lib/fixtures.js';
import { LoadGenerator, serve } from '../lib/http.js';
import { cpuPerOp, interleave, warmUpNote, warmUpSides } from '../lib/measure.js';
import type { BenchCase, BenchOptions, BenchResult } from '../lib/types.js';

/**
 * The gate's forward-auth check (src/gate/check.ts), which a reverse proxy asks on every request
 * to a Jitsi host: GET /gate/check/meet with a browser's Cookie header holding a fresh gate pass
 * (answered from its HMAC, no store), against a bare Koa app answering 200 with an empty body.
 * Real gateway (createGateway, memory store, every middleware, info logging written nowhere), both
 * in this process, the load generator in a child process, rounds interleaved. Target ≥ 0.7×.
 */

const COOKIE_SECRET = 'bench-gate-cookie-secret-4f1c8a2e9b7d3c5a1e8f6b4d2a9c7e5b';

async function gateCheck(options: BenchOptions): Promise<BenchResult> {
  const loaded = benchConfig('HS256', { gate: { cookieSecret: COOKIE_SECRET, recheckSeconds: 900 } });
  const gateway = await createGateway(loaded, { logger: createLogger('info', { write() {} }) });
  const running = await listen(gateway, 0, '127.0.0.1');
  const now = Math.floor(Date.now() / 1000);
  const pass = new GatePassSigner(COOKIE_SECRET).sign({
    target: 'meet',
    sessionId: 'q3Vx0bNn1mVY1mGd3yZrI0y7VJm9qfQ0bT3oQe6b6mE',
    issuedAt: now,
    expiresAt: now + 8 * 3600,
    provider: 'corp',
    user: 'ada.lovelace@example.com',
  });
  // What a browser in a Jitsi meeting sends along: a few cookies besides the pass (__Host-: the target is https at its root).
  const headers = {
    Cookie: `_ga=GA1.2.1234567890.1700000000; jitsi_lang=en; __Host-jsg_gate_meet=${pass}; features=%7B%22x%22%3Atrue%7D`,
    'X-Original-URL': 'https://meet.example.com/http-bind?room=weekly%20standup',
    Accept: '*/*',
  };

  const bare = new Koa();
  bare.use((ctx) => {
    ctx.status = 200;
    ctx.body = '';
  });
  const baseline = await serve(bare);
  const load = new LoadGenerator();
  try {
    const gatePath = `${running.url}/gate/check/meet`;
    const subject = (ms: number) => load.measure(gatePath, options.connections, ms, { headers, expectStatus: 200 });
    const bareSide = (ms: number) => load.measure(`${baseline.url}/gate/check/meet`, options.connections, ms, { headers, expectStatus: 200 });
    // Warm-up until this process's CPU per request has stopped falling on both sides (JIT, heap).
    const warmed = await warmUpSides([subject, bareSide], cpuPerOp, { sliceMs: 200, maxSlices: 20 });
    const result = await interleave(subject, bareSide, { rounds: options.rounds, roundMs: options.httpRoundMs, sliceMs: 100, clock: options.clock });
    return { ...result, note: `fresh pass in a ${headers.Cookie.length}-byte Cookie header, ${options.connections} keep-alive connections; no store access; warm-up (CPU µs per request): ${warmUpNote(['gateway', 'bare Koa'], warmed, (value) => (value * 1000).toFixed(1))}` };
  } finally {
    load.close();
    await baseline.close();
    running.server.closeAllConnections();
    await running.shutdown('bench done');
  }
}

const gate: BenchCase = {
  name: 'gate check (fresh pass)',
  description: 'GET /gate/check/meet with a valid gate pass cookie → 200 (real gateway) vs bare Koa answering 200',
  target: 0.7,
  secondary: true,
  run: gateCheck,
};

export default gate;
