import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Koa from 'koa';

/**
 * A bare Koa app answering 200 "hello" on 127.0.0.1 with the gateway's socket timeouts
 * (src/http/server.ts): the baseline of the HTTP cases and of spawn → first answer. Run directly
 * (`node dist/bench/lib/bare-koa.js <port>`) it is the bare Koa script the start-up case spawns.
 */
export function startBareKoa(port: number): Promise<void> {
  const app = new Koa();
  app.use((ctx) => {
    ctx.body = 'hello';
  });
  const server = createServer(app.callback());
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10000;
  server.requestTimeout = 30000;
  return new Promise((done) => server.listen(port, '127.0.0.1', () => done()));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void startBareKoa(Number(process.argv[2]));
