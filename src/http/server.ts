import { createServer, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import type { HttpDeps } from './deps.js';
import type { Drain } from './drain.js';
import type { EarlyRoutes } from './early.js';
import type { FixedAnswers } from './fixed-answers.js';
import { createManagementApp } from './management.js';

export interface RunningServer {
  server: Server;
  url: string;
  /** The management listener (server.management.port), when configured. */
  management?: { server: Server; url: string };
  /**
   * What the main listener answers before Koa (the published keys): replace() its table when the
   * keys change. The management listener has none.
   */
  answers: FixedAnswers;
  /**
   * The drain: readiness turns 503 at once (the `shutdown` check), every response carries
   * `Connection: close`, and the server keeps accepting for `delaySeconds` (0 unless given: tests,
   * SIGINT); then it stops accepting, finishes in-flight requests (up to
   * server.shutdownGraceSeconds), cuts what is left, closes the management listener, the
   * identity providers (pending discovery requests are aborted) and the store.
   */
  shutdown(reason: string, options?: { delaySeconds?: number }): Promise<void>;
  /** Ends a running shutdown delay at once (a second signal). */
  skipDelay(): void;
}

/** A listener that could not start: names the port and the system's reason (EADDRINUSE, EACCES, …). */
export class ListenError extends Error {
  override readonly name = 'ListenError';
  constructor(
    readonly what: 'server' | 'management',
    readonly host: string,
    readonly port: number,
    readonly code: string,
    cause: unknown,
  ) {
    const why = code === 'EADDRINUSE' ? 'is already in use' : code === 'EACCES' ? 'may not be opened by this user' : `cannot be opened (${code})`;
    super(`${host}:${port} ${why} (${what === 'server' ? 'server.port' : 'server.management.port'})`, { cause });
  }
}

/**
 * An HTTP server for a Koa callback whose answers say `Connection: close` once the drain began
 * (also for requests that arrived before the drain began: their headers are written later, so
 * keep-alive clients open their next connection elsewhere instead of reusing one that is about to
 * be closed). Requests in `answers` are answered before Koa, then the `early` routes (src/http/early.ts).
 *
 * The drain check is one method of the server's response class, not a wrapper put on every
 * response: the same work without a closure and an own property per request.
 */
function drainingServer(app: (request: IncomingMessage, response: ServerResponse) => Promise<void>, drain: Drain, requestTimeoutMs: number, answers?: FixedAnswers, early?: EarlyRoutes): Server {
  const writeHead = ServerResponse.prototype.writeHead;
  class DrainingResponse extends ServerResponse {}
  DrainingResponse.prototype.writeHead = function drainingWriteHead(this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
    if (drain.active && !this.headersSent) this.setHeader('Connection', 'close');
    return writeHead.apply(this, args);
  } as ServerResponse['writeHead'];
  const listener = answers
    ? (request: IncomingMessage, response: ServerResponse) => {
        if (!answers.answer(request, response, drain.active) && !early?.take(request, response, app)) void app(request, response);
      }
    : (request: IncomingMessage, response: ServerResponse) => void app(request, response);
  const server = createServer({ ServerResponse: DrainingResponse }, listener);
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10000;
  server.requestTimeout = requestTimeoutMs;
  return server;
}

/** What listen serves: the app and the services its listeners use (src/gateway.ts's Gateway). */
export interface Servable {
  app: Koa;
  /** The published keys: answered by the request listener before Koa (and by the app's servePublished). */
  answers: FixedAnswers;
  /** Routes answered before Koa, after the fixed answers (src/http/early.ts): the login start. */
  early?: EarlyRoutes;
  services: HttpDeps;
  close(): Promise<void>;
}

/** Listens (and the management listener, when configured) and wires the drain. */
export async function listen(gateway: Servable, port: number, host: string): Promise<RunningServer> {
  const { logger, config, drain } = gateway.services;
  const { answers } = gateway;
  const server = drainingServer(gateway.app.callback(), drain, 30000, answers, gateway.early);
  const url = await bind(server, 'server', port, host);

  let management: RunningServer['management'];
  const managementPort = config.server.management.port;
  if (managementPort !== undefined) {
    const managementServer = drainingServer(createManagementApp(gateway.services).callback(), drain, 10000);
    try {
      management = { server: managementServer, url: await bind(managementServer, 'management', managementPort, config.server.management.host) };
    } catch (error) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      throw error;
    }
  }

  let closing: Promise<void> | undefined;
  let endDelay: (() => void) | undefined;
  const shutdown = (reason: string, options: { delaySeconds?: number } = {}) => {
    closing ??= (async () => {
      drain.begin();
      const delaySeconds = options.delaySeconds ?? 0;
      if (delaySeconds > 0) {
        logger.info({ reason, delaySeconds }, 'shutting down: readiness is 503 now; still accepting connections until load balancers have stopped sending');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delaySeconds * 1000);
          endDelay = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      const graceSeconds = config.server.shutdownGraceSeconds;
      logger.info({ reason, graceSeconds }, 'shutting down: no new connections, finishing in-flight requests');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let graceTimer: NodeJS.Timeout | undefined;
      const grace = new Promise<'grace'>((resolve) => {
        graceTimer = setTimeout(() => resolve('grace'), graceSeconds * 1000);
      });
      const outcome = await Promise.race([closed, grace]);
      clearTimeout(graceTimer);
      if (outcome === 'grace') logger.warn({ graceSeconds }, 'requests still running at the end of the grace period: cutting their connections');
      server.closeAllConnections();
      if (management) {
        const managementClosed = new Promise<void>((resolve) => management.server.close(() => resolve()));
        management.server.closeAllConnections();
        await managementClosed;
      }
      await gateway.close();
      logger.info('stopped');
    })();
    return closing;
  };
  return { server, url, management, answers, shutdown, skipDelay: () => endDelay?.() };
}

async function bind(server: Server, what: 'server' | 'management', port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => reject(new ListenError(what, host, port, error.code ?? 'unknown', error));
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${shownHost}:${address.port}`;
}
